#!/usr/bin/env python3
"""Exclusive XML canonicalization 1.0 (without comments) with lxml/libxml2.

Differential-testing oracle for our Rust exc-c14n. It prints the canonical bytes of the
document element, or of the element whose `ID` attribute equals --xpath-id, to stdout.

Usage:
    c14n_lxml.py [--prefixes "xsd eidas-natural"] [--xpath-id ID] [--exclude-signature] FILE

  --prefixes           InclusiveNamespaces PrefixList (space separated; "#default" allowed)
  --xpath-id ID        canonicalize the element with @ID = ID (exactly one must exist)
  --exclude-signature  drop every ds:Signature that is a direct child of that element first
                       (what the enveloped-signature transform does); the whitespace text
                       after it is kept, as the transform keeps it

Note: lxml's c14n serializer keeps comments unless told otherwise; this script always passes
with_comments=False. The input is parsed without DTD loading, entities or network access.
"""

import argparse
import sys

from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"


def remove_keeping_tail(el):
    """Removes `el` but keeps the text that follows it (lxml stores it in el.tail)."""
    parent = el.getparent()
    prev = el.getprevious()
    if el.tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def canonicalize(data: bytes, prefixes=None, xpath_id=None, exclude_signature=False) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, strip_cdata=False)
    root = etree.fromstring(data, parser)
    target = root
    if xpath_id is not None:
        found = root.xpath("//*[@ID=$v]", v=xpath_id)
        if len(found) != 1:
            raise ValueError(f"expected exactly one element with ID={xpath_id!r}, found {len(found)}")
        target = found[0]
    if exclude_signature:
        for sig in target.findall(f"{{{DS}}}Signature"):
            remove_keeping_tail(sig)
    return etree.tostring(
        target, method="c14n", exclusive=True, with_comments=False, inclusive_ns_prefixes=prefixes or None
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prefixes", default="", help='InclusiveNamespaces PrefixList, e.g. "xsd eidas-natural"')
    ap.add_argument("--xpath-id", default=None, help="canonicalize the element with this ID attribute")
    ap.add_argument("--exclude-signature", action="store_true", help="drop direct-child ds:Signature first")
    ap.add_argument("file")
    args = ap.parse_args()
    try:
        with open(args.file, "rb") as f:
            out = canonicalize(f.read(), args.prefixes.split(), args.xpath_id, args.exclude_signature)
    except (OSError, ValueError, etree.XMLSyntaxError) as exc:
        print(f"c14n_lxml: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
