"""Attack scenarios of the mock proxy service (`shared/reference/attacks.md` §2.1-2.8), each bound
to the real pending AuthnRequest (InResponseTo, Destination, Audience, our encryption certificate).

`build(proxy, request, connector, scenario)` answers `POST /sso?scenario=atk_…` (an attack the
connector must refuse) or `scenario=ok_…` (a valid variant it must accept). Everything is made
by independent implementations: python-xmlsec (`saml_gen.xmlcrypto`), the hand-assembled signer
of `vectorgen.signing` (lxml c14n + pyca/cryptography, for signatures libxmlsec1 will not make)
and the XML-Enc pieces of `vectorgen.encryption`; never by the connector's Rust code.

This file holds the context, the shared builders and §2.1-2.3 (parser, wrapping, signature
semantics); `mock_proxy_attacks_more.py` holds §2.4-2.8 and the accepted variants.
"""

import re
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives import serialization
from lxml import etree

import mock_proxy_saml as saml
from saml_gen import scenario as s
from saml_gen import templates as t
from saml_gen import xmlcrypto as xc
from saml_gen.build import xsw as vector_xsw
from vectorgen import common as vc
from vectorgen import signing as vs

NS = {"saml2p": s.NS_SAMLP, "saml2": s.NS_SAML, "ds": s.NS_DS, "xenc": s.NS_XENC}
# The attacker's own identity (what every wrapping attack tries to get consumed).
EVIL = saml.Identity("EVIL0000000666", ("Mallory", None), ("Eve", None), "1980-01-01", "Nowhere", "Male")


@dataclass(frozen=True)
class Ctx:
    """One answer's inputs: the proxy, our request and metadata, the genuine Assertion and envelope."""

    proxy: saml.Proxy
    request: saml.AuthnRequest
    connector: saml.Connector
    spec: t.AssertionSpec
    resp: t.ResponseSpec

    @property
    def signer(self) -> str:
        return self.proxy.signer

    def person_id(self, who: saml.Identity) -> str:
        return f"{self.proxy.country}/{self.connector.node_country}/{who.stable_id}"


def context(proxy, request, connector) -> Ctx:
    """The genuine success (default identity, requested LoA) that each scenario changes once."""
    spec, _ = saml.assertion_spec(proxy, request, connector, "success", saml.IDENTITIES["default"], None)
    resp = t.ResponseSpec(response_id=saml.new_id(), in_response_to=request.id, destination=connector.acs_url,
                          issue_instant=spec.issue_instant, issuer=proxy.entity_id)
    return Ctx(proxy, request, connector, spec, resp)


def evil_spec(c: Ctx) -> t.AssertionSpec:
    """The genuine Assertion with the attacker's identity and a fresh ID (otherwise valid)."""
    pid = c.person_id(EVIL)
    attrs = saml.released_attributes(saml.identity_attributes(EVIL, pid), c.request)
    return replace(c.spec, assertion_id=saml.new_id(), name_id=pid, attributes=attrs)


def cert_pem(c: Ctx) -> bytes:
    return c.connector.encryption_cert.public_bytes(serialization.Encoding.PEM)


def encrypted(c: Ctx, plaintext: bytes) -> str:
    """saml2:EncryptedAssertion of `plaintext` to our certificate (python-xmlsec / cryptography)."""
    return t.encrypted_assertion(saml.encrypt_to(plaintext, c.connector.encryption_cert))


def assertion_text(spec: t.AssertionSpec) -> bytes:
    return t.render_assertion(spec).encode("utf-8")


def signed_assertion(c: Ctx, spec: t.AssertionSpec) -> bytes:
    """The Assertion signed by the proxy's key (python-xmlsec, PrefixList "eidas-natural xsi")."""
    tpl = xc.signature_template("#" + spec.assertion_id, prefixes="eidas-natural xsi", declare_ds=True,
                                method=c.proxy.pki.signature_method(c.signer)[0])
    return c.proxy.pki.sign(t.render_assertion(replace(spec, signature=tpl)), c.signer)


