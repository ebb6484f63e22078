"""Negative signature vectors: each differs from its accept sibling by the one defect in its name.

Where the defect is in the signature's shape, the vector is re-signed after the mutation (by the
hand-assembled signer), so the only reason to reject it is the profile rule. The manifest's
`crosscheck` records what libxmlsec1 (which enforces no policy) says about the cryptography.
"""

import base64
import copy
import hashlib
import re

from c14n_lxml import canonicalize, remove_keeping_tail
from lxml import etree

from .common import (
    C14N_EXC,
    C14N_EXC_WC,
    C14N_INC,
    DIGEST,
    DSA_SHA256,
    ECDSA,
    HMAC_SHA256,
    NS,
    NS_DS,
    PSS,
    RSA_SHA1,
    RSA_SHA256,
    T_BASE64,
    T_ENVELOPED,
    T_XPATH,
    XMLSEC_DIR,
)
from .docs import EVIL_NAMEID, NAMEID, assertion_xml, response_xml
from .sig_accept import base_response
from .sigemit import BASE, BASE_ASSERTION, BASE_EC, SigEmitter
from .signing import (
    DEFAULT_PREFIXES,
    ecdsa_der,
    ecdsa_raw,
    hand_sign,
    hmac_sha256,
    parse,
    pkcs1,
    pss,
    signature_xml,
    transform,
)

TEST_NS = "urn:test:vectors"


def generate(e: SigEmitter):
    _parser_level(e)
    _ids(e)
    _placement(e)
    _structure(e)
    _algorithms(e)
    _references(e)
    _crypto(e)
    _assertion_wrapping(e)


# --- helpers ----------------------------------------------------------------------------------


def _read(rel: str) -> bytes:
    return (XMLSEC_DIR / rel).read_bytes()


def _serialize(root) -> bytes:
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def _after_decl(data: bytes, insert: bytes) -> bytes:
    decl_end = data.index(b"?>") + 2
    return data[:decl_end] + b"\n" + insert + data[decl_end:]


def _sub_once(data: bytes, old: bytes, new: bytes) -> bytes:
    if data.count(old) < 1:
        raise RuntimeError(f"mutation anchor not found: {old[:60]!r}")
    return data.replace(old, new, 1)


def _make_evil(assertion_el, new_id=None):
    """Gives an Assertion element an attacker NameID (and optionally a new ID)."""
    if new_id is not None:
        assertion_el.set("ID", new_id)
    assertion_el.find(".//saml2:NameID", NS).text = EVIL_NAMEID


def _ext(inner: str) -> str:
    return f'<saml2p:Extensions>\n    {inner}\n</saml2p:Extensions>'


# --- 2.1 parser level -------------------------------------------------------------------------


