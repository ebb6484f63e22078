"""The test PKI under certs/test-pki: self-signed certificates and PKCS#8 keys, made once.

Existing files are reused so that re-running the generator does not churn keys (and so that
committed vectors keep verifying).
"""

import base64
import datetime
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .common import PKI_DIR, rel_root

NOT_BEFORE = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(2045, 1, 1, tzinfo=datetime.UTC)

# name, key type, size or curve, usage, description
SPEC = [
    ("idp-rsa3072", "rsa", 3072, "sign", "foreign proxy service signing key (trusted by the sig vectors)"),
    ("idp-ec-p256", "ec", ec.SECP256R1, "sign", "foreign proxy service signing key, NIST P-256"),
    ("idp-ec-p384", "ec", ec.SECP384R1, "sign", "foreign proxy service signing key, NIST P-384"),
    ("idp-ec-p521", "ec", ec.SECP521R1, "sign", "foreign proxy service signing key, NIST P-521"),
    ("idp-ec-bp256", "ec", ec.BrainpoolP256R1, "sign", "foreign proxy service signing key, brainpoolP256r1"),
    ("idp-ec-bp384", "ec", ec.BrainpoolP384R1, "sign", "foreign proxy service signing key, brainpoolP384r1"),
    ("idp-ec-bp512", "ec", ec.BrainpoolP512R1, "sign", "foreign proxy service signing key, brainpoolP512r1"),
    ("attacker-rsa3072", "rsa", 3072, "sign", "UNTRUSTED attacker key (key injection, wrong recipient)"),
    ("weak-rsa2048", "rsa", 2048, "sign", "RSA-2048: below the eIDAS RSA-3072 minimum"),
    ("idp-ec-p192", "ec", ec.SECP192R1, "sign", "NIST P-192: a curve outside the eIDAS allow-list"),
    ("sp-enc-rsa3072", "rsa", 3072, "enc", "our decryption key (RSA-OAEP key transport)"),
    ("sp-enc-ec-p256", "ec", ec.SECP256R1, "agree", "our ECDH-ES key agreement key, NIST P-256"),
    ("sp-enc-ec-bp256", "ec", ec.BrainpoolP256R1, "agree", "our ECDH-ES key agreement key, brainpoolP256r1"),
    ("sp-sign-rsa3072", "rsa", 3072, "sign", "our signing key (AuthnRequest, metadata), RSA"),
    ("sp-sign-ec-p256", "ec", ec.SECP256R1, "sign", "our signing key (AuthnRequest, metadata), P-256"),
]

# Certificate-only twins of a key pair above: the same key, another validity period. They back
# the certificate-validity checks (eIDAS IA 6.3; the reference node's
# check.certificate.validity.period): a Response signed by the key verifies, but the twin that
# publishes it is expired or not yet valid.
TWINS = [
    ("idp-rsa3072", "expired", datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
     datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC)),
    ("idp-rsa3072", "not-yet-valid", datetime.datetime(2040, 1, 1, tzinfo=datetime.UTC),
     datetime.datetime(2045, 1, 1, tzinfo=datetime.UTC)),
    # Made by tests/vectors/saml_gen (signs the proxy metadata vectors).
    ("idp-metadata-signer", "expired", datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
     datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC)),
]


@dataclass
class Pki:
    """One key pair of the test PKI."""

    name: str
    key: object
    cert: x509.Certificate
    description: str

    @property
    def key_path(self) -> Path:
        return PKI_DIR / f"{self.name}.key.pem"

    @property
    def cert_path(self) -> Path:
        return PKI_DIR / f"{self.name}.crt.pem"

    @property
    def key_rel(self) -> str:
        return rel_root(self.key_path)

    @property
    def cert_rel(self) -> str:
        return rel_root(self.cert_path)

    @property
    def cert_pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def cert_der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def cert_b64(self) -> str:
        """The DER certificate as one base64 line (for ds:X509Certificate)."""
        return base64.b64encode(self.cert_der).decode("ascii")


def _key_usage(usage: str) -> x509.KeyUsage:
    flags = dict.fromkeys(
        [
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ],
        False,
    )
    flags[{"sign": "digital_signature", "enc": "key_encipherment", "agree": "key_agreement"}[usage]] = True
    return x509.KeyUsage(**flags)