def response(c: Ctx, *, spec=None, resp=None, plaintext=None, blocks=None, signer="proxy", edit=None) -> bytes:
    """A Response: `blocks` after Status (default: `plaintext`, else `spec`, encrypted to us),
    `edit(text)` applied to the envelope text before it is signed by `signer` (None: unsigned)."""
    if blocks is None:
        blocks = (encrypted(c, plaintext if plaintext is not None else assertion_text(spec or c.spec)),)
    resp = replace(resp or c.resp, body=tuple(blocks))
    if signer is not None:
        signer = c.signer if signer == "proxy" else signer
        resp = replace(resp, signature=c.proxy.pki.signature_template(signer, resp.response_id))
    text = t.render_response(resp)
    if edit is not None:
        text = edit(text)
    return text.encode("utf-8") if signer is None else c.proxy.pki.sign(text, signer)


def hand_signed(c: Ctx, *, method: str, sign, digest: str = vc.DIGEST[256], uri: str | None = None,
                transforms=None, extra_references=(), key_name: str | None = None, resp=None, blocks=None) -> bytes:
    """A Response signed by `vectorgen.signing.hand_sign` (lxml c14n + cryptography): any
    SignatureMethod, DigestMethod, Reference or transforms, cryptographically valid as written."""
    blocks = blocks or (encrypted(c, assertion_text(c.spec)),)
    resp = replace(resp or c.resp, body=tuple(blocks))
    cert = c.proxy.pki.cert_b64(key_name or c.signer)
    sig = vs.signature_xml(uri="#" + resp.response_id if uri is None else uri, sig_alg=method, digest=digest,
                           cert_b64=cert, tag="R", prefixes=None, transforms=transforms,
                           extra_references=extra_references, ds_decl=False)
    text = t.render_response(replace(resp, signature=sig))
    decl, body = text.split("\n", 1)
    return (decl + "\n" + vs.hand_sign(body, "R", sign)).encode("utf-8")


def private_key(c: Ctx, name: str):
    return serialization.load_pem_private_key(c.proxy.pki.key(name).read_bytes(), None)


def after_decl(data: bytes, insert: bytes) -> bytes:
    end = data.index(b"?>") + 2
    return data[:end] + b"\n" + insert + data[end:]


def parse(data: bytes):
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True,
                                                  strip_cdata=False, huge_tree=True))


def serialize(root) -> bytes:
    return t.XML_DECL.encode() + etree.tostring(root, encoding="UTF-8", xml_declaration=False) + b"\n"


def with_extensions(block: str):
    """An `edit` placing a saml2p:Extensions holding `block` right after the Response signature."""
    def edit(text: str) -> str:
        end = text.index("</ds:Signature>") + len("</ds:Signature>")
        return text[:end] + "\n    " + t.extensions(block).replace("\n", "\n    ") + text[end:]
    return edit


# --- §2.1 parser level ----------------------------------------------------------------------------


def atk_doctype(c):  # A1: a DOCTYPE in front of a valid signed Response, nothing else changed
    return after_decl(response(c), b"<!DOCTYPE saml2p:Response [<!ELEMENT foo ANY>]>")


