#!/usr/bin/env python3
"""Encrypt the document element of an XML file with python-xmlsec (libxmlsec1 1.3.9).

Independent XML-Enc encrypter for the Rust tests (ours must decrypt what this produces).
Writes to stdout an xenc:EncryptedData (Type …#Element) ready to be placed inside a
saml2:EncryptedAssertion, or the whole saml2:EncryptedAssertion with --wrap.

Usage:
    encrypt_xmlsec.py --cert CERT.pem [--cipher aes256-gcm] [--wrap] FILE

  --cipher  aes128-gcm | aes192-gcm | aes256-gcm (default) | aes128-cbc | aes256-cbc
            (the CBC ones exist to make negative vectors)
  --wrap    emit <saml2:EncryptedAssertion> around the EncryptedData

Key transport is xmlenc11#rsa-oaep with ds:DigestMethod sha256 and xenc11:MGF mgf1sha256 to
the RSA public key of --cert; the EncryptedKey sits in EncryptedData/ds:KeyInfo and names the
certificate in ds:KeyInfo/ds:X509Data. The plaintext is libxmlsec1's serialization of the
element: the same infoset as FILE's root, but not always the same bytes (no XML declaration;
a character reference such as &#10; may come out as the character). Use decrypt_cryptography.py
to get the exact plaintext.
"""

import argparse
import sys

import xmlsec
from lxml import etree

XENC = "http://www.w3.org/2001/04/xmlenc#"
SAML2 = "urn:oasis:names:tc:SAML:2.0:assertion"
CIPHERS = {
    "aes128-gcm": ("http://www.w3.org/2009/xmlenc11#aes128-gcm", 128),
    "aes192-gcm": ("http://www.w3.org/2009/xmlenc11#aes192-gcm", 192),
    "aes256-gcm": ("http://www.w3.org/2009/xmlenc11#aes256-gcm", 256),
    "aes128-cbc": ("http://www.w3.org/2001/04/xmlenc#aes128-cbc", 128),
    "aes256-cbc": ("http://www.w3.org/2001/04/xmlenc#aes256-cbc", 256),
}
TEMPLATE = """<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" \
xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Type="http://www.w3.org/2001/04/xmlenc#Element">\
<xenc:EncryptionMethod Algorithm="{cipher}"/><ds:KeyInfo><xenc:EncryptedKey>\
<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#rsa-oaep">\
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>\
<xenc11:MGF xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/>\
</xenc:EncryptionMethod><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>\
<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>\
<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>"""


def encrypt(data: bytes, cert_path: str, cipher: str, wrap: bool) -> bytes:
    uri, bits = CIPHERS[cipher]
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, strip_cdata=False)
    root = etree.fromstring(data, parser)
    # A namespace-free holder, so that libxmlsec1 replaces a child rather than the document element
    # (a holder declaring xmlns:saml2 would make lxml drop the element's own, identical declaration).
    holder = etree.Element("holder")
    holder.append(root)
    template = etree.fromstring(TEMPLATE.format(cipher=uri).encode())
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_file(cert_path, xmlsec.KeyFormat.CERT_PEM))
    ctx = xmlsec.EncryptionContext(manager)
    ctx.key = xmlsec.Key.generate(xmlsec.KeyData.AES, bits, xmlsec.KeyDataType.SESSION)
    encrypted = etree.tostring(ctx.encrypt_xml(template, root))
    if wrap:
        return f'<saml2:EncryptedAssertion xmlns:saml2="{SAML2}">'.encode() + encrypted + b"</saml2:EncryptedAssertion>"
    return encrypted


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cert", required=True, help="recipient certificate (RSA, PEM)")
    ap.add_argument("--cipher", default="aes256-gcm", choices=sorted(CIPHERS))
    ap.add_argument("--wrap", action="store_true", help="wrap the output in saml2:EncryptedAssertion")
    ap.add_argument("file")
    args = ap.parse_args()
    try:
        with open(args.file, "rb") as f:
            out = encrypt(f.read(), args.cert, args.cipher, args.wrap)
    except (OSError, ValueError, etree.XMLSyntaxError, xmlsec.Error) as exc:
        print(f"encrypt_xmlsec: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