def _parser_level(e):
    v, idp = e.versions, e.pki["idp-rsa3072"]
    base = _read(BASE)
    prim = v["primitives"]
    common = {"trust": [idp], "sibling": BASE}

    e.emit("reject_doctype.xml", _after_decl(base, b"<!DOCTYPE saml2p:Response [<!ELEMENT foo ANY>]>"),
           expect="xml.doctype_forbidden", generator=prim + "; DOCTYPE inserted after signing",
           proves="A1: any DOCTYPE ends processing, even when the signature stays valid.", **common)
    xxe = _after_decl(base, b'<!DOCTYPE saml2p:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    xxe = _sub_once(xxe, f">{NAMEID}</saml2:NameID>".encode(), b">&xxe;</saml2:NameID>")
    e.emit("reject_doctype_xxe.xml", xxe, expect="xml.doctype_forbidden",
           generator=prim + "; XXE DOCTYPE and &xxe; in NameID inserted after signing",
           proves="A2: an external entity is never resolved; the DOCTYPE is refused before any file access.",
           **common)
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    laughs = _after_decl(base, f'<!DOCTYPE saml2p:Response [<!ENTITY lol0 "lol">{lol}]>'.encode())
    laughs = _sub_once(laughs, b'Consent="urn:oasis:names:tc:SAML:2.0:consent:obtained"', b'Consent="&lol9;"')
    e.emit("reject_doctype_billion_laughs.xml", laughs, expect="xml.doctype_forbidden", run_xmlsec=False,
           generator=prim + "; entity bomb inserted after signing",
           proves="A3: billion laughs (&lol9; in an attribute value) is refused without expansion.", **common)
    e.emit("reject_doctype_parser_differential.xml", _parser_differential(e), expect="xml.doctype_forbidden",
           generator=prim + "; CVE-2025-25291 layout assembled as text",
           proves="A4 (ruby-saml CVE-2025-25291): parsers that end the SYSTEM literal at ' or at \" see different "
           "roots (forged vs signed); any DOCTYPE is refused.", **common)
    e.emit("reject_entity_undeclared.xml",
           _sub_once(base, f">{NAMEID}</saml2:NameID>".encode(), b">DE/FR/&foo;</saml2:NameID>"),
           expect="xml.entity_forbidden", generator=prim + "; &foo; inserted after signing",
           proves="Rule 2: an entity reference other than the five predefined ones is an error, never passed "
           "through.", **common)
    data = base_response(e.pki, nameid="DE/FR/0123456789<?x y?>abcdef")
    e.emit("reject_pi_in_nameid.xml", data, expect="xml.pi_forbidden", generator=prim, sig_alg=PSS[256],
           proves="A8: a processing instruction inside NameID is refused even though the signature (which covers "
           "PIs) is valid.", **common)
    nested = "".join(f'<t:n xmlns:t="{TEST_NS}">' if i == 0 else "<t:n>" for i in range(200)) + "</t:n>" * 200
    e.emit("reject_too_deep.xml", base_response(e.pki, resp_kw={"extensions": _ext(nested)}),
           expect="xml.too_deep", generator=prim, sig_alg=PSS[256],
           proves="A6: 200 nested elements inside samlp:Extensions exceed the depth limit (valid signature).",
           **common)
    attrs = " ".join(f'a{i}="{i}"' for i in range(100))
    e.emit("reject_too_many_attributes.xml",
           base_response(e.pki, resp_kw={"extensions": _ext(f'<t:e xmlns:t="{TEST_NS}" {attrs}/>')}),
           expect="xml.too_many_attributes", generator=prim, sig_alg=PSS[256],
           proves="A6: 100 attributes on one element exceed the attribute limit (valid signature).", **common)
    decls = " ".join(f'xmlns:n{i}="urn:test:n{i}"' for i in range(49))
    e.emit("reject_too_many_namespaces.xml",
           base_response(e.pki, resp_kw={"extensions": _ext(f'<t:e xmlns:t="{TEST_NS}" {decls}/>')}),
           expect="xml.too_many_namespaces", generator=prim, sig_alg=PSS[256],
           proves="A6: 50 namespace declarations on one element exceed the namespace limit (valid signature).",
           **common)
    e.manifest.add(
        file=BASE, op="verify", trust=[idp.cert_rel], element="root", expect="xml.too_large",
        generated={"insert_before": "</saml2p:Response>", "filler": "<!-- xml.too_large padding -->\n",
                   "min_total_bytes": 1100000},
        generator="made at test time from the file: insert `filler` before `insert_before` until the document "
        "has at least min_total_bytes bytes",
        proves="A5: a document over 1 MiB is refused before parsing (the padding is comments, so the signature "
        "would still verify).",
    )
    _encodings(e, base, common, prim)


def _parser_differential(e) -> bytes:
    """A4 layout: forged root for one parser, the signed original for the other."""
    idp = e.pki["idp-rsa3072"]
    plain = assertion_xml().replace("<![CDATA[Anna-Maria & <Zoë>]]>", "Anna-Maria &amp; &lt;Zoë&gt;")
    sig = signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=idp.cert_b64)
    original = hand_sign(response_xml(rsig=sig, body=plain), "R", pss(idp.key, 256))
    original = original.split("?>", 1)[1].strip()
    original = original[: original.rindex("</saml2p:Response>")]
    forged = response_xml(body=assertion_xml(nameid=EVIL_NAMEID), decl="").strip()
    forged = forged[: forged.rindex("</saml2p:Response>")]
    if "]]>" in original:
        raise RuntimeError("A4: the original part must not contain ]]>")
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<!DOCTYPE saml2p:Response SYSTEM 'x\"><!--'>\n"
        f"{forged}<![CDATA[-->{original}<!--]]>-->\n</saml2p:Response>\n"
    )
    return text.encode()


