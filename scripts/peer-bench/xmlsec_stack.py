#!/usr/bin/env python3
"""The python-xmlsec stack (python3-saml's engine): libxmlsec1 1.3 in-process via `xmlsec` + lxml.

Per Response: parse (lxml, hardened parser), verify the Response's enveloped signature with the
proxy service's signing certificate taken from its metadata (the metadata's own signature is
verified once, at load, against the workload's trust anchor), check that the signature covers
the document element, decrypt the EncryptedAssertion with the connector's key (libxmlsec1 reads
the algorithms from the document: AES-GCM with RSA-OAEP), then the basic SAML conditions
(common.py).

ECDH-ES: the libxmlsec1 1.3.9 bundled with python-xmlsec 1.3.17 does not read the originator's
`ds:KeyValue/dsig11:ECKeyValue` ("unexpected node: KeyValue", then "key is not found"), so it
cannot decrypt the eidas-ec Responses. As a python3-saml user would have to, this script then
unwraps the key with `cryptography` (xmlenc_crypto.py) and says so on a `# note:` line; the
signature is still verified by libxmlsec1.

    scripts/peer-bench/xmlsec_stack.py WORKLOAD_DIR --profile eidas-rsa|eidas-ec [--rounds N]
"""

import sys

import xmlsec
from lxml import etree

import common
import xmlenc_crypto
from common import NS, PARSER, Reject


def signing_key(workload):
    """The proxy's signing key from its metadata, once the metadata's signature checks out."""
    metadata = etree.fromstring(workload.read(workload.profile["idp_metadata"]), PARSER)
    xmlsec.tree.add_ids(metadata, ["ID"])
    signature = metadata.find("ds:Signature", NS)
    if signature is None:
        raise SystemExit("the proxy's metadata is not signed")
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_file(workload.path(workload.profile["trust"]), xmlsec.constants.KeyDataFormatCertPem)
    ctx.verify(signature)
    certs = metadata.findall(".//md:IDPSSODescriptor/md:KeyDescriptor[@use='signing']//ds:X509Certificate", NS)
    if not certs:
        certs = metadata.findall(".//md:IDPSSODescriptor/md:KeyDescriptor//ds:X509Certificate", NS)
    if not certs:
        raise SystemExit("no signing certificate in the proxy's metadata")
    b64 = "".join(certs[0].text.split())
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)) + \
        "\n-----END CERTIFICATE-----\n"
    return xmlsec.Key.from_memory(pem.encode(), xmlsec.constants.KeyDataFormatCertPem)


def make_validator(workload):
    key = signing_key(workload)
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_file(workload.path(workload.profile["sp_key"]), xmlsec.constants.KeyDataFormatPem))
    with open(workload.path(workload.profile["sp_key"]), "rb") as f:
        ecdh_key = xmlenc_crypto.load_key(f.read())
    if "key_agreement" in workload.profile.get("algorithms", {}):
        print("# note: python-xmlsec: ECDH-ES key agreement done with cryptography "
              "(the bundled libxmlsec1 1.3.9 cannot read the originator's ECKeyValue)")

    def validate(data, file):
        root = etree.fromstring(data, PARSER)
        signature = root.find("ds:Signature", NS)
        if signature is None:
            raise Reject("xmldsig.unsigned_response")
        # The signature must cover the document element (python3-saml's wrapping defence).
        refs = signature.findall("ds:SignedInfo/ds:Reference", NS)
        if len(refs) != 1 or refs[0].get("URI") != "#" + (root.get("ID") or ""):
            raise Reject("xmldsig.reference_not_document")
        xmlsec.tree.add_ids(root, ["ID"])
        ctx = xmlsec.SignatureContext()
        ctx.key = key
        try:
            ctx.verify(signature)
        except xmlsec.Error:
            raise Reject("xmldsig.signature_invalid")
        encrypted = common.check_response(root, workload, file)
        data_element = encrypted.find("xenc:EncryptedData", NS)
        if data_element is None:
            raise Reject("xmlenc.no_encrypted_data")
        if data_element.find("ds:KeyInfo/xenc:EncryptedKey/ds:KeyInfo/xenc:AgreementMethod", NS) is not None:
            common.check_assertion(xmlenc_crypto.decrypt_assertion(ecdh_key, encrypted), workload, file)
            return
        try:
            assertion = xmlsec.EncryptionContext(manager).decrypt(data_element)
        except xmlsec.Error:
            raise Reject("xmlenc.decryption_failed")
        common.check_assertion(assertion, workload, file)

    return validate


if __name__ == "__main__":
    sys.exit(common.run("python-xmlsec", make_validator))
