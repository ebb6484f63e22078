#!/usr/bin/env python3
"""Sign the document element of an XML file with signxml (5.x); write the result to stdout.

Independent XML-DSig signer for the Rust tests (ours must verify what this produces).

Usage:
    sign_signxml.py --key KEY.pem --cert CERT.pem --alg SIGNATURE_METHOD_URI --digest DIGEST_URI FILE

The enveloped ds:Signature is placed right after the first child element whose local name is
`Issuer` (or as the first child when there is none), with Reference URI="#" + the document
element's `ID`, transforms [enveloped-signature, exc-c14n] and exc-c14n for SignedInfo. KeyInfo
carries the certificate.

signxml caveats (5.2.0): it re-parses the document before signing, so CDATA sections come out
as escaped text; and its `inclusive_ns_prefixes` option is NOT offered here because for
enveloped signatures signxml writes the InclusiveNamespaces only on SignedInfo's
CanonicalizationMethod while also using the prefixes for the Reference digest, which yields
signatures that no verifier (signxml included) accepts.
"""

import argparse
import sys

from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner
from signxml.exceptions import InvalidInput, SignXMLException

DS = "http://www.w3.org/2000/09/xmldsig#"


def sign(data: bytes, key_pem: bytes, cert_pem: str, alg: str, digest: str) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, strip_cdata=False)
    root = etree.fromstring(data, parser)
    root_id = root.get("ID")
    if not root_id:
        raise ValueError("the document element has no ID attribute")
    placeholder = etree.Element(f"{{{DS}}}Signature", {"Id": "placeholder"}, nsmap={"ds": DS})
    issuers = [c for c in root if isinstance(c.tag, str) and etree.QName(c).localname == "Issuer"]
    if issuers:
        issuer = issuers[0]
        placeholder.tail = issuer.tail
        issuer.addnext(placeholder)
    else:
        placeholder.tail = root.text
        root.insert(0, placeholder)
    signer = XMLSigner(
        signature_algorithm=SignatureMethod(alg),
        digest_algorithm=DigestAlgorithm(digest),
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = signer.sign(root, key=key_pem, cert=cert_pem, reference_uri=f"#{root_id}", id_attribute="ID")
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--key", required=True, help="signing private key (PEM)")
    ap.add_argument("--cert", required=True, help="certificate put in KeyInfo (PEM)")
    ap.add_argument("--alg", required=True, help="SignatureMethod URI")
    ap.add_argument("--digest", required=True, help="DigestMethod URI")
    ap.add_argument("file")
    args = ap.parse_args()
    try:
        with open(args.key, "rb") as f:
            key = f.read()
        with open(args.cert, encoding="ascii") as f:
            cert = f.read()
        with open(args.file, "rb") as f:
            out = sign(f.read(), key, cert, args.alg, args.digest)
    except (OSError, ValueError, etree.XMLSyntaxError, SignXMLException, InvalidInput) as exc:
        print(f"sign_signxml: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
