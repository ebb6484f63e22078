#!/usr/bin/env python3
"""The signxml stack (SATOSA/pysaml2-like Python SPs without xmlsec1): signxml verifies, lxml parses,
`cryptography` decrypts (xmlenc_crypto.py).

Per Response: parse (lxml, hardened parser), `XMLVerifier.verify` of the Response's own signature
(one reference, eIDAS algorithms only, exclusive c14n, the proxy's certificate from its metadata;
the metadata's signature is verified once at load against the workload's trust anchor), then
only what signxml returns as signed is used: the EncryptedAssertion decrypted with the
connector's key, then the basic SAML conditions (common.py).

    scripts/peer-bench/signxml_stack.py WORKLOAD_DIR --profile eidas-rsa|eidas-ec [--rounds N]
"""

import sys

from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLVerifier
from signxml.verifier import SignatureConfiguration

import common
import xmlenc_crypto
from common import NS, PARSER, Reject

EIDAS_SIGNATURES = frozenset({
    SignatureMethod.SHA256_RSA_MGF1, SignatureMethod.SHA384_RSA_MGF1, SignatureMethod.SHA512_RSA_MGF1,
    SignatureMethod.ECDSA_SHA256, SignatureMethod.ECDSA_SHA384, SignatureMethod.ECDSA_SHA512,
})
EIDAS_DIGESTS = frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512})


def pem_of(b64_text):
    b64 = "".join(b64_text.split())
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)) + \
        "\n-----END CERTIFICATE-----\n"


def signing_cert(workload):
    """The proxy's signing certificate from its metadata, once the metadata's signature checks out."""
    with open(workload.path(workload.profile["trust"]), encoding="ascii") as f:
        trust = f.read()
    metadata = XMLVerifier().verify(
        workload.read(workload.profile["idp_metadata"]), x509_cert=trust, ignore_ambiguous_key_info=True,
        expect_config=SignatureConfiguration(location="./", signature_methods=EIDAS_SIGNATURES,
                                             digest_algorithms=EIDAS_DIGESTS),
    ).signed_xml
    certs = metadata.findall(".//md:IDPSSODescriptor/md:KeyDescriptor[@use='signing']//ds:X509Certificate", NS) or \
        metadata.findall(".//md:IDPSSODescriptor/md:KeyDescriptor//ds:X509Certificate", NS)
    if not certs:
        raise SystemExit("no signing certificate in the proxy's metadata")
    return pem_of(certs[0].text)


def make_validator(workload):
    cert = signing_cert(workload)
    with open(workload.path(workload.profile["sp_key"]), "rb") as f:
        key = xmlenc_crypto.load_key(f.read())
    verifier = XMLVerifier()
    config = SignatureConfiguration(location="./", signature_methods=EIDAS_SIGNATURES,
                                    digest_algorithms=EIDAS_DIGESTS)

    def validate(data, file):
        root = etree.fromstring(data, PARSER)
        try:
            signed = verifier.verify(root, x509_cert=cert, expect_config=config).signed_xml
        except Exception:
            raise Reject("xmldsig.signature_invalid")
        # Use only what signxml says was signed (its documented defence against wrapping).
        encrypted = common.check_response(signed, workload, file)
        assertion = xmlenc_crypto.decrypt_assertion(key, encrypted)
        common.check_assertion(assertion, workload, file)

    return validate


if __name__ == "__main__":
    sys.exit(common.run("signxml", make_validator))
