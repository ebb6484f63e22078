#!/usr/bin/env python3
"""Decrypt the first xenc:EncryptedData of an XML file with pyca/cryptography only.

Independent XML-Enc oracle for the Rust tests (it shares no code with libxmlsec1 or with
our Rust decrypter). It prints the plaintext bytes exactly as decrypted.

Usage:
    decrypt_cryptography.py --key KEY.pem [--key OTHER.pem ...] FILE

Supported (anything else exits non-zero):
  * content encryption: xmlenc11#aes128-gcm / aes192-gcm / aes256-gcm
    (CipherValue = IV(12) || ciphertext || tag(16), no AAD);
  * key transport: xmlenc11#rsa-oaep (ds:DigestMethod, default SHA-1; xenc11:MGF, default
    MGF1-SHA1; xenc:OAEPparams label) and xmlenc#rsa-oaep-mgf1p (ds:DigestMethod, default
    SHA-1; MGF1 always SHA-1);
  * key agreement: xmlenc11#ECDH-ES + xmlenc11#ConcatKDF (ds:DigestMethod; AlgorithmID,
    PartyUInfo, PartyVInfo are hexBinary whose FIRST BYTE is the number of padding bits and
    is stripped, eidas-spec.md fact 26) + xmlenc#kw-aes128/192/256 (RFC 3394).

The EncryptedKey is taken from EncryptedData/ds:KeyInfo, else from the siblings of the
EncryptedData (SAML EncryptedAssertion style). Each EncryptedKey is tried with each --key.
The input is parsed without DTD loading, entity resolution or network access.
"""

import argparse
import base64
import sys

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap
from lxml import etree

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DS = "http://www.w3.org/2000/09/xmldsig#"
DSIG11 = "http://www.w3.org/2009/xmldsig11#"
NS = {"xenc": XENC, "xenc11": XENC11, "ds": DS, "dsig11": DSIG11}

GCM = {XENC11 + "aes128-gcm": 16, XENC11 + "aes192-gcm": 24, XENC11 + "aes256-gcm": 32}
KW = {XENC + "kw-aes128": 16, XENC + "kw-aes192": 24, XENC + "kw-aes256": 32}
DIGESTS = {
    "http://www.w3.org/2000/09/xmldsig#sha1": hashes.SHA1,
    "http://www.w3.org/2001/04/xmldsig-more#md5": hashes.MD5,
    "http://www.w3.org/2001/04/xmldsig-more#sha224": hashes.SHA224,
    "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmlenc#sha512": hashes.SHA512,
}
MGFS = {
    XENC11 + "mgf1sha1": hashes.SHA1,
    XENC11 + "mgf1sha224": hashes.SHA224,
    XENC11 + "mgf1sha256": hashes.SHA256,
    XENC11 + "mgf1sha384": hashes.SHA384,
    XENC11 + "mgf1sha512": hashes.SHA512,
}
CURVES = {
    "urn:oid:1.2.840.10045.3.1.7": ec.SECP256R1,
    "urn:oid:1.3.132.0.34": ec.SECP384R1,
    "urn:oid:1.3.132.0.35": ec.SECP521R1,
    "urn:oid:1.3.36.3.3.2.8.1.1.7": ec.BrainpoolP256R1,
    "urn:oid:1.3.36.3.3.2.8.1.1.11": ec.BrainpoolP384R1,
    "urn:oid:1.3.36.3.3.2.8.1.1.13": ec.BrainpoolP512R1,
}


class OracleError(Exception):
    """A decryption step failed; the message says which."""


def parse_xml(data: bytes):
    """Parses untrusted XML without DTD loading, entity expansion or network access."""
    parser = etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, strip_cdata=False
    )
    return etree.fromstring(data, parser)


def b64(el) -> bytes:
    if el is None:
        raise OracleError("missing base64 element")
    return base64.b64decode("".join(el.xpath("text()")).translate({ord(c): None for c in " \t\r\n"}))


def digest_of(parent, default=hashes.SHA1):
    dm = parent.find("ds:DigestMethod", NS)
    if dm is None:
        return default()
    alg = dm.get("Algorithm")
    if alg not in DIGESTS:
        raise OracleError(f"unsupported DigestMethod {alg}")
    return DIGESTS[alg]()


def concat_param(value) -> bytes:
    """hexBinary with a leading padding-bit-count byte (XMLEnc 1.1 §5.4.1, eIDAS fact 26)."""
    raw = bytes.fromhex(value or "")
    if not raw:
        return b""
    if raw[0] != 0:
        raise OracleError("ConcatKDF parameter with non-zero padding bits is not supported")
    return raw[1:]


