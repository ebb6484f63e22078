"""Positive signature vectors: each must verify with the named trusted certificate."""

from .common import DIGEST, ECDSA, NS_DS, PSS
from .docs import (
    ASSERTION_SELF_NS,
    RESPONSE_NS,
    XML_DECL,
    assertion_xml,
    attribute_statement,
    entity_descriptor_xml,
    indent,
    response_xml,
)
from .sigemit import R_NODE, SigEmitter
from .signing import (
    PLACEHOLDER,
    ecdsa_raw,
    hand_sign,
    pss,
    signature_xml,
    signxml_sign,
    wrap_lines,
    xmlsec1_sign,
    xmlsec_sign,
)

# (file tag, PKI name, hash bits)
EC_KEYS = [
    ("p256", "idp-ec-p256", 256),
    ("p384", "idp-ec-p384", 384),
    ("p521", "idp-ec-p521", 512),
    ("bp256", "idp-ec-bp256", 256),
    ("bp384", "idp-ec-bp384", 384),
    ("bp512", "idp-ec-bp512", 512),
]

TEST_NS = 'xmlns:test="urn:test:vectors"'


def base_response(pki, *, nameid=None, signer=None, sig_kw=None, resp_kw=None, **hand_kw) -> bytes:
    """The hand-assembled RSA-PSS-SHA256 Response that most negative vectors start from."""
    idp = pki["idp-rsa3072"]
    sig = signature_xml(**{"uri": "#_r1", "sig_alg": PSS[256], "cert_b64": idp.cert_b64, **(sig_kw or {})})
    body = assertion_xml(nameid=nameid) if nameid else None
    text = response_xml(rsig=sig, body=body, **(resp_kw or {}))
    return hand_sign(text, "R", signer or pss(idp.key, 256), **hand_kw).encode("utf-8")


def generate(e: SigEmitter):
    pki, v = e.pki, e.versions
    idp = pki["idp-rsa3072"]
    _rsa_pss(e, pki, v, idp)
    _ecdsa(e, pki, v)
    _assertions(e, pki, v, idp)
    _metadata(e, v, idp)
    _whitespace(e, pki, v, idp)
    _comment_injection(e, pki, v, idp)


def _rsa_pss(e, pki, v, idp):
    for bits in (256, 384, 512):
        data = signxml_sign(response_xml(rsig=PLACEHOLDER), idp, PSS[bits], DIGEST[bits], "_r1")
        e.emit(
            f"accept_rsapss_sha{bits}_signxml.xml", data, trust=[idp], expect="ok", generator=v["signxml"],
            sig_alg=PSS[bits],
            proves=f"RSASSA-PSS sha{bits}-rsa-MGF1 (salt = hash length) + sha{bits} digest from signxml verifies "
            "(profile rule 9; signxml turns the CDATA into escaped text and emits no PrefixList).",
        )
    for bits in (256, 384, 512):
        text = response_xml(rsig=signature_xml(uri="#_r1", sig_alg=PSS[bits], digest=DIGEST[bits], cert_b64=""))
        e.emit(
            f"accept_rsapss_sha{bits}_xmlsec.xml", xmlsec_sign(text, idp), trust=[idp], expect="ok",
            generator=v["python-xmlsec"], sig_alg=PSS[bits],
            proves=f"RSASSA-PSS sha{bits}-rsa-MGF1 from libxmlsec1 verifies, with PrefixList=\"xsd eidas-natural\" "
            "on the exc-c14n transform, CDATA and &#13; kept (rules 9, 11; W4, W5).",
        )
    e.emit(
        "accept_rsapss_sha256_primitives.xml", base_response(pki), trust=[idp], expect="ok",
        generator=v["primitives"], sig_alg=PSS[256],
        proves="The hand-assembled RSA-PSS base document verifies; it is the accept sibling of most reject_* "
        "vectors (rules 6-13).",
    )