def _encodings(e, base, common, prim):
    latin = _sub_once(base, b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
    e.emit("reject_encoding_latin1.xml", latin, expect="xml.malformed", generator=prim + "; declaration edited",
           proves="A7: only UTF-8 is accepted; an ISO-8859-1 declaration (over UTF-8 bytes) is refused.", **common)
    utf16 = _sub_once(base, b'encoding="UTF-8"', b'encoding="UTF-16"').decode("utf-8").encode("utf-16")
    e.emit("reject_encoding_utf16.xml", utf16, expect="xml.malformed",
           generator=prim + "; transcoded to UTF-16 with BOM after signing",
           proves="A7: UTF-16 (with BOM and declaration) is refused although its signature is valid.", **common)
    e.emit("reject_invalid_utf8.xml", _sub_once(base, f">{NAMEID}<".encode(), b">DE/FR/\xc0\xaf0123<"),
           expect="xml.malformed", generator=prim + "; overlong UTF-8 sequence inserted after signing",
           proves="A7: an overlong UTF-8 sequence (C0 AF, '/') is refused.", **common)
    e.emit("reject_charref_surrogate.xml", _sub_once(base, f">{NAMEID}<".encode(), b">DE/FR/&#xD800;<"),
           expect="xml.malformed", generator=prim + "; &#xD800; inserted after signing",
           proves="A7: a character reference to an unpaired surrogate is refused.", **common)
    e.emit("reject_charref_nul.xml", _sub_once(base, f">{NAMEID}<".encode(), b">DE/FR/&#0;<"),
           expect="xml.malformed", generator=prim + "; &#0; inserted after signing",
           proves="A7: a character reference to NUL is refused.", **common)
    e.emit("reject_control_char.xml", _sub_once(base, f">{NAMEID}<".encode(), b">DE/FR/\x01<"),
           expect="xml.malformed", generator=prim + "; raw U+0001 inserted after signing",
           proves="A7: a raw C0 control character is not an XML 1.0 character.", **common)


# --- IDs --------------------------------------------------------------------------------------


def _ids(e):
    v, pki = e.versions, e.pki
    idp, ecp = pki["idp-rsa3072"], pki["idp-ec-p256"]
    prim = v["primitives"]
    root = parse(_read(BASE_ASSERTION))
    original = root.find("saml2:Assertion", NS)
    evil = copy.deepcopy(original)
    evil.remove(evil.find("ds:Signature", NS))
    _make_evil(evil)
    evil.tail = original.getprevious().tail
    original.addprevious(evil)
    e.emit("reject_duplicate_id_assertion.xml", _serialize(root), trust=[ecp], element="assertion",
           expect="xml.duplicate_id", sibling=BASE_ASSERTION, generator=prim + "; evil Assertion inserted with lxml",
           proves="C6: an unsigned evil Assertion with the same ID=_a1 before the signed one is refused as a "
           "duplicate ID (the signed one still verifies by itself).")
    ext = _ext(f'<t:e xmlns:t="{TEST_NS}" ID="_r1"/>')
    e.emit("reject_duplicate_id_extensions.xml", base_response(pki, resp_kw={"extensions": ext}), trust=[idp],
           expect="xml.duplicate_id", sibling=BASE, generator=prim, sig_alg=PSS[256],
           proves="C6: an Extensions child carrying ID=\"_r1\" (the Response's ID) is a duplicate ID anywhere in "
           "the document.")
    e.emit("reject_invalid_id_digit.xml",
           base_response(pki, sig_kw={"uri": "#1abc"}, resp_kw={"rid": "1abc"}), trust=[idp],
           expect="xml.invalid_id", sibling=BASE, generator=prim, sig_alg=PSS[256],
           proves="Rule 5: ID=\"1abc\" is not an NCName (Reference #1abc, valid signature).")
    e.emit("reject_invalid_id_whitespace.xml",
           base_response(pki, resp_kw={"rid": "_r1 "}, target_xpath="/*"), trust=[idp],
           expect="xml.invalid_id", sibling=BASE, generator=prim,
           proves="C6: ID=\"_r1 \" (trailing space) is not an NCName; a verifier that trims IDs would accept the "
           "Reference #_r1 (its digest is over this root).")


# --- placement (rule 6) -----------------------------------------------------------------------


def _placement(e):
    v, pki = e.versions, e.pki
    idp = pki["idp-rsa3072"]
    prim = v["primitives"]
    common = {"trust": [idp], "sibling": BASE}
    e.emit("reject_signature_missing.xml", response_xml().encode(), expect="sig.missing", generator="text template",
           proves="Rule 16: an unsigned Response is refused.", **common)
    sig_r = signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=idp.cert_b64, tag="R")
    sig_q = signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=idp.cert_b64, tag="Q")
    text = response_xml(rsig=sig_r + "\n" + sig_q)
    text = hand_sign(hand_sign(text, "Q", pss(idp.key, 256)), "R", pss(idp.key, 256))
    e.emit("reject_two_signatures.xml", text.encode(), expect="sig.multiple", generator=prim,
           proves="Rule 6: exactly one ds:Signature child; here two (the first one verifies).", **common)
    sig = signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=idp.cert_b64)
    text = response_xml(body=assertion_xml() + "\n" + sig)
    e.emit("reject_signature_last_child.xml", hand_sign(text, "R", pss(idp.key, 256)).encode(),
           expect="sig.misplaced", generator=prim,
           proves="Rule 6: the Signature must follow Issuer; as the last child it is refused (valid signature).",
           **common)
    text = response_xml().replace(
        '<saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>',
        '<saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>\n' + sig, 1,
    )
    e.emit("reject_signature_in_status.xml", hand_sign(text, "R", pss(idp.key, 256)).encode(),
           expect="sig.missing", generator=prim,
           proves="Rule 6: the Response's only Signature (Reference #_r1, valid) is nested in saml2p:Status "
           "instead of being a direct child after Issuer.", **common)
    # XSW1 / XSW2 (SAML Raider) on the Response.
    for shape in ("xsw1", "xsw2"):
        root = parse(_read(BASE))
        clone = copy.deepcopy(root)
        remove_keeping_tail(clone.find("ds:Signature", NS))
        root.set("ID", "_evil")
        _make_evil(root.find("saml2:Assertion", NS), "_a1evil")  # a fresh ID: no duplicate-ID shortcut
        sig = root.find("ds:Signature", NS)
        if shape == "xsw1":
            sig.append(clone)
            name, code = "reject_xsw1_clone_in_signature.xml", "sig.structure"
            proves = ("XSW1: the clean signed Response is cloned into its own ds:Signature and the outer root made "
                      "evil (ID _evil); the Signature has a foreign child (then the Reference #_r1 is not the root).")
        else:
            clone.tail = sig.getprevious().tail
            sig.addprevious(clone)
            name, code = "reject_xsw2_clone_before_signature.xml", "sig.misplaced"
            proves = ("XSW2: the clean clone sits between Issuer and ds:Signature of the evil root (ID _evil), so "
                      "the Signature is no longer right after Issuer.")
        e.emit(name, _serialize(root), expect=code, generator=prim + f"; {shape.upper()} applied with lxml",
               proves=proves, **common)