def unwrap_rsa(ek, key) -> bytes:
    method = ek.find("xenc:EncryptionMethod", NS)
    alg = method.get("Algorithm")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise OracleError("RSA key transport needs an RSA key")
    if alg == XENC + "rsa-oaep-mgf1p":
        md = digest_of(method)
        mgf = hashes.SHA1()
    elif alg == XENC11 + "rsa-oaep":
        md = digest_of(method)
        mgf_el = method.find("xenc11:MGF", NS)
        mgf_alg = mgf_el.get("Algorithm") if mgf_el is not None else XENC11 + "mgf1sha1"
        if mgf_alg not in MGFS:
            raise OracleError(f"unsupported MGF {mgf_alg}")
        mgf = MGFS[mgf_alg]()
    else:
        raise OracleError(f"unsupported key transport {alg}")
    label_el = method.find("xenc:OAEPparams", NS)
    label = b64(label_el) if label_el is not None else None
    ct = b64(ek.find("xenc:CipherData/xenc:CipherValue", NS))
    try:
        return key.decrypt(ct, padding.OAEP(mgf=padding.MGF1(mgf), algorithm=md, label=label))
    except UnsupportedAlgorithm as exc:
        raise OracleError(f"OAEP with {md.name}/MGF1-{mgf.name} is not supported by cryptography") from exc
    except ValueError as exc:
        raise OracleError("RSA-OAEP decryption failed") from exc


def unwrap_ecdh(ek, key) -> bytes:
    wrap_alg = ek.find("xenc:EncryptionMethod", NS).get("Algorithm")
    if wrap_alg not in KW:
        raise OracleError(f"unsupported key wrap {wrap_alg}")
    am = ek.find("ds:KeyInfo/xenc:AgreementMethod", NS)
    if am.get("Algorithm") != XENC11 + "ECDH-ES":
        raise OracleError(f"unsupported AgreementMethod {am.get('Algorithm')}")
    if am.find("xenc:KA-Nonce", NS) is not None:
        raise OracleError("KA-Nonce is not supported")
    kdm = am.find("xenc11:KeyDerivationMethod", NS)
    if kdm is None or kdm.get("Algorithm") != XENC11 + "ConcatKDF":
        raise OracleError("only ConcatKDF is supported")
    params = kdm.find("xenc11:ConcatKDFParams", NS)
    other = b"".join(concat_param(params.get(a)) for a in ("AlgorithmID", "PartyUInfo", "PartyVInfo"))
    for a in ("SuppPubInfo", "SuppPrivInfo"):
        other += concat_param(params.get(a))
    md = digest_of(params, default=None)
    if md is None:
        raise OracleError("ConcatKDFParams needs a ds:DigestMethod")
    ec_kv = am.find("xenc:OriginatorKeyInfo/ds:KeyValue/dsig11:ECKeyValue", NS)
    curve_uri = ec_kv.find("dsig11:NamedCurve", NS).get("URI")
    if curve_uri not in CURVES:
        raise OracleError(f"unsupported curve {curve_uri}")
    curve = CURVES[curve_uri]()
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != curve.name:
        raise OracleError("originator curve differs from our key's curve")
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(curve, b64(ec_kv.find("dsig11:PublicKey", NS)))
    except ValueError as exc:
        raise OracleError("invalid originator point") from exc
    z = key.exchange(ec.ECDH(), peer)
    kek = ConcatKDFHash(algorithm=md, length=KW[wrap_alg], otherinfo=other).derive(z)
    try:
        return aes_key_unwrap(kek, b64(ek.find("xenc:CipherData/xenc:CipherValue", NS)))
    except Exception as exc:  # InvalidUnwrap
        raise OracleError("AES-KW unwrap failed") from exc


def unwrap(ek, key) -> bytes:
    if ek.find("ds:KeyInfo/xenc:AgreementMethod", NS) is not None:
        return unwrap_ecdh(ek, key)
    return unwrap_rsa(ek, key)


def decrypt_document(data: bytes, keys) -> bytes:
    """Returns the plaintext of the first EncryptedData in `data`, trying every key."""
    root = parse_xml(data)
    eds = root.xpath("descendant-or-self::xenc:EncryptedData", namespaces=NS)
    if not eds:
        raise OracleError("no xenc:EncryptedData")
    ed = eds[0]
    alg = ed.find("xenc:EncryptionMethod", NS).get("Algorithm")
    if alg not in GCM:
        raise OracleError(f"unsupported data encryption {alg}")
    eks = ed.findall("ds:KeyInfo/xenc:EncryptedKey", NS)
    if not eks and ed.getparent() is not None:
        eks = ed.getparent().findall("xenc:EncryptedKey", NS)
    if not eks:
        raise OracleError("no xenc:EncryptedKey")
    errors = []
    cek = None
    for ek in eks:
        for key in keys:
            try:
                cek = unwrap(ek, key)
                break
            except OracleError as exc:
                errors.append(str(exc))
        if cek is not None:
            break
    if cek is None:
        raise OracleError("; ".join(errors))
    if len(cek) != GCM[alg]:
        raise OracleError("content key has the wrong length")
    blob = b64(ed.find("xenc:CipherData/xenc:CipherValue", NS))
    if len(blob) < 12 + 16:
        raise OracleError("CipherValue shorter than IV + tag")
    try:
        return AESGCM(cek).decrypt(blob[:12], blob[12:], None)
    except Exception as exc:  # InvalidTag
        raise OracleError("AES-GCM tag check failed") from exc


def load_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--key", action="append", required=True, help="PEM private key (repeatable)")
    ap.add_argument("file")
    args = ap.parse_args()
    try:
        keys = [load_key(k) for k in args.key]
        with open(args.file, "rb") as f:
            plaintext = decrypt_document(f.read(), keys)
    except (OracleError, OSError, ValueError, etree.XMLSyntaxError, AttributeError) as exc:
        print(f"decrypt_cryptography: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(plaintext)
    return 0


if __name__ == "__main__":
    sys.exit(main())