def _make(name: str, kind: str, param, usage: str):
    key = rsa.generate_private_key(65537, param) if kind == "rsa" else ec.generate_private_key(param())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "eidas-connector TEST PKI - NOT FOR PRODUCTION"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    serial = int.from_bytes(hashlib.sha256(name.encode()).digest()[:16], "big") >> 1
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def load_or_create() -> dict:
    """Returns {name: Pki}, creating missing key pairs."""
    PKI_DIR.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, kind, param, usage, description in SPEC:
        key_path, cert_path = PKI_DIR / f"{name}.key.pem", PKI_DIR / f"{name}.crt.pem"
        if key_path.exists() and cert_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        else:
            key, cert = _make(name, kind, param, usage)
            key_path.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        out[name] = Pki(name, key, cert, description)
    for base, suffix, not_before, not_after in TWINS:
        path = PKI_DIR / f"{base}-{suffix}.crt.pem"
        if not path.exists():
            pair = out.get(base) or _load(base, "made by tests/vectors/saml_gen")
            if pair is not None:
                path.write_bytes(_twin(pair, not_before, not_after).public_bytes(serialization.Encoding.PEM))
    _write_readme(out)
    return out


def _load(name: str, description: str):
    key_path, cert_path = PKI_DIR / f"{name}.key.pem", PKI_DIR / f"{name}.crt.pem"
    if not (key_path.exists() and cert_path.exists()):
        return None
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    return Pki(name, key, x509.load_pem_x509_certificate(cert_path.read_bytes()), description)


def _twin(base: "Pki", not_before, not_after) -> x509.Certificate:
    """A self-signed certificate for `base`'s key with another validity period."""
    serial = int.from_bytes(hashlib.sha256(f"{base.name}{not_before}".encode()).digest()[:16], "big") >> 1
    return (
        x509.CertificateBuilder()
        .subject_name(base.cert.subject)
        .issuer_name(base.cert.subject)
        .public_key(base.key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(base.cert.extensions.get_extension_for_class(x509.KeyUsage).value, critical=True)
        .sign(base.key, hashes.SHA256())
    )


def _write_readme(pki: dict):
    rows = "\n".join(
        f"| `{p.name}` | {_describe_key(p.key)} | {p.description} |" for p in pki.values()
    )
    twins = "\n".join(
        f"  `{b}-{sfx}.crt.pem` ({nb:%Y-%m-%d} .. {na:%Y-%m-%d})" for b, sfx, nb, na in TWINS
    )
    text = f"""# Test PKI — TEST ONLY

**Never use these keys or certificates in production.** The private keys are public (they are
committed). They exist only so that the signed and encrypted vectors in `tests/vectors/xmlsec/`
can be verified and decrypted by the tests.

Generated by `tests/vectors/generate.py` (section `vectorgen/pki.py`). Existing files are reused;
delete a pair and re-run the generator to replace it (then re-run the whole generator so that
every vector made with it is re-made).

- Files: `NAME.key.pem` (PKCS#8 PEM, unencrypted) and `NAME.crt.pem` (self-signed X.509 PEM).
- Validity: 2025-01-01T00:00:00Z .. 2045-01-01T00:00:00Z. Subject `C=FR, O=eidas-connector TEST PKI -
  NOT FOR PRODUCTION, CN=NAME`. Certificates are signed with SHA-256 (RSA PKCS#1 v1.5 or ECDSA),
  carry `BasicConstraints CA:FALSE` and one KeyUsage (digitalSignature, keyEncipherment or keyAgreement).
- `idp-ec-p192` exists on purpose: OpenSSL/cryptography still generate P-192 keys, so it backs the
  "curve not allowed" vector.
- Certificate-only twins (same key, another validity period), for the certificate-validity checks:
{twins}

| name | key | role |
|---|---|---|
{rows}
"""
    (PKI_DIR / "README.md").write_text(text, encoding="utf-8")


def _describe_key(key) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return f"RSA-{key.key_size}"
    return f"EC {key.curve.name}"