def _ecdsa(e, pki, v):
    for tag, name, bits in EC_KEYS:
        p = pki[name]
        text = response_xml(rsig=signature_xml(uri="#_r1", sig_alg=ECDSA[bits], digest=DIGEST[bits], cert_b64=""))
        e.emit(
            f"accept_ecdsa_{tag}_sha{bits}_xmlsec.xml", xmlsec_sign(text, p), trust=[p], expect="ok",
            generator=v["python-xmlsec"], sig_alg=ECDSA[bits], cli_node=R_NODE,
            proves=f"ECDSA ecdsa-sha{bits} on {p.key.curve.name} from libxmlsec1 verifies (raw r||s SignatureValue, "
            "rule 13; curve allow-list).",
        )
    for tag, name, bits, digest_bits in [("p256", "idp-ec-p256", 256, 256), ("bp384", "idp-ec-bp384", 384, 384),
                                         ("p256", "idp-ec-p256", 512, 512)]:
        p = pki[name]
        text = response_xml(rsig=signature_xml(uri="#_r1", sig_alg=ECDSA[bits], digest=DIGEST[digest_bits],
                                               cert_b64=""))
        e.emit(
            f"accept_ecdsa_{tag}_sha{bits}_xmlsec1cli.xml", xmlsec1_sign(text, p, R_NODE), trust=[p], expect="ok",
            generator=v["xmlsec1"], sig_alg=ECDSA[bits], cli_node=R_NODE,
            proves=f"ECDSA ecdsa-sha{bits} on {p.key.curve.name} from the Debian xmlsec1 CLI verifies"
            + (" (ecdsa-sha512 on P-256 is the CEF demo default)." if bits == 512 else "."),
        )
    for tag, name, bits in [("p256", "idp-ec-p256", 256), ("bp512", "idp-ec-bp512", 512)]:
        p = pki[name]
        data = signxml_sign(response_xml(rsig=PLACEHOLDER), p, ECDSA[bits], DIGEST[bits], "_r1")
        e.emit(
            f"accept_ecdsa_{tag}_sha{bits}_signxml.xml", data, trust=[p], expect="ok", generator=v["signxml"],
            sig_alg=ECDSA[bits], cli_node=R_NODE,
            proves=f"ECDSA ecdsa-sha{bits} on {p.key.curve.name} from signxml verifies.",
        )
    p = pki["idp-ec-p256"]
    text = response_xml(rsig=signature_xml(uri="#_r1", sig_alg=ECDSA[256], cert_b64=p.cert_b64))
    e.emit(
        "accept_ecdsa_p256_sha256_primitives.xml", hand_sign(text, "R", ecdsa_raw(p.key, 256)).encode(), trust=[p],
        expect="ok", generator=v["primitives"], sig_alg=ECDSA[256], cli_node=R_NODE,
        proves="Hand-assembled ECDSA P-256 base document (accept sibling of the ECDSA reject vectors).",
    )


def _assertions(e, pki, v, idp):
    sig = signature_xml(uri="#_a1", sig_alg=PSS[256], cert_b64="")
    text = XML_DECL + assertion_xml(asig=sig, ns_decls=ASSERTION_SELF_NS) + "\n"
    e.emit(
        "accept_assertion_standalone_rsapss_sha256_xmlsec.xml", xmlsec_sign(text, idp), trust=[idp],
        element="assertion", expect="ok", generator=v["python-xmlsec"], sig_alg=PSS[256],
        proves="A standalone signed saml2:Assertion (Reference #_a1, signature after its Issuer) verifies "
        "(rule 18: a decrypted assertion's own signature).",
    )
    p = pki["idp-ec-p256"]
    sig = signature_xml(uri="#_a1", sig_alg=ECDSA[256], cert_b64=p.cert_b64, tag="A", ds_decl=False)
    text = response_xml(body=assertion_xml(asig=sig), root_ns=f'{RESPONSE_NS} xmlns:ds="{NS_DS}"')
    e.emit(
        "accept_assertion_in_response_ecdsa_p256_primitives.xml",
        hand_sign(text, "A", ecdsa_raw(p.key, 256)).encode(), trust=[p], element="assertion", expect="ok",
        generator=v["primitives"], sig_alg=ECDSA[256],
        proves="A signed Assertion inside an unsigned Response, using ds/saml2/xsd prefixes declared only on the "
        "Response, verifies (exc-c14n renders visibly used namespaces; PrefixList for QName content).",
    )
    asig = signature_xml(uri="#_a1", sig_alg=PSS[256], cert_b64=idp.cert_b64, tag="A")
    rsig = signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=idp.cert_b64, tag="R")
    text = response_xml(rsig=rsig, body=assertion_xml(asig=asig))
    text = hand_sign(hand_sign(text, "A", pss(idp.key, 256)), "R", pss(idp.key, 256))
    for element in ("root", "assertion"):
        e.emit(
            "accept_response_and_assertion_signed_primitives.xml", text.encode(), trust=[idp], element=element,
            expect="ok", generator=v["primitives"], sig_alg=PSS[256], write=element == "root",
            proves=f"Baseline B: both the Response and its Assertion are signed; verifying the {element} "
            "ignores the other signature (the enveloped transform removes only its own Signature).",
        )


