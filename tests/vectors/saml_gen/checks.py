"""Cross-checks of every generated vector with implementations other than the ones that made it.

- Response / Assertion / metadata signatures: signxml (`tests/oracles/verify_signxml.py`),
  which did not sign anything here, plus python-xmlsec for the record.
- Decryption: `tests/oracles/decrypt_cryptography.py` (pyca/cryptography; it shares no code
  with libxmlsec1, which encrypted the RSA vectors). CBC, which that oracle refuses on
  purpose, is decrypted here with cryptography directly.
- The decrypted Assertion is parsed (in the namespace context of its EncryptedAssertion when
  it relies on it) and its values are compared with the manifest's `expect_values`.

The verdicts go into the manifest `crosscheck` field; the generator stops when a verdict
differs from what the vector is meant to have.
"""

import base64
import copy

import xmlsec
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

import decrypt_cryptography
import verify_signxml

from . import scenario as s
from .xmlcrypto import PSS_SHA256, pki_path

NS = {"saml2p": s.NS_SAMLP, "saml2": s.NS_SAML, "ds": s.NS_DS, "xenc": s.NS_XENC}


def _parser():
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, strip_cdata=False)


def parse(data: bytes):
    return etree.fromstring(data, _parser())


def _pem(name: str) -> str:
    return pki_path(name, "crt").read_text(encoding="ascii")


def signxml_verdict(data: bytes, signer: str) -> str:
    """signxml: the enveloped signature that is a direct child of the document element."""
    try:
        tag = verify_signxml.verify(data, _pem(signer), PSS_SHA256)
        return f"valid ({etree.QName(tag).localname})"
    except Exception as exc:  # noqa: BLE001 (every failure is a verdict)
        return f"invalid: {type(exc).__name__}: {str(exc)[:120]}"


def xmlsec_verdict(data: bytes, signer: str, *, id_attrs=True) -> str:
    """python-xmlsec on the first ds:Signature child of the root, IDs registered naively
    (every `ID`, and `Id` on XML-Enc elements): what a non-anchored verifier would say."""
    try:
        root = parse(data)
        sigs = root.findall("ds:Signature", NS)
        if not sigs:
            return "invalid: no ds:Signature child of the root"
        ctx = xmlsec.SignatureContext()
        if id_attrs:
            for el in root.iter(etree.Element):
                if el.get("ID") is not None:
                    ctx.register_id(el, "ID")
                if el.get("Id") is not None and etree.QName(el).namespace == s.NS_XENC:
                    ctx.register_id(el, "Id")
        ctx.key = xmlsec.Key.from_file(str(pki_path(signer, "crt")), xmlsec.KeyFormat.CERT_PEM)
        ctx.verify(sigs[0])
        return "valid"
    except Exception as exc:  # noqa: BLE001
        return f"invalid: {type(exc).__name__}: {exc}"


def _keys():
    return [decrypt_cryptography.load_key(pki_path(s.SP_ENC_RSA, "key")),
            decrypt_cryptography.load_key(pki_path(s.SP_ENC_EC, "key"))]