# --- structure (rules 7, 8) -------------------------------------------------------------------


def _structure(e):
    v, pki = e.versions, e.pki
    idp = pki["idp-rsa3072"]
    prim = v["primitives"]
    common = {"trust": [idp], "sibling": BASE}
    base = _read(BASE)
    obj = '<ds:Object>\n        <saml2:NameID>DE/FR/victim-0000000001</saml2:NameID>\n    </ds:Object>\n</ds:Signature>'
    sig = signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=idp.cert_b64)
    text = response_xml(rsig=sig.replace("\n</ds:Signature>", "\n    " + obj))
    e.emit("reject_object_in_signature.xml", hand_sign(text, "R", pss(idp.key, 256)).encode(),
           expect="sig.structure", generator=prim,
           proves="Rule 7 / C7: a ds:Object inside the Signature is refused (the signature itself is valid).",
           **common)
    signed_info = re.search(rb"<ds:SignedInfo>.*?</ds:SignedInfo>", base, re.S).group(0)
    data = _sub_once(base, signed_info, signed_info + b"\n        " + signed_info)
    e.emit("reject_two_signedinfo.xml", data, expect="sig.structure", generator=prim + "; SignedInfo duplicated",
           proves="Rule 7 / C3: two SignedInfo children are refused (the first one verifies).", **common)
    digest_a1 = base64.b64encode(_sha256(canonicalize(base, DEFAULT_PREFIXES.split(), "_a1"))).decode()
    evil_si = re.sub(rb'URI="#_r1"', b'URI="#_a1"', signed_info)
    evil_si = re.sub(rb"<ds:DigestValue>[^<]*</ds:DigestValue>", f"<ds:DigestValue>{digest_a1}</ds:DigestValue>"
                     .encode(), evil_si)
    wrapper = b'<Wrapper xmlns="urn:test:vectors">' + evil_si + b"</Wrapper>\n        "
    e.emit("reject_wrapper_signedinfo.xml", _sub_once(base, signed_info, wrapper + signed_info),
           expect="sig.structure", generator=prim + "; wrapper SignedInfo inserted",
           proves="C3 (xml-crypto CVE-2025-29774): a wrapper element holding a second SignedInfo (Reference #_a1 "
           "with a correct digest) before the real one is refused.", **common)
    data = re.sub(rb"\n\s*<ds:SignatureValue>[^<]*</ds:SignatureValue>", b"", base, count=1)
    e.emit("reject_signaturevalue_missing.xml", data, expect="sig.structure",
           generator=prim + "; SignatureValue removed", proves="Rule 7: SignatureValue is mandatory.", **common)
    sig = signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=idp.cert_b64)
    text = response_xml(rsig=sig.replace("<ds:DigestValue>@@", "<ds:DigestValue><!--a comment-->@@"))
    e.emit("reject_comment_in_digestvalue.xml", hand_sign(text, "R", pss(idp.key, 256)).encode(),
           expect="sig.structure", generator=prim,
           proves="C2: a comment inside ds:DigestValue is refused (here the digest and signature are valid).",
           **common)
    forged = _sub_once(base, f">{NAMEID}</saml2:NameID>".encode(), f">{EVIL_NAMEID}</saml2:NameID>".encode())
    forged_digest = base64.b64encode(
        _sha256(canonicalize(forged, DEFAULT_PREFIXES.split(), "_r1", exclude_signature=True))
    ).decode()
    forged = re.sub(rb"<ds:DigestValue>", f"<ds:DigestValue><!--{forged_digest}-->".encode(), forged, count=1)
    e.emit("reject_comment_digest_forged_content.xml", forged, expect="sig.structure",
           generator=prim + "; NameID forged, its digest put in a comment in DigestValue",
           proves="C2 (xml-crypto CVE-2025-29775): DigestValue = <!--digest(forged)-->digest(original); a verifier "
           "reading the comment accepts the forged NameID. Refused for the comment (else sig.digest_mismatch).",
           **common)
    extra = b'\n        <t:Extra xmlns:t="urn:test:vectors"/>\n    </ds:Signature>'
    e.emit("reject_unknown_child_in_signature.xml",
           _sub_once(base, b"\n    </ds:Signature>", extra), expect="sig.structure",
           generator=prim + "; element appended to Signature",
           proves="Rule 7: an element other than SignedInfo, SignatureValue, KeyInfo in Signature is refused.",
           **common)
    for alg, name in ((C14N_INC, "inclusive"), (C14N_EXC_WC, "exc_with_comments")):
        e.emit(f"reject_c14n_{name}.xml", base_response(pki, sig_kw={"c14n": alg}), expect="sig.c14n_forbidden",
               generator=prim, proves=f"Rule 8: CanonicalizationMethod {alg} is refused (valid signature).",
               **common)


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# --- algorithms (rules 9, 12, 13) -------------------------------------------------------------


