#!/usr/bin/env python3
"""Verify the enveloped XML signature of the document element with signxml (5.x).

Independent XML-DSig oracle for the Rust tests. Exit 0 and print "OK {ns}LocalName" of the
element the signature covers when signxml verifies FILE with --cert, accepting only the
signature method --alg (and digests SHA-256/384/512, or only --digest when given); exit 1
with a message otherwise.

Usage:
    verify_signxml.py --cert CERT.pem --alg SIGNATURE_METHOD_URI [--digest DIGEST_URI] FILE

Example --alg values: http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1,
http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256.

The signature must be a direct child of the document element (signxml location "./"), with
exactly one Reference. KeyInfo is not used for key selection (the key is --cert). signxml
validates the ds:Signature against the XML-DSig schema, so non-schema shapes fail here.
"""

import argparse
import sys

from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLVerifier
from signxml.exceptions import InvalidInput, SignXMLException
from signxml.verifier import SignatureConfiguration

SHA2 = frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512})


def verify(data: bytes, cert_pem: str, alg: str, digest: str | None = None) -> str:
    config = SignatureConfiguration(
        location="./",
        expect_references=1,
        signature_methods=frozenset({SignatureMethod(alg)}),
        digest_algorithms=frozenset({DigestAlgorithm(digest)}) if digest else SHA2,
    )
    result = XMLVerifier().verify(data, x509_cert=cert_pem, expect_config=config)
    return result.signed_xml.tag


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cert", required=True, help="trusted signer certificate (PEM)")
    ap.add_argument("--alg", required=True, help="the only SignatureMethod URI accepted")
    ap.add_argument("--digest", default=None, help="the only DigestMethod URI accepted (default: SHA-2)")
    ap.add_argument("file")
    args = ap.parse_args()
    try:
        with open(args.cert, encoding="ascii") as f:
            cert = f.read()
        with open(args.file, "rb") as f:
            tag = verify(f.read(), cert, args.alg, args.digest)
    except (OSError, ValueError, etree.XMLSyntaxError, SignXMLException, InvalidInput) as exc:
        print(f"verify_signxml: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"OK {tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
