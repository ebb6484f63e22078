"""Signing and encryption with independent implementations (never the Rust code).

- Signatures: python-xmlsec (libxmlsec1) fills a ds:Signature template that we place in the
  document text (enveloped, exc-c14n, RSASSA-PSS sha256-rsa-MGF1, sha256 digest, KeyInfo with
  the signer's certificate).
- Key transport encryption (rsa-oaep, rsa-oaep-mgf1p, AES-GCM, AES-CBC): python-xmlsec
  `encrypt_binary` over the exact plaintext bytes we wrote.
- ECDH-ES key agreement: pyca/cryptography primitives assembled by hand, because libxmlsec1
  1.3.9 is not a proven ECDH-ES implementation (xmlsec-profile.md §5.4).
"""

import base64
import datetime
import hashlib
import os

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from cryptography.x509.oid import NameOID
from lxml import etree

from . import scenario as s

PSS_SHA256 = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

CIPHERS = {
    "aes256-gcm": ("http://www.w3.org/2009/xmlenc11#aes256-gcm", 256),
    "aes128-gcm": ("http://www.w3.org/2009/xmlenc11#aes128-gcm", 128),
    "aes256-cbc": ("http://www.w3.org/2001/04/xmlenc#aes256-cbc", 256),
}
TRANSPORTS = {
    # CEF >= 2.7 default, the only one CR 1.4 allows
    "rsa-oaep": ("http://www.w3.org/2009/xmlenc11#rsa-oaep",
                 f'<ds:DigestMethod Algorithm="{SHA256}"/>'
                 f'<xenc11:MGF xmlns:xenc11="{s.NS_XENC11}" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/>'),
    # CEF <= 2.6 default: OAEP with SHA-1 digest and MGF1-SHA1
    "rsa-oaep-mgf1p": ("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p", f'<ds:DigestMethod Algorithm="{SHA1}"/>'),
}

ENC_TEMPLATE = (
    '<xenc:EncryptedData xmlns:xenc="{xenc}" Id="{data_id}" Type="http://www.w3.org/2001/04/xmlenc#Element">'
    '<xenc:EncryptionMethod Algorithm="{cipher}"/>'
    '<ds:KeyInfo xmlns:ds="{ds}"><xenc:EncryptedKey Id="{key_id}">'
    '<xenc:EncryptionMethod Algorithm="{transport}">{transport_params}</xenc:EncryptionMethod>'
    "<ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>"
    "<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"
    "<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>"
)


def pki_path(name: str, kind: str):
    return s.PKI_DIR / f"{name}.{kind}.pem"


def load_cert(name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pki_path(name, "crt").read_bytes())


def cert_b64(name: str) -> str:
    return der_b64(load_cert(name))


def der_b64(cert: x509.Certificate) -> str:
    """The certificate as ds:X509Certificate content (base64 of the DER, one line)."""
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def _parser():
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, strip_cdata=False)


# --- signatures ---------------------------------------------------------------------------------


def signature_template(ref_uri: str, prefixes: str | None = None, declare_ds: bool = False,
                       method: str = PSS_SHA256) -> str:
    """An enveloped ds:Signature template for python-xmlsec (empty values, empty certificate).

    `method` is the SignatureMethod URI: RSASSA-PSS SHA-256 by default, `ECDSA_SHA256` for an EC key.
    """
    inclusive = ""
    if prefixes:
        inclusive = f'<ec:InclusiveNamespaces xmlns:ec="{EXC_C14N}" PrefixList="{prefixes}"/>'
    c14n_transform = (f'<ds:Transform Algorithm="{EXC_C14N}">{inclusive}</ds:Transform>' if inclusive
                      else f'<ds:Transform Algorithm="{EXC_C14N}"/>')
    decl = f' xmlns:ds="{s.NS_DS}"' if declare_ds else ""
    return (
        f"<ds:Signature{decl}>\n"
        "    <ds:SignedInfo>\n"
        f'        <ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/>\n'
        f'        <ds:SignatureMethod Algorithm="{method}"/>\n'
        f'        <ds:Reference URI="{ref_uri}">\n'
        "            <ds:Transforms>\n"
        f'                <ds:Transform Algorithm="{ENVELOPED}"/>\n'
        f"                {c14n_transform}\n"
        "            </ds:Transforms>\n"
        f'            <ds:DigestMethod Algorithm="{SHA256}"/>\n'
        "            <ds:DigestValue/>\n"
        "        </ds:Reference>\n"
        "    </ds:SignedInfo>\n"
        "    <ds:SignatureValue/>\n"
        "    <ds:KeyInfo>\n"
        "        <ds:X509Data>\n"
        "            <ds:X509Certificate/>\n"
        "        </ds:X509Data>\n"
        "    </ds:KeyInfo>\n"
        "</ds:Signature>"
    )