def _algorithms(e):
    v, pki = e.versions, e.pki
    idp, ecp = pki["idp-rsa3072"], pki["idp-ec-p256"]
    prim = v["primitives"]
    common = {"trust": [idp], "sibling": BASE, "generator": prim}
    e.emit("reject_alg_rsa_sha256.xml",
           base_response(pki, signer=pkcs1(idp.key, 256), sig_kw={"sig_alg": RSA_SHA256}),
           expect="sig.algorithm_forbidden", sig_alg=RSA_SHA256,
           proves="C11b: rsa-sha256 (PKCS#1 v1.5) is refused although the signature is valid.", **common)
    e.emit("reject_alg_rsa_sha1.xml", base_response(pki, signer=pkcs1(idp.key, 1), sig_kw={"sig_alg": RSA_SHA1}),
           expect="sig.algorithm_forbidden", sig_alg=RSA_SHA1,
           proves="C11a: rsa-sha1 signed by the real IdP key is refused.", **common)
    secret = idp.cert_path.read_bytes()
    e.emit("reject_alg_hmac_sha256.xml",
           base_response(pki, signer=hmac_sha256(secret), sig_kw={"sig_alg": HMAC_SHA256}),
           expect="sig.algorithm_forbidden", hmac_key=secret,
           proves=f"C11c (CVE-2018-7644 class): hmac-sha256 keyed with the bytes of {idp.cert_rel} (the trusted "
           "certificate's PEM file) is refused.", **common)
    e.emit("reject_alg_dsa_sha256.xml", base_response(pki, sig_kw={"sig_alg": DSA_SHA256}),
           expect="sig.algorithm_forbidden", note="SignatureValue is an RSA-PSS-SHA256 value by idp-rsa3072: "
           "the method must be refused before any key operation.",
           proves="Rule 9: dsa-sha256 is not in the allow-list.", **common)
    e.emit("reject_alg_ecdsa_with_rsa_key.xml", base_response(pki, sig_kw={"sig_alg": ECDSA[256]}),
           expect="sig.key_type_mismatch",
           note="SignatureValue is a valid RSA-PSS-SHA256 value over this SignedInfo (by idp-rsa3072).",
           proves="C11f: an ecdsa-sha256 SignatureMethod with an RSA trusted key is refused (key type must match "
           "the method).", **common)
    sig = signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=ecp.cert_b64)
    text = hand_sign(response_xml(rsig=sig), "R", ecdsa_raw(ecp.key, 256))
    e.emit("reject_alg_pss_with_ec_key.xml", text.encode(), trust=[ecp], sibling=BASE_EC, generator=prim,
           expect="sig.key_type_mismatch", note="SignatureValue is a valid raw ECDSA-P256-SHA256 value over this "
           "SignedInfo.", proves="C11f reversed: a sha256-rsa-MGF1 SignatureMethod with an EC trusted key is "
           "refused.")
    e.emit("reject_digest_sha1.xml", base_response(pki, sig_kw={"digest": DIGEST[1]}),
           expect="sig.digest_forbidden", sig_alg=PSS[256],
           proves="C11e / rule 12: a SHA-1 DigestMethod is refused although digest and signature are valid.",
           **common)