def _decrypt_cbc(encrypted_data) -> bytes:
    """RSA-OAEP(SHA-256, MGF1-SHA-256) + AES-256-CBC with the XML-Enc padding (last byte = pad length)."""
    ek = encrypted_data.find("ds:KeyInfo/xenc:EncryptedKey", NS)
    wrapped = base64.b64decode("".join(ek.find("xenc:CipherData/xenc:CipherValue", NS).itertext()))
    key = serialization.load_pem_private_key(pki_path(s.SP_ENC_RSA, "key").read_bytes(), password=None)
    cek = key.decrypt(wrapped, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    blob = base64.b64decode("".join(encrypted_data.find("xenc:CipherData/xenc:CipherValue", NS).itertext()))
    dec = Cipher(algorithms.AES(cek), modes.CBC(blob[:16])).decryptor()
    padded = dec.update(blob[16:]) + dec.finalize()
    # XML-Enc padding is not PKCS#7: only the last byte (the pad length) is meaningful.
    return padded[: -padded[-1]]


def decrypt(encrypted_assertion) -> tuple[str, bytes | None]:
    """Decrypts one saml2:EncryptedAssertion element; returns (verdict, plaintext)."""
    ed = encrypted_assertion.find("xenc:EncryptedData", NS)
    alg = ed.find("xenc:EncryptionMethod", NS).get("Algorithm")
    try:
        if alg.endswith("aes256-cbc"):
            return "decrypted (cryptography, CBC by hand)", _decrypt_cbc(ed)
        standalone = etree.tostring(copy.deepcopy(ed))
        return "decrypted (decrypt_cryptography oracle)", decrypt_cryptography.decrypt_document(standalone, _keys())
    except Exception as exc:  # noqa: BLE001
        return f"not decrypted: {type(exc).__name__}: {exc}", None


def parse_plaintext(plaintext: bytes, encrypted_assertion):
    """Parses decrypted content; when it relies on prefixes declared by ancestors, parses it
    inside a synthetic element that declares the EncryptedAssertion's in-scope namespaces.

    Returns (verdict, element or None)."""
    if plaintext.lstrip().startswith(b"<!DOCTYPE"):
        return "plaintext has a DOCTYPE", None
    try:
        return "standalone", parse(plaintext)
    except etree.XMLSyntaxError:
        pass
    decls = " ".join(f'xmlns:{p}="{u}"' for p, u in encrypted_assertion.nsmap.items() if p)
    wrapper = parse(f"<context {decls}>".encode() + plaintext + b"</context>")
    return "in the Response's namespace context", wrapper[0]


def values_of(assertion) -> dict:
    """What a correct connector extracts from the Assertion, in the manifest's vocabulary
    (legal-person attributes apart, under `legal`)."""
    out, non_latin, legal = {}, {}, {}
    latin_attr = f"{{{s.NS_NATURAL}}}LatinScript"
    for attr in assertion.iterfind("saml2:AttributeStatement/saml2:Attribute", NS):
        short = attr.get("Name").rsplit("/", 1)[-1]
        for v in attr.iterfind("saml2:AttributeValue", NS):
            text = v.text or ""
            if attr.get("Name").startswith(s.LEGAL):
                legal[short] = text
                continue
            if v.get(latin_attr) == "false":
                non_latin[short] = text
                continue
            if short == "CurrentAddress":
                decoded = base64.b64decode(text).decode("utf-8")
                frag = parse(f'<a xmlns:eidas-natural="{s.NS_NATURAL}">{decoded}</a>'.encode())
                out[short] = {etree.QName(c).localname: c.text for c in frag}
            else:
                out[short] = text
    name_id = assertion.find("saml2:Subject/saml2:NameID", NS)
    formats = {s.NAMEID_PERSISTENT: "persistent", s.NAMEID_TRANSIENT: "transient", s.NAMEID_UNSPECIFIED: "unspecified"}
    loa = assertion.findtext("saml2:AuthnStatement/saml2:AuthnContext/saml2:AuthnContextClassRef", namespaces=NS)
    identity = {
        "issuer": assertion.findtext("saml2:Issuer", namespaces=NS),
        "country": s.COUNTRY,
        "loa": {v: k for k, v in s.LOA.items()}.get(loa, loa),
        "name_id": name_id.text,
        "name_id_format": formats[name_id.get("Format")],
        "assertion_id": assertion.get("ID"),
    }
    return {"values": out, "non_latin": non_latin, "legal": legal, "identity": identity}


def check_response(data: bytes, *, want: dict) -> dict:
    """Runs every cross-check on a Response and compares with `want`.

    `want` keys (all optional):
      response_sig   bool: signxml (anchored at the root, idp key) must say valid / invalid;
      naive_valid    signer name: python-xmlsec with naive ID registration must say valid with
                     that signer's certificate (the signature is cryptographically sound);
      decrypt        bool: every EncryptedAssertion child of the root must / must not decrypt
                     with our keys;
      decrypt_with   key name: ...and must decrypt with that (foreign) key instead;
      assertion_sig  bool: the Assertion signature must verify (signxml) / must not;
      nested_sig     bool: an Assertion nested in the decrypted one must carry a signature that
                     verifies (signxml, the proxy's key) / must not.
    Returns {"crosscheck": {...}, "assertion": the first decrypted element or None}.
    """
    root = parse(data)
    cc = {
        "response_signature_signxml": signxml_verdict(data, s.IDP_SIGNING),
        "response_signature_python_xmlsec": xmlsec_verdict(data, s.IDP_SIGNING),
    }
    problems = []
    if want.get("response_sig") is not None:
        if cc["response_signature_signxml"].startswith("valid") != want["response_sig"]:
            problems.append(f"response signature: {cc['response_signature_signxml']}")
    if want.get("naive_valid"):
        verdict = xmlsec_verdict(data, want["naive_valid"])
        cc[f"naive_python_xmlsec_with_{want['naive_valid']}"] = verdict
        if verdict != "valid":
            problems.append(f"naive verification: {verdict}")
    assertion = None
    for i, ea in enumerate(root.findall("saml2:EncryptedAssertion", NS)):
        suffix = "" if i == 0 else f"_{i + 1}"
        verdict, plaintext = decrypt(ea)
        cc["decrypt" + suffix] = verdict
        if want.get("decrypt") is not None and (plaintext is not None) != want["decrypt"]:
            problems.append(f"decrypt: {verdict}")
        if plaintext is None and want.get("decrypt_with"):
            other = [decrypt_cryptography.load_key(pki_path(want["decrypt_with"], "key"))]
            standalone = etree.tostring(copy.deepcopy(ea.find("xenc:EncryptedData", NS)))
            try:
                decrypt_cryptography.decrypt_document(standalone, other)
                cc["decrypt_with_" + want["decrypt_with"]] = "decrypted"
            except Exception as exc:  # noqa: BLE001
                problems.append(f"decrypt with {want['decrypt_with']}: {exc}")
        if plaintext is None:
            continue
        how, element = parse_plaintext(plaintext, ea)
        cc["plaintext" + suffix] = how if element is None else f"{etree.QName(element).localname} ({how})"
        if element is not None and element.find("ds:Signature", NS) is not None:
            cc["assertion_signature_signxml" + suffix] = signxml_verdict(etree.tostring(element), s.IDP_SIGNING)
        for nested in ([] if element is None else element.iterfind(".//saml2:Assertion", NS)):
            verdict = (signxml_verdict(etree.tostring(nested), s.IDP_SIGNING)
                       if nested.find("ds:Signature", NS) is not None else "absent")
            cc["nested_assertion_signature_signxml" + suffix] = verdict
        if assertion is None:
            assertion = element
    if want.get("assertion_sig") is not None:
        got = cc.get("assertion_signature_signxml", "absent")
        if got.startswith("valid") != want["assertion_sig"]:
            problems.append(f"assertion signature: {got}")
    if want.get("nested_sig") is not None:
        got = cc.get("nested_assertion_signature_signxml", "absent")
        if got.startswith("valid") != want["nested_sig"]:
            problems.append(f"nested assertion signature: {got}")
    if problems:
        raise AssertionError("; ".join(problems))
    return {"crosscheck": cc, "assertion": assertion}


def check_metadata(data: bytes, *, valid: bool) -> dict:
    cc = {"signature_signxml": signxml_verdict(data, s.METADATA_SIGNER),
          "signature_python_xmlsec": xmlsec_verdict(data, s.METADATA_SIGNER)}
    if cc["signature_signxml"].startswith("valid") != valid:
        raise AssertionError(f"metadata signature: {cc['signature_signxml']}")
    return cc
