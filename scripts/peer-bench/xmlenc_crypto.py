"""XML-Enc decryption of an EncryptedAssertion with `cryptography`, as SATOSA/pysaml2-like Python
stacks built on signxml do it (signxml signs and verifies only; decryption is the stack's own code).

Supported, as the workload needs: AES-GCM content (xmlenc11#aes128/192/256-gcm) with the key
transported by xmlenc11#rsa-oaep (DigestMethod and MGF as declared) or xmlenc#rsa-oaep-mgf1p, or
agreed by xmlenc11#ECDH-ES + ConcatKDF (SHA-256/384/512) + xmlenc#kw-aes128/192/256.
"""

import base64

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap
from lxml import etree

from common import NS, PARSER, Reject

DIGESTS = {
    "http://www.w3.org/2000/09/xmldsig#sha1": hashes.SHA1,
    "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmlenc#sha512": hashes.SHA512,
}
MGFS = {
    "http://www.w3.org/2009/xmlenc11#mgf1sha1": hashes.SHA1,
    "http://www.w3.org/2009/xmlenc11#mgf1sha256": hashes.SHA256,
    "http://www.w3.org/2009/xmlenc11#mgf1sha384": hashes.SHA384,
    "http://www.w3.org/2009/xmlenc11#mgf1sha512": hashes.SHA512,
}
GCM = {f"http://www.w3.org/2009/xmlenc11#aes{n}-gcm": n // 8 for n in (128, 192, 256)}
KW = {f"http://www.w3.org/2001/04/xmlenc#kw-aes{n}": n // 8 for n in (128, 192, 256)}
RSA_OAEP = "http://www.w3.org/2009/xmlenc11#rsa-oaep"
RSA_OAEP_MGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
ECDH_ES = "http://www.w3.org/2009/xmlenc11#ECDH-ES"
CONCAT_KDF = "http://www.w3.org/2009/xmlenc11#ConcatKDF"
CURVES = {"urn:oid:1.2.840.10045.3.1.7": ec.SECP256R1(), "urn:oid:1.3.132.0.34": ec.SECP384R1(),
          "urn:oid:1.3.132.0.35": ec.SECP521R1()}


def load_key(pem):
    return serialization.load_pem_private_key(pem, password=None)


def b64(element):
    if element is None or not element.text:
        raise Reject("xmlenc.no_cipher_value")
    return base64.b64decode("".join(element.text.split()))


def bitstring(hex_text):
    """ConcatKDFParams' hex bit strings: the first byte counts padding bits, the rest is the value."""
    raw = bytes.fromhex(hex_text or "")
    return raw[1:] if raw else b""


def rsa_unwrap(key, encrypted_key):
    method = encrypted_key.find("xenc:EncryptionMethod", NS)
    algorithm = method.get("Algorithm")
    digest = method.find("ds:DigestMethod", NS)
    hash_cls = DIGESTS.get(digest.get("Algorithm")) if digest is not None else hashes.SHA1
    if algorithm == RSA_OAEP:
        mgf = method.find("xenc11:MGF", NS)
        mgf_cls = MGFS.get(mgf.get("Algorithm")) if mgf is not None else hashes.SHA1
    elif algorithm == RSA_OAEP_MGF1P:
        mgf_cls = hashes.SHA1
    else:
        raise Reject("xmlenc.key_transport_refused")
    if hash_cls is None or mgf_cls is None:
        raise Reject("xmlenc.oaep_parameters_refused")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise Reject("xmlenc.wrong_key_type")
    oaep = padding.OAEP(mgf=padding.MGF1(mgf_cls()), algorithm=hash_cls(), label=None)
    return key.decrypt(b64(encrypted_key.find("xenc:CipherData/xenc:CipherValue", NS)), oaep)


def ecdh_unwrap(key, encrypted_key, agreement):
    kw = KW.get(encrypted_key.find("xenc:EncryptionMethod", NS).get("Algorithm"))
    if kw is None:
        raise Reject("xmlenc.key_wrap_refused")
    kdf = agreement.find("xenc11:KeyDerivationMethod", NS)
    if kdf is None or kdf.get("Algorithm") != CONCAT_KDF:
        raise Reject("xmlenc.kdf_refused")
    params = kdf.find("xenc11:ConcatKDFParams", NS)
    hash_cls = DIGESTS.get(params.find("ds:DigestMethod", NS).get("Algorithm"))
    if hash_cls is None or hash_cls is hashes.SHA1:
        raise Reject("xmlenc.kdf_digest_refused")
    ec_value = agreement.find("xenc:OriginatorKeyInfo/ds:KeyValue/dsig11:ECKeyValue", NS)
    curve = CURVES.get(ec_value.find("dsig11:NamedCurve", NS).get("URI"))
    if curve is None or not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != curve.name:
        raise Reject("xmlenc.curve_mismatch")
    originator = ec.EllipticCurvePublicKey.from_encoded_point(curve, b64(ec_value.find("dsig11:PublicKey", NS)))
    shared = key.exchange(ec.ECDH(), originator)
    other = b"".join(bitstring(params.get(a)) for a in ("AlgorithmID", "PartyUInfo", "PartyVInfo"))
    kek = ConcatKDFHash(algorithm=hash_cls(), length=kw, otherinfo=other).derive(shared)
    return aes_key_unwrap(kek, b64(encrypted_key.find("xenc:CipherData/xenc:CipherValue", NS)))


def decrypt_assertion(key, encrypted_assertion):
    """The decrypted Assertion element of `encrypted_assertion` (saml:EncryptedAssertion)."""
    data = encrypted_assertion.find("xenc:EncryptedData", NS)
    if data is None:
        raise Reject("xmlenc.no_encrypted_data")
    key_size = GCM.get(data.find("xenc:EncryptionMethod", NS).get("Algorithm"))
    if key_size is None:
        raise Reject("xmlenc.content_encryption_refused")
    encrypted_key = data.find("ds:KeyInfo/xenc:EncryptedKey", NS)
    if encrypted_key is None:
        encrypted_key = encrypted_assertion.find("xenc:EncryptedKey", NS)
    if encrypted_key is None:
        raise Reject("xmlenc.no_encrypted_key")
    agreement = encrypted_key.find("ds:KeyInfo/xenc:AgreementMethod", NS)
    if agreement is not None:
        if agreement.get("Algorithm") != ECDH_ES:
            raise Reject("xmlenc.key_agreement_refused")
        cek = ecdh_unwrap(key, encrypted_key, agreement)
    else:
        cek = rsa_unwrap(key, encrypted_key)
    if len(cek) != key_size:
        raise Reject("xmlenc.key_size_mismatch")
    blob = b64(data.find("xenc:CipherData/xenc:CipherValue", NS))
    plaintext = AESGCM(cek).decrypt(blob[:12], blob[12:], None)
    return etree.fromstring(plaintext, PARSER)