# --- references and transforms (rules 10, 11) -------------------------------------------------


def _references(e):
    v, pki = e.versions, e.pki
    idp = pki["idp-rsa3072"]
    common = {"trust": [idp], "sibling": BASE, "generator": v["primitives"]}
    std = [transform(T_ENVELOPED), transform(C14N_EXC, DEFAULT_PREFIXES)]
    e.emit("reject_two_references.xml", base_response(pki, sig_kw={"extra_references": [("#_a1", None)]}),
           expect="sig.reference",
           proves="C5d (ruby-saml CVE-2016-5697 class): two References (#_r1 and #_a1, both digests valid) are "
           "refused.", **common)
    e.emit("reject_reference_uri_empty.xml", base_response(pki, sig_kw={"uri": ""}), expect="sig.reference",
           sig_alg=PSS[256],
           proves="C5b / rule 10: URI=\"\" on a Response is refused (allowed only on a metadata document "
           "element); the digest over the whole document is valid.", **common)
    e.emit("reject_reference_xpointer.xml", base_response(pki, sig_kw={"uri": "#xpointer(/)"}),
           expect="sig.reference", proves="C5c: a #xpointer(/) Reference is refused (its digest is valid).",
           **common)
    e.emit("reject_reference_external.xml",
           base_response(pki, sig_kw={"uri": "https://attacker.test.example/evil.xml"}), run_xmlsec=False,
           expect="sig.reference", note="not cross-checked: a verifier would fetch the URI. DigestValue is the "
           "digest of the document element.",
           proves="C5c: an external Reference URI is refused and never dereferenced.", **common)
    e.emit("reject_reference_other_id.xml", base_response(pki, sig_kw={"uri": "#_a1"}), expect="sig.reference",
           proves="C5a: the Response's Signature references the Assertion (#_a1) instead of the Response; the "
           "signature over the Assertion is valid.", **common)
    xpath = transform(T_XPATH, inner='<ds:XPath xmlns:dsig="http://www.w3.org/2000/09/xmldsig#">'
                                     "not(ancestor-or-self::dsig:Signature)</ds:XPath>")
    cases = [
        ("reject_transform_xpath.xml", [std[0], xpath, std[1]],
         "C5c / rule 11: an XPath transform (a no-op filter here, so the digest is valid) is refused.", None),
        ("reject_transform_enveloped_missing.xml", [std[1]],
         "Rule 11: transforms [exc-c14n] without enveloped-signature are refused.",
         "the digest is computed as if the enveloped transform were present (a correct digest is impossible: "
         "it would cover the Signature itself)."),
        ("reject_transforms_wrong_order.xml", [std[1], std[0]],
         "Rule 11: [exc-c14n, enveloped-signature] (wrong order) is refused.",
         "the digest is computed as for [enveloped-signature, exc-c14n]."),
        ("reject_transform_base64.xml", [std[0], transform(T_BASE64), std[1]],
         "Rule 11: a base64 transform is refused.", "the digest ignores the base64 transform."),
    ]
    for name, transforms, proves, note in cases:
        e.emit(name, base_response(pki, sig_kw={"transforms": transforms}), expect="sig.transforms_forbidden",
               proves=proves, note=note, **common)


