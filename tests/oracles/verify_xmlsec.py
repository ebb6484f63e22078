#!/usr/bin/env python3
"""Verify the enveloped XML signature of the document element with python-xmlsec (libxmlsec1).

Independent XML-DSig oracle for the Rust tests (python-xmlsec 1.3.17 bundles libxmlsec1 1.3.9,
which knows RSA-PSS `…xmldsig-more#sha256-rsa-MGF1` and ECDSA). Exit 0 and print
"OK {ns}LocalName" when the ds:Signature that is a direct child of the document element
verifies with the public key of --cert; exit 1 with a message otherwise.

Usage:
    verify_xmlsec.py --cert CERT.pem FILE

Every element's `ID` attribute is registered as an XML ID (duplicates are an error). KeyInfo
is ignored for key selection: only --cert is used. There must be exactly one direct-child
ds:Signature. The input is parsed without DTD loading, entities or network access; libxmlsec1
itself does not restrict algorithms or transforms, so use it to check cryptography, not policy.
"""

import argparse
import sys

import xmlsec
from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"


def verify(data: bytes, cert_path: str) -> str:
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, strip_cdata=False)
    root = etree.fromstring(data, parser)
    sigs = root.findall(f"{{{DS}}}Signature")
    if len(sigs) != 1:
        raise ValueError(f"expected exactly one ds:Signature child of the document element, found {len(sigs)}")
    ctx = xmlsec.SignatureContext()
    for el in root.iter(etree.Element):
        if el.get("ID") is not None:
            ctx.register_id(el, "ID")
    ctx.key = xmlsec.Key.from_file(cert_path, xmlsec.KeyFormat.CERT_PEM)
    ctx.verify(sigs[0])
    return root.tag


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cert", required=True, help="trusted signer certificate (PEM)")
    ap.add_argument("file")
    args = ap.parse_args()
    try:
        with open(args.file, "rb") as f:
            tag = verify(f.read(), args.cert)
    except (OSError, ValueError, etree.XMLSyntaxError, xmlsec.Error) as exc:
        print(f"verify_xmlsec: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"OK {tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