def sign(text: str, signer: str, signature_xpath: str = "/*/ds:Signature") -> bytes:
    """python-xmlsec fills the template at `signature_xpath` with the test PKI's `signer` key and certificate."""
    return sign_with(text, pki_path(signer, "key"), pki_path(signer, "crt"), signature_xpath)


def sign_with(text: str, key_file, cert_file, signature_xpath: str = "/*/ds:Signature") -> bytes:
    """python-xmlsec fills the template at `signature_xpath` with the key and certificate in these PEM files.

    IDs are registered from `ID` on every element and `Id` on XML-Enc elements, so that a
    Reference may designate either. The XML declaration (if any) and the rest of the text
    are kept as written.
    """
    decl = ""
    if text.startswith("<?xml"):
        decl, text = text.split("\n", 1)
        decl += "\n"
    root = etree.fromstring(text.encode("utf-8"), _parser())
    ctx = xmlsec.SignatureContext()
    for el in root.iter(etree.Element):
        if el.get("ID") is not None:
            ctx.register_id(el, "ID")
        if el.get("Id") is not None and etree.QName(el).namespace == s.NS_XENC:
            ctx.register_id(el, "Id")
    key = xmlsec.Key.from_file(str(key_file), xmlsec.KeyFormat.PEM)
    key.load_cert_from_file(str(cert_file), xmlsec.KeyFormat.CERT_PEM)
    ctx.key = key
    ctx.sign(root.xpath(signature_xpath, namespaces={"ds": s.NS_DS, "saml2": s.NS_SAML})[0])
    out = etree.tostring(root, encoding="UTF-8", xml_declaration=False).decode("utf-8")
    return (decl + out + ("\n" if decl else "")).encode("utf-8")


# --- encryption ---------------------------------------------------------------------------------


def encrypt_rsa(plaintext: bytes, recipient: str, *, cipher: str = "aes256-gcm", transport: str = "rsa-oaep",
                data_id: str = s.ENC_DATA_ID, key_id: str = s.ENC_KEY_ID) -> str:
    """xenc:EncryptedData (Type Element) of `plaintext`, key transported to the test PKI's `recipient` RSA cert."""
    return encrypt_rsa_to(plaintext, pki_path(recipient, "crt").read_bytes(), cipher=cipher, transport=transport,
                          data_id=data_id, key_id=key_id)


def encrypt_rsa_to(plaintext: bytes, cert_pem: bytes, *, cipher: str = "aes256-gcm", transport: str = "rsa-oaep",
                   data_id: str = s.ENC_DATA_ID, key_id: str = s.ENC_KEY_ID) -> str:
    """xenc:EncryptedData (Type Element) of `plaintext`, key transported to the RSA certificate `cert_pem`."""
    cipher_uri, bits = CIPHERS[cipher]
    transport_uri, params = TRANSPORTS[transport]
    template = etree.fromstring(ENC_TEMPLATE.format(
        xenc=s.NS_XENC, ds=s.NS_DS, data_id=data_id, key_id=key_id, cipher=cipher_uri,
        transport=transport_uri, transport_params=params).encode())
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM))
    ctx = xmlsec.EncryptionContext(manager)
    ctx.key = xmlsec.Key.generate(xmlsec.KeyData.AES, bits, xmlsec.KeyDataType.SESSION)
    encrypted = ctx.encrypt_binary(template, plaintext)
    return etree.tostring(encrypted, encoding="unicode")


P256_URI = "urn:oid:1.2.840.10045.3.1.7"


def encrypt_ecdh_es(plaintext: bytes, recipient: str, *, data_id: str = s.ENC_DATA_ID,
                    key_id: str = s.ENC_KEY_ID) -> str:
    """ECDH-ES encryption (see `encrypt_ecdh_es_to`) to the test PKI's `recipient` P-256 certificate."""
    return encrypt_ecdh_es_to(plaintext, load_cert(recipient), data_id=data_id, key_id=key_id)