# --- digest and signature value (rules 12, 13) ------------------------------------------------


def _crypto(e):
    v, pki = e.versions, e.pki
    idp, ecp = pki["idp-rsa3072"], pki["idp-ec-p256"]
    prim = v["primitives"]
    common = {"trust": [idp], "sibling": BASE}
    base = _read(BASE)
    e.emit("reject_digest_mismatch_nameid.xml",
           _sub_once(base, f">{NAMEID}</saml2:NameID>".encode(), b">DE/FR/0123456789abcdeF</saml2:NameID>"),
           expect="sig.digest_mismatch", generator=prim + "; one NameID character changed after signing",
           proves="Rule 12: content edited after signing (NameID) fails the digest.", **common)
    root = parse(base)
    old = root.find("saml2:Assertion", NS)
    evil = parse(assertion_xml(nameid=EVIL_NAMEID, ns_decls=' xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" '
                               'xmlns:eidas-natural="http://eidas.europa.eu/attributes/naturalperson" '
                               'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
                               'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'))
    evil.find(".//saml2:AttributeValue", NS).text = "Attacker"
    evil.tail = old.tail
    old.getparent().replace(old, evil)
    e.emit("reject_digest_mismatch_evil_assertion.xml", _serialize(root), expect="sig.digest_mismatch",
           generator=prim + "; Assertion replaced with lxml",
           proves="XSW-style: the evil Response keeps the original ds:Signature (valid SignatureValue, original "
           "DigestValue) while its Assertion is replaced; the digest must be recomputed and fail.", **common)
    sv = re.search(rb"<ds:SignatureValue>([^<]*)</ds:SignatureValue>", base)
    raw = bytearray(base64.b64decode(sv.group(1)))
    raw[len(raw) // 2] ^= 0x01
    flipped = base.replace(sv.group(1), base64.b64encode(bytes(raw)), 1)
    e.emit("reject_signaturevalue_bitflip.xml", flipped, expect="sig.invalid",
           generator=prim + "; one SignatureValue bit flipped", proves="Rule 13: a one-bit change in "
           "SignatureValue fails verification.", **common)
    att = pki["attacker-rsa3072"]
    sig = signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=att.cert_b64)
    text = hand_sign(response_xml(rsig=sig, body=assertion_xml(nameid=EVIL_NAMEID)), "R", pss(att.key, 256))
    e.emit("reject_signed_by_attacker.xml", text.encode(), expect="sig.invalid", generator=prim,
           note=f"verifies with {att.cert_rel} (the certificate in its KeyInfo)",
           proves="C10: re-signed by attacker-rsa3072 with its certificate in KeyInfo; only the trusted "
           "idp-rsa3072 key may be used, so verification fails.", **common)
    weak = pki["weak-rsa2048"]
    sig = signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=weak.cert_b64)
    text = hand_sign(response_xml(rsig=sig), "R", pss(weak.key, 256)).encode()
    e.emit("reject_key_too_small_rsa2048.xml", text, trust=[weak], sibling=BASE, expect="sig.key_too_small",
           generator=prim, sig_alg=PSS[256],
           proves="C11g: a trusted RSA-2048 key is below the RSA-3072 minimum (the signature is valid).")
    e.emit("reject_key_too_small_rsa2048.xml", text, trust=[weak], sibling=BASE, expect="ok",
           options={"min_rsa_bits": 2048}, generator=prim, sig_alg=PSS[256], write=False,
           proves="The same RSA-2048 vector verifies when the policy minimum is lowered to 2048 (per-country "
           "relaxation).")
    p192 = pki["idp-ec-p192"]
    sig = signature_xml(uri="#_r1", sig_alg=ECDSA[256], cert_b64=p192.cert_b64)
    text = hand_sign(response_xml(rsig=sig), "R", ecdsa_raw(p192.key, 256)).encode()
    e.emit("reject_key_too_small_p192.xml", text, trust=[p192], sibling=BASE_EC, expect="sig.curve_forbidden",
           generator=prim, sig_alg=ECDSA[256],
           proves="C11g: a trusted P-192 key is outside the curve allow-list (the signature is valid).")
    sig = signature_xml(uri="#_r1", sig_alg=ECDSA[256], cert_b64=ecp.cert_b64)
    text = hand_sign(response_xml(rsig=sig), "R", ecdsa_der(ecp.key, 256)).encode()
    e.emit("reject_ecdsa_signature_der.xml", text, trust=[ecp], sibling=BASE_EC, expect="sig.invalid",
           generator=prim, proves="Rule 13: an ECDSA SignatureValue in DER (not raw r||s) is refused.")