def atk_xxe(c):  # A2: an external entity referenced in the Response Issuer
    data = after_decl(response(c), b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    return data.replace(f">{c.proxy.entity_id}</saml2:Issuer>".encode(), b">&x;</saml2:Issuer>", 1)


def atk_xxe_parameter_entity(c):  # A2, OOB variant: a parameter entity to an outside URL
    return after_decl(response(c), b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/e.dtd"> %p;]>')


def atk_billion_laughs(c):  # A3
    ents = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    data = after_decl(response(c), ("<!DOCTYPE r [" + "".join(ents) + "]>").encode())
    return data.replace(b' Version="2.0"', b' Version="2.0" x="&lol9;"', 1)


def atk_undeclared_entity(c):  # A3: an unknown &name; must be an error, never passed through
    return response(c, spec=replace(c.spec, name_id=c.spec.name_id + "&evil;"))


def atk_doctype_differential(c):  # A4 (ruby-saml CVE-2025-25291): forged + original in one DOCTYPE trick
    original = response(c).split(b"?>", 1)[1]
    forged = response(c, spec=evil_spec(c), signer=None).split(b"?>", 1)[1].rstrip()
    forged = forged[: forged.rindex(b"</saml2p:Response>")]
    return (t.XML_DECL.encode() + b"<!DOCTYPE response SYSTEM 'x\"><!--'>\n" + forged + b"<![CDATA[-->" + original
            + b"<!--]]>-->\n</saml2p:Response>\n")


def atk_xinclude(c):  # A2: XInclude inside the PersonIdentifier value (never processed)
    pid = c.person_id(saml.IDENTITIES["default"])
    inc = '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/hostname"/>'
    return response(c, plaintext=assertion_text(c.spec).replace(f">{pid}<".encode(), f">{pid}{inc}<".encode(), 1))


def atk_deep_nesting(c):  # A6: 200 nested elements in (signed) Extensions (libxml2 signs up to 256)
    return response(c, edit=with_extensions('<x:d xmlns:x="urn:x">' * 200 + "</x:d>" * 200))


def atk_very_deep_nesting(c):  # A6/A5: 100,000 nested elements (700 kB, after signing)
    return response(c).replace(b"</ds:Signature>", b"</ds:Signature>" + b"<a>" * 100000 + b"</a>" * 100000, 1)


def atk_many_attributes(c):  # A6: 5,000 attributes on one element
    attrs = " ".join(f'a{i}="v"' for i in range(5000))
    return response(c, edit=with_extensions(f'<x:d xmlns:x="urn:x" {attrs}/>'))


def atk_many_namespaces(c):  # A6: 1,000 namespace declarations on one element
    decls = " ".join(f'xmlns:p{i}="urn:p{i}"' for i in range(1000))
    return response(c, edit=with_extensions(f'<x:d xmlns:x="urn:x" {decls}/>'))


def atk_many_elements(c):  # A6: 25,000 sibling elements (the connector's cap is 20,000 nodes)
    return response(c, edit=with_extensions('<x:d xmlns:x="urn:x">' + "<x:e/>" * 25000 + "</x:d>"))


def atk_utf16(c):  # A7: the signed Response re-encoded as UTF-16 (with BOM and declaration)
    text = response(c).decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    return text.encode("utf-16")


def atk_latin1_declaration(c):  # A7: an ISO-8859-1 declaration
    return response(c).replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1)


def atk_nul_char_ref(c):  # A7: &#0; in NameID
    return response(c, spec=replace(c.spec, name_id=c.spec.name_id + "&#0;"))


def atk_surrogate_char_ref(c):  # A7: an unpaired surrogate character reference
    return response(c, spec=replace(c.spec, name_id=c.spec.name_id + "&#xD800;"))


def atk_invalid_utf8(c):  # A7: an overlong UTF-8 sequence in the Issuer (after signing)
    return response(c).replace(f">{c.proxy.entity_id}<".encode(), b">\xc0\xaf<", 1)


def atk_pi_in_person_identifier(c):  # A8: a processing instruction inside the PersonIdentifier value
    pid = c.person_id(saml.IDENTITIES["default"])
    mixed = pid[:-4] + "<?x y?>" + pid[-4:]
    return response(c, plaintext=assertion_text(c.spec).replace(f">{pid}<".encode(), f">{mixed}<".encode(), 1))


# --- §2.2 signature wrapping ----------------------------------------------------------------------


def _swap_evil(data: bytes, c: Ctx) -> bytes:
    """`saml_gen.build.xsw`'s output with its attacker EncryptedAssertion (made for the vectors'
    fixed scenario) replaced by ours: the attacker's identity, bound to this request, encrypted to us."""
    root = parse(data)
    ours = parse(encrypted(c, assertion_text(evil_spec(c))).replace(
        "<saml2:EncryptedAssertion>", f'<saml2:EncryptedAssertion xmlns:saml2="{s.NS_SAML}">', 1).encode())
    for ea in root.findall("saml2:EncryptedAssertion", NS):
        if ea.find("xenc:EncryptedData", NS).get("Id") == s.EVIL_ENC_DATA_ID:
            ours.tail = ea.tail
            root.replace(ea, ours)
    return serialize(root)


def atk_xsw1(c):  # the signed Response hidden inside ds:Signature, an evil outer Response
    return _swap_evil(vector_xsw(response(c), 1), c)


def atk_xsw2(c):  # the signed Response inserted before ds:Signature
    return _swap_evil(vector_xsw(response(c), 2), c)


def atk_xsw1_same_id(c):  # XSW1 where the evil outer Response keeps the signed ID
    return _swap_evil(vector_xsw(response(c), 1, keep_id=True), c)


def atk_xsw_e(c):  # XSW-E: the signed bytes kept, the EncryptedAssertion swapped for the attacker's
    return _xsw_e(c)


def encrypted_block(data: bytes) -> bytes:
    start = data.index(b"<saml2:EncryptedAssertion>")
    end = data.index(b"</saml2:EncryptedAssertion>") + len(b"</saml2:EncryptedAssertion>")
    return data[start:end]


def _xsw_e(c):
    data = response(c)
    return data.replace(encrypted_block(data), encrypted(c, assertion_text(evil_spec(c))).encode(), 1)


def atk_xsw3(c):  # an evil plaintext Assertion before the (signed) EncryptedAssertion
    data = response(c)
    evil = assertion_text(evil_spec(c))
    return data.replace(b"<saml2:EncryptedAssertion>", evil + b"\n    <saml2:EncryptedAssertion>", 1)


def atk_xsw4(c):  # an evil Assertion appended, the original EncryptedAssertion moved inside it
    data = response(c)
    block = encrypted_block(data)
    evil = assertion_text(evil_spec(c)).replace(b"</saml2:Assertion>", block + b"\n</saml2:Assertion>", 1)
    return data.replace(block, evil, 1)


def _signed_pair(c):
    """(the genuine Assertion signed by the proxy, its Signature element text, the evil spec with its ID)."""
    good = signed_assertion(c, c.spec)
    sig = re.search(rb"<ds:Signature[ >].*?</ds:Signature>", good, re.S).group(0)
    return good, sig, evil_spec(c)


def atk_xsw5(c):  # evil Assertion keeps the genuine Signature (#A); a clean copy (ID=A) appended to the Response
    good, sig, evil = _signed_pair(c)
    evil_text = t.render_assertion(replace(evil, signature="@@SIG@@")).encode().replace(b"@@SIG@@", sig)
    clean = re.sub(rb"\s*<ds:Signature[ >].*?</ds:Signature>", b"", good, count=1, flags=re.S)
    return response(c, blocks=(encrypted(c, evil_text), clean.decode()))


def atk_xsw6(c):  # as XSW5, the clean copy inside the evil Assertion's ds:Signature
    good, sig, evil = _signed_pair(c)
    clean = re.sub(rb"\s*<ds:Signature[ >].*?</ds:Signature>", b"", good, count=1, flags=re.S)
    sig = sig.replace(b"</ds:Signature>", clean + b"</ds:Signature>", 1)
    evil_text = t.render_assertion(replace(evil, signature="@@SIG@@")).encode().replace(b"@@SIG@@", sig)
    return response(c, plaintext=evil_text)


def atk_xsw7(c):  # an evil unsigned Assertion in the Response's Extensions
    return response(c, edit=with_extensions(t.render_assertion(evil_spec(c))))


def atk_xsw8(c):  # the evil Assertion keeps the Signature; the clean copy in a ds:Object of that Signature
    good, sig, evil = _signed_pair(c)
    clean = re.sub(rb"\s*<ds:Signature[ >].*?</ds:Signature>", b"", good, count=1, flags=re.S)
    sig = sig.replace(b"</ds:Signature>", b"<ds:Object>" + clean + b"</ds:Object></ds:Signature>", 1)
    evil_text = t.render_assertion(replace(evil, signature="@@SIG@@")).encode().replace(b"@@SIG@@", sig)
    return response(c, plaintext=evil_text)


# --- §2.3 signature semantics ---------------------------------------------------------------------


def atk_comment_in_person_identifier(c):  # C1: a comment inside the (signed, encrypted) PersonIdentifier
    pid = c.person_id(saml.IDENTITIES["default"])
    mixed = pid[:-4] + "<!---->" + pid[-4:]
    return response(c, plaintext=assertion_text(c.spec).replace(f">{pid}<".encode(), f">{mixed}<".encode(), 1))


def atk_comment_in_digest(c):  # C2: forged content, its digest hidden in a comment before the real one
    data = response(c)
    dv = re.search(rb"<ds:DigestValue>([^<]*)</ds:DigestValue>", data)
    forged = data.replace(encrypted_block(data), encrypted(c, assertion_text(evil_spec(c))).encode(), 1)
    return forged.replace(dv.group(0), b"<ds:DigestValue><!--AAAA-->" + dv.group(1) + b"</ds:DigestValue>", 1)


def atk_nested_signed_info(c):  # C3: a wrapper holding a second SignedInfo before the real one
    data = response(c)
    si = re.search(rb"<ds:SignedInfo>.*?</ds:SignedInfo>", data, re.S).group(0)
    fake = b'<x:Wrapper xmlns:x="urn:x">' + si.replace(b'URI="#', b'URI="#evil', 1) + b"</x:Wrapper>"
    return data.replace(b"<ds:SignedInfo>", fake + b"<ds:SignedInfo>", 1)


def atk_digest_in_extensions(c):  # C4: an attacker DigestValue in Extensions, the content swapped
    data = _xsw_e(c)
    ext = b"<saml2p:Extensions><ds:DigestValue>AAAA</ds:DigestValue></saml2p:Extensions>"
    return data.replace(b"</ds:Signature>", b"</ds:Signature>" + ext, 1)


def atk_reference_encrypted_data(c):  # C5a: the Response signature covers the EncryptedData only
    blocks = (encrypted(c, assertion_text(c.spec)),)
    ed_id = re.search(r'<xenc:EncryptedData[^>]* Id="([^"]+)"', blocks[0]).group(1)
    resp = replace(c.resp, body=blocks, signature=xc.signature_template("#" + ed_id))
    return c.proxy.pki.sign(t.render_response(resp), c.signer)


def _pss(c, bits=256):
    return vs.pss(private_key(c, c.signer), bits)


def atk_reference_empty_uri(c):  # C5b: Reference URI="" (the whole document)
    return hand_signed(c, method=vc.PSS[256], sign=_pss(c), uri="")


def atk_xpath_transform(c):  # C5c: an XPath transform in the Reference
    xpath = vs.transform(vc.T_XPATH, inner="<ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath>")
    return hand_signed(c, method=vc.PSS[256], sign=_pss(c),
                       transforms=[vs.transform(vc.T_ENVELOPED), xpath, vs.transform(vc.C14N_EXC)])


def atk_two_references(c):  # C5d: a second Reference in the SignedInfo
    blocks = (encrypted(c, assertion_text(c.spec)),)
    ed_id = re.search(r'<xenc:EncryptedData[^>]* Id="([^"]+)"', blocks[0]).group(1)
    return _two_refs(c, blocks, ed_id)


def _two_refs(c, blocks, ed_id):
    # hand_sign resolves Reference URIs by @ID only: give the EncryptedData an ID as well.
    blocks = (blocks[0].replace(f'Id="{ed_id}"', f'Id="{ed_id}" ID="{ed_id}x"', 1),)
    return hand_signed(c, method=vc.PSS[256], sign=_pss(c), blocks=blocks,
                       extra_references=((f"#{ed_id}x", None),))


def atk_duplicate_id(c):  # C6: an Extensions child carrying the Response's ID (python-xmlsec will not sign it)
    ext = t.extensions(t.trace_extension(c.resp.response_id)).encode()
    return response(c).replace(b"</ds:Signature>", b"</ds:Signature>" + ext, 1)


def atk_entity_defined_id(c):  # C7: the Response ID defined by a DTD entity
    data = after_decl(response(c), f'<!DOCTYPE r [<!ENTITY idViaEntity "{c.resp.response_id}">]>'.encode())
    return data.replace(f'ID="{c.resp.response_id}"'.encode(), b'ID="&idViaEntity;"', 1)


def atk_namespace_differential(c):  # C8: a DTD default namespace for an unprefixed Signature copy
    data = response(c)
    dtd = f'<!DOCTYPE r [<!ATTLIST Signature xmlns CDATA #FIXED "{s.NS_DS}">]>'.encode()
    return after_decl(data, dtd)


def atk_keyinfo_attacker(c):  # C10: re-signed by the attacker, the attacker's certificate in KeyInfo
    return response(c, spec=evil_spec(c), signer=saml.ATTACKER)


def atk_rsa_sha1(c):  # C11a: rsa-sha1 by the genuine key
    return hand_signed(c, method=vc.RSA_SHA1, sign=lambda d: private_key(c, c.signer).sign(
        d, vs.padding.PKCS1v15(), vc.HASH[1]()))


def atk_rsa_sha256_pkcs1(c):  # C11b: PKCS#1 v1.5 rsa-sha256 by the genuine key
    return hand_signed(c, method=vc.RSA_SHA256, sign=vs.pkcs1(private_key(c, c.signer), 256))


def atk_hmac_with_certificate(c):  # C11c: hmac-sha256 keyed with the proxy certificate's bytes
    return hand_signed(c, method=vc.HMAC_SHA256, sign=vs.hmac_sha256(c.proxy.pki.cert(c.signer).read_bytes()))


def atk_digest_sha1(c):  # C11e: a SHA-1 DigestMethod under a valid PSS signature
    return hand_signed(c, method=vc.PSS[256], sign=_pss(c), digest=vc.DIGEST[1])


def atk_digest_md5(c):  # C11e: an MD5 DigestMethod
    return hand_signed(c, method=vc.PSS[256], sign=_pss(c), digest=vc.DIGEST_MD5)


def atk_ecdsa_method_rsa_key(c):  # C11f: ecdsa-sha256 declared, the value made with the RSA key
    return hand_signed(c, method=vc.ECDSA[256], sign=_pss(c))


def atk_ns_rebound_ds(c):  # C12b: `ds` bound to another URI on an unsigned Response's "signature"
    def edit(text):
        return text.replace("</saml2:Issuer>", f'</saml2:Issuer><ds:Signature xmlns:ds="urn:evil">'
                            "<ds:SignedInfo/></ds:Signature>", 1)
    return response(c, signer=None, edit=edit)


def atk_ns_rebound_saml2(c):  # C12a: an Attribute in a redeclared saml2 namespace inside the Assertion
    evil = (f'<saml2:Attribute xmlns:saml2="urn:evil" Name="{s.PERSON_IDENTIFIER}" NameFormat="{s.URI_FORMAT}">'
            f"<saml2:AttributeValue>{c.person_id(EVIL)}</saml2:AttributeValue></saml2:Attribute>")
    text = assertion_text(c.spec).replace(b"<saml2:AttributeStatement>", b"<saml2:AttributeStatement>"
                                          + evil.encode(), 1)
    return response(c, plaintext=text)


PARSER = ("atk_doctype", "atk_xxe", "atk_xxe_parameter_entity", "atk_billion_laughs", "atk_undeclared_entity",
          "atk_doctype_differential", "atk_xinclude", "atk_deep_nesting", "atk_very_deep_nesting", "atk_many_attributes",
          "atk_many_namespaces", "atk_many_elements", "atk_utf16", "atk_latin1_declaration", "atk_nul_char_ref",
          "atk_surrogate_char_ref", "atk_invalid_utf8", "atk_pi_in_person_identifier")
WRAPPING = ("atk_xsw1", "atk_xsw2", "atk_xsw1_same_id", "atk_xsw_e", "atk_xsw3", "atk_xsw4", "atk_xsw5",
            "atk_xsw6", "atk_xsw7", "atk_xsw8")
SIGNATURE = ("atk_comment_in_person_identifier", "atk_comment_in_digest", "atk_nested_signed_info",
             "atk_digest_in_extensions", "atk_reference_encrypted_data", "atk_reference_empty_uri",
             "atk_xpath_transform", "atk_two_references", "atk_duplicate_id", "atk_entity_defined_id",
             "atk_namespace_differential", "atk_keyinfo_attacker", "atk_rsa_sha1", "atk_rsa_sha256_pkcs1",
             "atk_hmac_with_certificate", "atk_digest_sha1", "atk_digest_md5", "atk_ecdsa_method_rsa_key",
             "atk_ns_rebound_ds", "atk_ns_rebound_saml2")
SCENARIOS = {name: globals()[name] for name in PARSER + WRAPPING + SIGNATURE}