def encrypt_ecdh_es_to(plaintext: bytes, cert: x509.Certificate, *, data_id: str = s.ENC_DATA_ID,
                       key_id: str = s.ENC_KEY_ID) -> str:
    """xenc:EncryptedData to the P-256 `cert`: ECDH-ES + ConcatKDF(SHA-256) + kw-aes256 + aes256-gcm, by hand.

    ConcatKDFParams AlgorithmID/PartyUInfo/PartyVInfo are "00": hexBinary whose first byte is
    the number of padding bits (eidas-spec §5.3), so each contributes zero octets to OtherInfo.
    """
    peer = cert.public_key()
    if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != "secp256r1":
        raise ValueError("encrypt_ecdh_es needs a P-256 recipient certificate")
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    z = ephemeral.exchange(ec.ECDH(), peer)
    other_info = b""  # "00" ‖ "00" ‖ "00" after stripping each padding-count byte
    kek = ConcatKDFHash(algorithm=hashes.SHA256(), length=32, otherinfo=other_info).derive(z)
    cek = os.urandom(32)
    wrapped = aes_key_wrap(kek, cek)
    iv = os.urandom(12)
    blob = iv + AESGCM(cek).encrypt(iv, plaintext, None)
    point = ephemeral.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return (
        f'<xenc:EncryptedData xmlns:xenc="{s.NS_XENC}" Id="{data_id}" Type="http://www.w3.org/2001/04/xmlenc#Element">'
        '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>'
        f'<ds:KeyInfo xmlns:ds="{s.NS_DS}"><xenc:EncryptedKey Id="{key_id}">'
        '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#kw-aes256"/>'
        "<ds:KeyInfo>"
        '<xenc:AgreementMethod Algorithm="http://www.w3.org/2009/xmlenc11#ECDH-ES">'
        f'<xenc11:KeyDerivationMethod xmlns:xenc11="{s.NS_XENC11}" Algorithm="http://www.w3.org/2009/xmlenc11#ConcatKDF">'
        '<xenc11:ConcatKDFParams AlgorithmID="00" PartyUInfo="00" PartyVInfo="00">'
        f'<ds:DigestMethod Algorithm="{SHA256}"/>'
        "</xenc11:ConcatKDFParams></xenc11:KeyDerivationMethod>"
        "<xenc:OriginatorKeyInfo><ds:KeyValue>"
        f'<dsig11:ECKeyValue xmlns:dsig11="{s.NS_DSIG11}"><dsig11:NamedCurve URI="{P256_URI}"/>'
        f"<dsig11:PublicKey>{b64(point)}</dsig11:PublicKey></dsig11:ECKeyValue>"
        "</ds:KeyValue></xenc:OriginatorKeyInfo>"
        f"<xenc:RecipientKeyInfo><ds:X509Data><ds:X509Certificate>{der_b64(cert)}</ds:X509Certificate>"
        "</ds:X509Data></xenc:RecipientKeyInfo>"
        "</xenc:AgreementMethod>"
        "</ds:KeyInfo>"
        f"<xenc:CipherData><xenc:CipherValue>{b64(wrapped)}</xenc:CipherValue></xenc:CipherData>"
        "</xenc:EncryptedKey></ds:KeyInfo>"
        f"<xenc:CipherData><xenc:CipherValue>{b64(blob)}</xenc:CipherValue></xenc:CipherData>"
        "</xenc:EncryptedData>"
    )


# --- the metadata signing key (made once) -------------------------------------------------------


def ensure_metadata_signer() -> bool:
    """Creates certs/test-pki/idp-metadata-signer.{key,crt}.pem (RSA-3072) when absent.

    Returns True when the pair was created by this run.
    """
    key_path, cert_path = pki_path(s.METADATA_SIGNER, "key"), pki_path(s.METADATA_SIGNER, "crt")
    if key_path.exists() and cert_path.exists():
        return False
    key = rsa.generate_private_key(65537, 3072)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ES"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "eidas-connector TEST PKI - NOT FOR PRODUCTION"),
        x509.NameAttribute(NameOID.COMMON_NAME, s.METADATA_SIGNER),
    ])
    serial = int.from_bytes(hashlib.sha256(s.METADATA_SIGNER.encode()).digest()[:16], "big") >> 1
    utc = datetime.timezone.utc
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(datetime.datetime(2025, 1, 1, tzinfo=utc))
        .not_valid_after(datetime.datetime(2045, 1, 1, tzinfo=utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return True