# --- assertion wrapping (XSW3-XSW8), element = first saml2:Assertion in document order ---------


def _assertion_wrapping(e):
    ecp = e.pki["idp-ec-p256"]
    common = {"trust": [ecp], "sibling": BASE_ASSERTION, "element": "assertion"}

    def fresh():
        root = parse(_read(BASE_ASSERTION))
        original = root.find("saml2:Assertion", NS)
        clean = copy.deepcopy(original)
        remove_keeping_tail(clean.find("ds:Signature", NS))
        return root, original, clean

    root, original, clean = fresh()
    _make_evil(clean, "_evil")
    clean.tail = original.getprevious().tail
    original.addprevious(clean)
    _emit_xsw(e, "reject_xsw3_evil_assertion_first.xml", root, "sig.missing",
              "XSW3: an unsigned evil copy (ID _evil) placed before the signed Assertion; the first Assertion has no "
              "Signature.", common)
    root, original, clean = fresh()
    _make_evil(clean, "_evil")
    clean.tail = original.tail
    original.getparent().append(clean)
    original.getparent().remove(original)
    clean.append(original)
    _emit_xsw(e, "reject_xsw4_original_inside_evil.xml", root, "sig.missing",
              "XSW4: the evil copy (ID _evil) wraps the original signed Assertion; the outer Assertion has no "
              "Signature of its own.", common)
    root, original, clean = fresh()
    _make_evil(original, "_evil")
    clean.tail = original.tail
    original.getparent().append(clean)
    _emit_xsw(e, "reject_xsw5_evil_keeps_signature.xml", root, "sig.reference",
              "XSW5: the evil Assertion (ID _evil) keeps the Signature whose Reference #_a1 now points to a clean copy "
              "appended to the Response.", common)
    root, original, clean = fresh()
    _make_evil(original, "_evil")
    original.find("ds:Signature", NS).append(clean)
    _emit_xsw(e, "reject_xsw6_clone_in_signature.xml", root, "sig.structure",
              "XSW6: like XSW5 but the clean copy (ID _a1) sits inside the evil Assertion's ds:Signature.", common)
    root, original, clean = fresh()
    _make_evil(clean, "_evil")
    ext = etree.Element(f"{{{NS['saml2p']}}}Extensions")
    ext.append(clean)
    ext.tail = root.find("saml2:Issuer", NS).tail
    root.find("saml2:Issuer", NS).addnext(ext)
    _emit_xsw(e, "reject_xsw7_evil_in_extensions.xml", root, "sig.missing",
              "XSW7: an unsigned evil Assertion (ID _evil) inside saml2p:Extensions comes first in document order; "
              "it has no Signature (SAML-level: the Response holds more than one Assertion).", common)
    root, original, clean = fresh()
    _make_evil(original, "_evil")
    obj = etree.SubElement(original.find("ds:Signature", NS), f"{{{NS_DS}}}Object")
    obj.append(clean)
    _emit_xsw(e, "reject_xsw8_object_clone.xml", root, "sig.structure",
              "XSW8: the evil Assertion keeps its Signature and the clean copy (ID _a1) is put in a ds:Object "
              "appended to that Signature.", common)


def _emit_xsw(e, name, root, code, proves, common):
    e.emit(name, _serialize(root), expect=code, generator=e.versions["primitives"] + "; wrapped with lxml",
           proves=proves, **common)