def _metadata(e, v, idp):
    for uri, name in (("", "uri_empty"), ("#_md1", "uri_id")):
        sig = signature_xml(uri=uri, sig_alg=PSS[512], digest=DIGEST[512], cert_b64="", prefixes=None, ds_decl=False)
        text = entity_descriptor_xml(sig=sig, idp_cert_b64=idp.cert_b64)
        e.emit(
            f"accept_metadata_{name}_xmlsec.xml", xmlsec_sign(text, idp), trust=[idp], expect="ok",
            generator=v["python-xmlsec"], sig_alg=PSS[512], cli_node=None,
            proves=f'Metadata (md:EntityDescriptor) signed with Reference URI="{uri}" verifies '
            + ('(URI="" is allowed only for the metadata document element, rule 10).' if not uri else "(rule 10)."),
        )


def _whitespace(e, pki, v, idp):
    # W1: base64 wrapped with \n, \r\n and spaces (DigestValue is inside SignedInfo, so its wrapping is signed).
    cert = wrap_lines(idp.cert_b64, 64, "\n", lead="\n", trail="\n")
    data = base_response(
        pki,
        sig_kw={"cert_b64": cert},
        wrap_digest=lambda s: wrap_lines(s, 16, "\n                ", lead="\n                ", trail="\n  "),
        wrap_value=lambda s: wrap_lines(s, 64, "\r\n", lead="\r\n", trail="\r\n        "),
    )
    e.emit(
        "accept_w1_base64_wrapped.xml", data, trust=[idp], expect="ok", generator=v["primitives"], sig_alg=PSS[256],
        proves="W1: DigestValue, SignatureValue and X509Certificate split with LF, CRLF and spaces decode after "
        "stripping XML whitespace.",
    )
    # W2: a literal CRLF (normalized to LF by the parser) next to &#13; (kept, c14n writes &#xD;); xmlsec1-signed.
    p = pki["idp-ec-p256"]
    extra = _attribute("urn:test:vectors:w2", "first line@@LF@@second line&#13;&#10;third line &#13; end")
    text = response_xml(rsig=signature_xml(uri="#_r1", sig_alg=ECDSA[256], cert_b64=""),
                        body=assertion_xml(statement=_statement_with(extra)))
    data = xmlsec1_sign(text.replace("@@LF@@", "\n"), p, R_NODE)
    data = data.replace(b"first line\nsecond line", b"first line\r\nsecond line")
    if b"first line\r\nsecond line" not in data:
        raise RuntimeError("W2: the literal CRLF was not placed")
    e.emit(
        "accept_w2_cr_charref.xml", data, trust=[p], expect="ok", generator=v["xmlsec1"] + "; LF->CRLF after signing",
        sig_alg=ECDSA[256], cli_node=R_NODE,
        proves="W2: a literal CRLF in signed text is normalized to LF before c14n while &#13; survives (c14n "
        "writes &#xD;); both verify as signed by xmlsec1.",
    )
    # W3: char refs and a literal tab/newline in attribute values (attribute-value normalization).
    extra_attr = ' test:note="tab&#9;lf&#10;cr&#13;literal-tab\tliteral-lf\nend"'
    sig = signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=idp.cert_b64)
    text = response_xml(rsig=sig, root_ns=f"{RESPONSE_NS} {TEST_NS}",
                        body=assertion_xml(extra_attrs=extra_attr.replace("\n", "@@LF@@")))
    text = hand_sign(text.replace("@@LF@@", "\n"), "R", pss(idp.key, 256))
    e.emit(
        "accept_w3_attr_charrefs.xml", text.encode(), trust=[idp], expect="ok", generator=v["primitives"],
        sig_alg=PSS[256],
        proves="W3: &#9; &#10; &#13; in an attribute survive (c14n writes &#x9; &#xA; &#xD;) while a literal tab "
        "and newline become spaces.",
    )
    # W4: CDATA with ]]> split across two sections, quotes and markup characters.
    extra = _attribute("urn:test:vectors:w4", "<![CDATA[a]]]]><![CDATA[>b & c < d \"q\" 'a' &amp;]]>")
    text = response_xml(rsig=signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=""),
                        body=assertion_xml(statement=_statement_with(extra)))
    e.emit(
        "accept_w4_cdata.xml", xmlsec_sign(text, idp), trust=[idp], expect="ok", generator=v["python-xmlsec"],
        sig_alg=PSS[256], proves="W4: CDATA sections (one ending in ]], one holding & < \" ') become escaped text in "
        "c14n and verify.",
    )
    # W9: xml:lang / xml:space on the signed elements; exclusive c14n does not inherit xml:* attributes.
    asig = signature_xml(uri="#_a1", sig_alg=PSS[256], cert_b64=idp.cert_b64, tag="A")
    rsig = signature_xml(uri="#_r1", sig_alg=PSS[256], cert_b64=idp.cert_b64, tag="R")
    text = response_xml(rsig=rsig, extra_attrs=' xml:lang="fr" xml:space="preserve"',
                        body=assertion_xml(asig=asig, extra_attrs=' xml:lang="de"'))
    text = hand_sign(hand_sign(text, "A", pss(idp.key, 256)), "R", pss(idp.key, 256))
    for element in ("root", "assertion"):
        e.emit(
            "accept_w9_xml_lang_space.xml", text.encode(), trust=[idp], element=element, expect="ok",
            generator=v["primitives"], sig_alg=PSS[256], write=element == "root",
            proves=f"W9: xml:lang/xml:space on the Response and xml:lang on the Assertion; verifying the {element} "
            "proves exc-c14n does not import xml:* attributes from ancestors.",
        )


def _comment_injection(e, pki, v, idp):
    victim = "victim@x.fr.evil.com"
    data = base_response(pki, nameid=victim)
    data = data.replace(f"{victim}</saml2:NameID>".encode(), b"victim@x.fr<!---->.evil.com</saml2:NameID>")
    e.emit(
        "accept_comment_in_nameid.xml", data, trust=[idp], expect="ok", expect_text={"NameID": victim},
        generator=v["primitives"] + "; <!----> inserted after signing", sig_alg=PSS[256],
        proves="C1 (CVE-2017-11427 class): a comment inside NameID keeps the signature valid; the NameID must read "
        "in full as victim@x.fr.evil.com, never only the first text node.",
    )


def _attribute(name: str, value: str) -> str:
    return (
        f'<saml2:Attribute Name="{name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">\n'
        f'    <saml2:AttributeValue xsi:type="xsd:string">{value}</saml2:AttributeValue>\n'
        f"</saml2:Attribute>"
    )


def _statement_with(extra: str) -> str:
    return attribute_statement().replace(
        "\n</saml2:AttributeStatement>", "\n" + indent(extra, 4) + "\n</saml2:AttributeStatement>"
    )
