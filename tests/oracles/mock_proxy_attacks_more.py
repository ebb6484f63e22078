"""Attack scenarios §2.4-2.8 (c14n and whitespace, XML-Enc, protocol, LoA, attributes), the valid
variants the connector must accept, and the metadata variants of §2.9, for the mock proxy
service. Shared builders and §2.1-2.3 are in `mock_proxy_attacks.py`.

XML-Enc pieces come from `vectorgen.encryption` (pyca/cryptography primitives, assembled by
hand where libxmlsec1 will not emit the shape); signatures from python-xmlsec or the
hand-assembled signer of `vectorgen.signing`.
"""

import datetime
import os
import re
from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric import padding

import mock_proxy_attacks as a
import mock_proxy_saml as saml
from saml_gen import metadata as md
from saml_gen import scenario as s
from saml_gen import templates as t
from saml_gen import xmlcrypto as xc
from vectorgen import common as vc
from vectorgen import encryption as ve
from vectorgen import signing as vs

RETRIEVAL_TYPE = "http://www.w3.org/2001/04/xmlenc#EncryptedKey"
SHIFT = datetime.timedelta(minutes=10)

# --- XML-Enc, assembled from vectorgen.encryption -------------------------------------------------


def hand_encrypted(c, plaintext: bytes, *, method: str | None = None, oaep=(256, 256), label=None, wrap=None,
                   data_alg: str = vc.AES_GCM[256], cek_bits: int = 256, n_keys: int = 1, retrieval: str | None = None,
                   blob_edit=None, type_uri: str = vc.ENC_ELEMENT, recipient=None) -> str:
    """saml2:EncryptedAssertion: AES-GCM data, the CEK wrapped by RSA-OAEP (or `wrap`) to our
    certificate (or `recipient`), in `n_keys` EncryptedKeys inline, or one sibling named by `retrieval`."""
    cert = recipient or c.connector.encryption_cert
    cek = os.urandom(cek_bits // 8)
    blob = ve.gcm_encrypt(cek, plaintext)
    blob = blob_edit(blob) if blob_edit else blob
    method = method or ve.oaep_method(vc.RSA_OAEP11, digest=vc.DIGEST[oaep[0]], mgf=vc.MGF1[oaep[1]], label=label)
    wrapped = wrap(cert.public_key(), cek) if wrap else ve.oaep_wrap(cert.public_key(), cek, oaep[0], oaep[1], label)
    keyinfo = ve.x509_keyinfo(xc.der_b64(cert))
    ek_id, ed_id = saml.new_id("_ek"), saml.new_id("_ed")
    if retrieval is not None:
        ek = ve.encrypted_key(method, keyinfo, ve.b64(wrapped), attrs=f' Id="{ek_id}"', decls=True)
        pointer = f'<ds:RetrievalMethod Type="{RETRIEVAL_TYPE}" URI="{retrieval or "#" + ek_id}"/>'
        ed = ve.encrypted_data(data_alg, pointer, ve.b64(blob), type_uri=type_uri, ed_id=ed_id)
        return t.encrypted_assertion(ed + "\n" + ek)
    keys = "\n".join(ve.encrypted_key(method, keyinfo, ve.b64(wrapped), attrs=f' Id="{ek_id}{i}"')
                     for i in range(n_keys))
    return t.encrypted_assertion(ve.encrypted_data(data_alg, keys, ve.b64(blob), type_uri=type_uri, ed_id=ed_id))


def enc_response(c, plaintext: bytes | None = None, **kw) -> bytes:
    return a.response(c, blocks=(hand_encrypted(c, plaintext or a.assertion_text(c.spec), **kw),))


def atk_aes_cbc(c):  # E1/E2: AES-256-CBC content encryption (python-xmlsec)
    ed = xc.encrypt_rsa_to(a.assertion_text(c.spec), a.cert_pem(c), cipher="aes256-cbc",
                           data_id=saml.new_id("_ed"), key_id=saml.new_id("_ek"))
    return a.response(c, blocks=(t.encrypted_assertion(ed),))


def atk_rsa_1_5(c):  # E3: PKCS#1 v1.5 key transport
    return enc_response(c, method=f'<xenc:EncryptionMethod Algorithm="{vc.RSA_1_5}"/>',
                        wrap=lambda pub, cek: pub.encrypt(cek, padding.PKCS1v15()))


def atk_oaep_md5_digest(c):  # E4: OAEP declaring an MD5 digest
    return enc_response(c, method=ve.oaep_method(vc.RSA_OAEP11, digest=vc.DIGEST_MD5, mgf=vc.MGF1[256]))


def atk_oaep_mgf1sha224(c):  # E4: MGF1-SHA224
    return enc_response(c, method=ve.oaep_method(vc.RSA_OAEP11, digest=vc.DIGEST[256],
                                                 mgf="http://www.w3.org/2009/xmlenc11#mgf1sha224"))


def ok_oaep_label(c):  # E4: a non-empty OAEPparams label (xmlsec-profile 24 reads it)
    return enc_response(c, label=b"label")


def atk_gcm_truncated(c):  # E5: CipherValue shorter than IV + tag
    return enc_response(c, blob_edit=lambda b: b[:20])


def atk_gcm_tag_flipped(c):  # E5: one tag bit flipped
    return enc_response(c, blob_edit=lambda b: b[:-1] + bytes([b[-1] ^ 1]))


def atk_gcm_short_tag(c):  # E5: an 8-byte tag
    return enc_response(c, blob_edit=lambda b: b[:-8])


def atk_gcm_not_xml(c):  # E5: a valid tag over a plaintext that is not XML
    return enc_response(c, plaintext=b"not XML at all")


def atk_unsigned_attacker_assertion(c):  # E7a: unsigned Response, the attacker's Assertion encrypted to us
    return a.response(c, spec=a.evil_spec(c), signer=None)


def atk_second_encrypted_assertion(c):  # E7b: the attacker's EncryptedAssertion appended to a signed Response
    data = a.response(c)
    block = a.encrypted_block(data)
    return data.replace(block, block + b"\n    " + a.encrypted(c, a.assertion_text(a.evil_spec(c))).encode(), 1)


def atk_plaintext_is_response(c):  # E7c: the encrypted plaintext is a samlp:Response
    inner = a.response(c, spec=a.evil_spec(c), signer=None).split(b"?>", 1)[1].strip()
    return a.response(c, plaintext=inner)


def atk_plaintext_two_assertions(c):  # E7c: two Assertions in one EncryptedData
    return a.response(c, plaintext=a.assertion_text(c.spec) + a.assertion_text(a.evil_spec(c)))


def atk_many_encrypted_keys(c):  # E8: 20 EncryptedKeys (each an RSA private operation)
    return enc_response(c, n_keys=20)


def atk_retrieval_method_external(c):  # E8: a RetrievalMethod to an outside URL (never fetched)
    return enc_response(c, retrieval="http://127.0.0.1:9/ek.xml")


def atk_other_recipient(c):  # E8: the key transported to another certificate (the attacker's)
    return enc_response(c, recipient=c.proxy.pki.certificate(saml.ATTACKER))


def atk_content_type(c):  # xmlsec-profile 22: Type=#Content instead of #Element
    return enc_response(c, type_uri=vc.ENC_CONTENT)


def atk_plaintext_doctype(c):  # E10: a DOCTYPE in the decrypted plaintext
    return a.response(c, plaintext=b"<!DOCTYPE a>" + a.assertion_text(c.spec))


def atk_plaintext_deep(c):  # E10: deep nesting in the decrypted plaintext
    deep = '<x:d xmlns:x="urn:x">' * 1000 + "</x:d>" * 1000
    text = a.assertion_text(c.spec).replace(b"</saml2:Issuer>", b"</saml2:Issuer>" + deep.encode(), 1)
    return a.response(c, plaintext=text)


# --- §2.4 whitespace and c14n (rejects) -----------------------------------------------------------


def atk_status_trailing_space(c):  # W6: "Success " (signed)
    return a.response(c, resp=replace(c.resp, status=t.status_block(code=s.STATUS_SUCCESS + " ")))


def atk_empty_issuer(c):  # W8: an empty signed Response Issuer
    return a.response(c, resp=replace(c.resp, issuer=""))


# --- §2.6 protocol --------------------------------------------------------------------------------


def _drop_attr(name: str, value: str):
    return lambda text: text.replace(f' {name}="{value}"', "", 1)


def _later(minutes: int) -> str:
    return saml.instant(saml.now_utc() + datetime.timedelta(minutes=minutes))


def atk_unsolicited(c):  # P2: no InResponseTo
    return a.response(c, edit=_drop_attr("InResponseTo", c.request.id))


def atk_in_response_to_unknown(c):  # P3a
    return a.response(c, resp=replace(c.resp, in_response_to=saml.new_id()))


def atk_scd_in_response_to_other(c):  # P3d: SubjectConfirmationData InResponseTo differs
    return a.response(c, spec=replace(c.spec, scd_in_response_to=saml.new_id()))


def atk_destination_other(c):  # P4
    return a.response(c, resp=replace(c.resp, destination=saml.OTHER_DESTINATION))


def atk_destination_other_path(c):  # P4: our origin, another path
    return a.response(c, resp=replace(c.resp, destination=c.connector.acs_url + "/"))


def atk_destination_missing(c):  # P4: Destination absent on a signed Response
    return a.response(c, edit=_drop_attr("Destination", c.connector.acs_url))


def atk_recipient_other(c):  # P4
    return a.response(c, spec=replace(c.spec, scd_recipient=saml.OTHER_DESTINATION))


def atk_audience_other(c):  # P4
    return a.response(c, spec=replace(c.spec, audience=saml.OTHER_AUDIENCE))


def atk_conditions_expired(c):  # P5
    return a.response(c, spec=replace(c.spec, not_before=_later(-20), not_on_or_after=_later(-10)))


def atk_not_yet_valid(c):  # P5: NotBefore 10 min ahead
    return a.response(c, spec=replace(c.spec, not_before=_later(10)))


def atk_scd_expired(c):  # P5: SubjectConfirmationData NotOnOrAfter passed
    return a.response(c, spec=replace(c.spec, scd_not_on_or_after=_later(-10)))


def atk_issue_instant_stale(c):  # P5: the Response issued an hour ago
    return a.response(c, resp=replace(c.resp, issue_instant=_later(-60)))


def atk_issue_instant_future(c):  # P5: the Response issued 10 min ahead
    return a.response(c, resp=replace(c.resp, issue_instant=_later(10)))


def atk_instant_without_timezone(c):  # P5: xsd:dateTime without a timezone
    return a.response(c, resp=replace(c.resp, issue_instant=c.resp.issue_instant.rstrip("Z")))


def atk_issuer_other(c):  # P6: the Response Issuer is another proxy service
    return a.response(c, resp=replace(c.resp, issuer=s.OTHER_PROXY_ENTITY_ID))


def atk_assertion_issuer_other(c):  # P6: the Assertion Issuer differs from the Response's
    return a.response(c, spec=replace(c.spec, issuer=s.OTHER_PROXY_ENTITY_ID))


def atk_issuer_format_not_entity(c):  # P6
    return a.response(c, edit=lambda text: text.replace(s.NAMEID_ENTITY, s.NAMEID_UNSPECIFIED, 1))


def atk_subject_sender_vouches(c):  # P7
    return a.response(c, spec=replace(c.spec, sc_method=s.CM_SENDER_VOUCHES))


def atk_subject_confirmation_missing(c):  # P7
    return a.response(c, spec=replace(c.spec, subject_confirmation=False))


def atk_two_subject_confirmations(c):  # P7: a second SubjectConfirmation beside the valid bearer one
    text = a.assertion_text(c.spec)
    sc = re.search(rb"<saml2:SubjectConfirmation .*?</saml2:SubjectConfirmation>", text, re.S).group(0)
    other = sc.replace(c.connector.acs_url.encode(), saml.OTHER_DESTINATION.encode())
    return a.response(c, plaintext=text.replace(sc, sc + other, 1))


def atk_status_failure_with_assertion(c):  # P8: AuthnFailed that still carries a valid Assertion
    status = t.status_block(s.STATUS_RESPONDER, s.STATUS_AUTHN_FAILED, s.MSG_AUTHN_FAILED)
    return a.response(c, resp=replace(c.resp, consent=s.CONSENT_UNSPECIFIED, status=status))


# --- §2.7 LoA -------------------------------------------------------------------------------------


def _loa(c, loa):
    return a.response(c, spec=replace(c.spec, loa=loa))


def atk_loa_low(c):  # L1
    return _loa(c, s.LOA["low"])


def atk_loa_not_notified(c):  # L2
    return _loa(c, s.LOA_NOT_NOTIFIED)


def atk_loa_missing(c):  # L3: no AuthnContextClassRef
    return _loa(c, None)


def atk_loa_case_variant(c):  # L3: a case variant of the URI
    return _loa(c, s.LOA["substantial"].replace("substantial", "Substantial"))


def atk_loa_whitespace(c):  # L3: surrounding whitespace (exact match, no normalisation)
    return _loa(c, " " + c.spec.loa + " ")


def atk_loa_two_statements(c):  # L3: two AuthnStatements, the second one low
    text = a.assertion_text(replace(c.spec, authn_statements=2))
    last = text.rindex(c.spec.loa.encode())
    text = text[:last] + s.LOA["low"].encode() + text[last + len(c.spec.loa):]
    return a.response(c, plaintext=text)


def atk_loa_decl_ref(c):  # L3: AuthnContextDeclRef instead of ClassRef
    text = a.assertion_text(c.spec).replace(b"AuthnContextClassRef", b"AuthnContextDeclRef")
    return a.response(c, plaintext=text)


def atk_loa_in_extensions(c):  # L4: high in (signed) Extensions, low in the Assertion
    ext = f"<saml2:AuthnContextClassRef>{s.LOA['high']}</saml2:AuthnContextClassRef>"
    return a.response(c, spec=replace(c.spec, loa=s.LOA["low"]), edit=a.with_extensions(ext))


# --- §2.8 attributes ------------------------------------------------------------------------------


def _attrs(c, attrs):
    return a.response(c, spec=replace(c.spec, attributes=tuple(attrs)))


def _pid_attr(c):
    return next(x for x in c.spec.attributes if x.name == s.PERSON_IDENTIFIER)


def _with_pid(c, value):
    pid = _pid_attr(c)
    new = replace(pid, values=(replace(pid.values[0], content=value),))
    return _attrs(c, t.replace_attribute(c.spec.attributes, s.PERSON_IDENTIFIER, new))


def atk_attr_date_of_birth_missing(c):  # T1
    return _attrs(c, t.replace_attribute(c.spec.attributes, s.DATE_OF_BIRTH, None))


def atk_attr_person_identifier_other_country(c):  # T2: issued by another country
    return _with_pid(c, "YY/" + c.spec.name_id.split("/", 1)[1])


def atk_attr_person_identifier_other_destination(c):  # T2: made for another destination
    parts = c.spec.name_id.split("/")
    return _with_pid(c, f"{parts[0]}/DE/{parts[2]}")


def atk_attr_person_identifier_twice(c):  # T3: the attribute repeated (another value)
    pid = _pid_attr(c)
    other = replace(pid, values=(replace(pid.values[0], content=c.person_id(a.EVIL)),))
    return _attrs(c, (other,) + c.spec.attributes)


def atk_attr_person_identifier_two_values(c):  # T3: a single-valued attribute with two values
    pid = _pid_attr(c)
    two = replace(pid, values=(replace(pid.values[0], content=c.person_id(a.EVIL)),) + pid.values)
    return _attrs(c, t.replace_attribute(c.spec.attributes, s.PERSON_IDENTIFIER, two))


def atk_attr_name_trailing_space(c):  # T4: the PersonIdentifier Name with a trailing space
    return _attrs(c, t.replace_attribute(c.spec.attributes, s.PERSON_IDENTIFIER,
                                         replace(_pid_attr(c), name=s.PERSON_IDENTIFIER + " ")))


def atk_attr_name_format_basic(c):  # T4: NameFormat basic
    text = a.assertion_text(c.spec)
    marker = f'Name="{s.PERSON_IDENTIFIER}" NameFormat="{s.URI_FORMAT}"'.encode()
    basic = f'Name="{s.PERSON_IDENTIFIER}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"'
    return a.response(c, plaintext=text.replace(marker, basic.encode(), 1))


# --- accepted variants ----------------------------------------------------------------------------


def _prefixes(text: str, mapping) -> str:
    for old, new in mapping:
        text = text.replace(f"<{old}:", f"<{new}:" if new else "<").replace(f"</{old}:", f"</{new}:" if new else "</")
        text = text.replace(f"xmlns:{old}=", f"xmlns:{new}=" if new else "xmlns=")
    return text


def _renamed(c, mapping):
    plaintext = _prefixes(t.render_assertion(c.spec), [("saml2", "saml")]).encode()
    resp = replace(c.resp, body=(a.encrypted(c, plaintext),),
                   signature=c.proxy.pki.signature_template(c.signer, c.resp.response_id))
    mapping = list(mapping) + [("ds", "dsig")]
    return c.proxy.pki.sign(_prefixes(t.render_response(resp), mapping), c.signer)


def ok_baseline(c):
    return a.response(c)


def ok_other_prefixes(c):  # samlp / saml / dsig instead of saml2p / saml2 / ds
    return _renamed(c, [("saml2p", "samlp"), ("saml2", "saml")])


def ok_default_namespace(c):  # the protocol namespace as the default namespace
    return _renamed(c, [("saml2p", None), ("saml2", "saml")])


def ok_whitespace_compact(c):  # no whitespace between elements
    text = re.sub(rb">\s+<", b"><", a.assertion_text(c.spec))
    return a.response(c, plaintext=text, edit=lambda x: re.sub(r">\s+<", "><", x.split("\n", 1)[1]))


def ok_crlf_line_ends(c):  # W2: CRLF line ends after signing (the parser normalises them)
    return a.response(c).replace(b"\n", b"\r\n")


def ok_base64_wrapped(c):  # W1: SignatureValue and X509Certificate wrapped with newlines and spaces
    data = a.response(c)
    for tag in (b"SignatureValue", b"X509Certificate"):
        m = re.search(rb"<ds:" + tag + rb">([^<]*)</ds:" + tag + rb">", data)
        value = re.sub(rb"\s", b"", m.group(1))
        wrapped = b"\n".join(value[i:i + 64] for i in range(0, len(value), 64)) + b"\n "
        data = data.replace(m.group(0), b"<ds:" + tag + b">\n" + wrapped + b"</ds:" + tag + b">", 1)
    return data


def ok_cdata(c):  # W4: CDATA in signed content (StatusMessage)
    status = t.status_block(message=f"<![CDATA[{s.STATUS_SUCCESS}]]>")
    return a.response(c, resp=replace(c.resp, status=status))


def ok_inclusive_prefixes(c):  # W5: InclusiveNamespaces PrefixList on the Response signature
    def edit(text):
        return text.replace(f'<ds:Transform Algorithm="{xc.EXC_C14N}"/>',
                            f'<ds:Transform Algorithm="{xc.EXC_C14N}"><ec:InclusiveNamespaces '
                            f'xmlns:ec="{xc.EXC_C14N}" PrefixList="saml2 xsi"/></ds:Transform>', 1)
    return a.response(c, edit=edit)


def ok_xml_lang(c):  # W9: xml:lang on a signed element
    status = t.status_block().replace("<saml2p:StatusMessage>", '<saml2p:StatusMessage xml:lang="en">')
    return a.response(c, resp=replace(c.resp, status=status))


def ok_pss_sha384(c):
    return a.hand_signed(c, method=vc.PSS[384], sign=a._pss(c, 384), digest=vc.DIGEST[384])


def ok_pss_sha512(c):
    return a.hand_signed(c, method=vc.PSS[512], sign=a._pss(c, 512), digest=vc.DIGEST[512])


def _ecdsa(name, bits):
    def build(c):
        return a.hand_signed(c, method=vc.ECDSA[bits], sign=vs.ecdsa_raw(a.private_key(c, name), bits),
                             digest=vc.DIGEST[bits], key_name=name)
    return build


# Signing keys published by the metadata mode "all_signers" (and the hash each is used with).
ECDSA_SIGNERS = {"p256": ("idp-ec-p256", 256), "p384": ("idp-ec-p384", 384), "p521": ("idp-ec-p521", 512),
                 "bp256": ("idp-ec-bp256", 256), "bp384": ("idp-ec-bp384", 384), "bp512": ("idp-ec-bp512", 512)}


def ok_attribute_order(c):  # attributes in reverse order
    return a.response(c, spec=replace(c.spec, attributes=tuple(reversed(c.spec.attributes))))


def ok_retrieval_method(c):  # SAML Core 2.2.4: a sibling EncryptedKey named by RetrievalMethod
    return enc_response(c, retrieval="")


def ok_sha1_oaep(c):  # xmlenc11#rsa-oaep with SHA-1 digest and MGF1-SHA1 (the reference node's default)
    return enc_response(c, oaep=(1, 1))


def ok_mgf1p(c):  # rsa-oaep-mgf1p from a peer announcing protocol 1.2 (python-xmlsec)
    ed = xc.encrypt_rsa_to(a.assertion_text(c.spec), a.cert_pem(c), transport="rsa-oaep-mgf1p",
                           data_id=saml.new_id("_ed"), key_id=saml.new_id("_ek"))
    return a.response(c, blocks=(t.encrypted_assertion(ed),))


def ok_aes128_gcm(c):
    return enc_response(c, cek_bits=128, data_alg=vc.AES_GCM[128])


def ok_signed_assertion(c):  # the Assertion signed too (python-xmlsec)
    return a.response(c, plaintext=a.signed_assertion(c, c.spec))


# --- §2.9 metadata variants -----------------------------------------------------------------------

METADATA_MODES = ("all_signers", "other_signer", "entity_mismatch", "xsw")


def build_metadata(proxy, valid_until, mode: str) -> bytes:
    """The proxy metadata in `mode`: `all_signers` publishes every ECDSA test key beside the
    current one (valid); the others are attacks (signed by the attacker, another entityID, XSW1)."""
    method, size = proxy.pki.signature_method(proxy.signer)
    entity = md.ProxyEntity(entity_id=proxy.entity_id if mode != "entity_mismatch" else s.OTHER_PROXY_ENTITY_ID,
                            sso_url=proxy.sso_url, country=proxy.country, metadata_id=saml.new_id("_md"),
                            encryption_cert=proxy.pki.cert_b64(saml.ENCRYPTION_CERT), signing_methods=((method, size),))
    text = md.render(saml.instant(valid_until), signing_cert=proxy.pki.cert_b64(proxy.signer),
                     signature=proxy.pki.signature_template(saml.METADATA_SIGNER, entity.metadata_id), entity=entity)
    if mode == "all_signers":
        extra = "".join(md._key_descriptor("signing", proxy.pki.cert_b64(n)) for n, _ in ECDSA_SIGNERS.values())
        text = text.replace('        <md:KeyDescriptor use="encryption">', extra + '        <md:KeyDescriptor use="encryption">', 1)
    signer = saml.ATTACKER if mode == "other_signer" else saml.METADATA_SIGNER
    data = proxy.pki.sign(text, signer)
    if mode == "xsw":  # the signed original hidden in ds:Signature, an outer copy with the attacker's key
        root = a.parse(data)
        clone = a.parse(data)
        clone.remove(clone.find("ds:Signature", a.NS))
        root.set("ID", saml.new_id("_evil"))
        root.find("ds:Signature", a.NS).append(clone)
        out = a.serialize(root).decode()
        data = out.replace(proxy.pki.cert_b64(proxy.signer), proxy.pki.cert_b64(saml.ATTACKER), 1).encode()
    return data


# --- the table ------------------------------------------------------------------------------------

XMLENC = ("atk_aes_cbc", "atk_rsa_1_5", "atk_oaep_md5_digest", "atk_oaep_mgf1sha224",
          "atk_gcm_truncated", "atk_gcm_tag_flipped", "atk_gcm_short_tag", "atk_gcm_not_xml",
          "atk_unsigned_attacker_assertion", "atk_second_encrypted_assertion", "atk_plaintext_is_response",
          "atk_plaintext_two_assertions", "atk_many_encrypted_keys", "atk_retrieval_method_external",
          "atk_other_recipient", "atk_content_type", "atk_plaintext_doctype", "atk_plaintext_deep")
C14N = ("atk_status_trailing_space", "atk_empty_issuer")
PROTOCOL = ("atk_unsolicited", "atk_in_response_to_unknown", "atk_scd_in_response_to_other", "atk_destination_other",
            "atk_destination_other_path", "atk_destination_missing", "atk_recipient_other", "atk_audience_other",
            "atk_conditions_expired", "atk_not_yet_valid", "atk_scd_expired", "atk_issue_instant_stale",
            "atk_issue_instant_future", "atk_instant_without_timezone", "atk_issuer_other",
            "atk_assertion_issuer_other", "atk_issuer_format_not_entity", "atk_subject_sender_vouches",
            "atk_subject_confirmation_missing", "atk_two_subject_confirmations", "atk_status_failure_with_assertion")
LOA = ("atk_loa_low", "atk_loa_not_notified", "atk_loa_missing", "atk_loa_case_variant",
       "atk_loa_two_statements", "atk_loa_decl_ref", "atk_loa_in_extensions", "atk_loa_whitespace")
ATTRIBUTES = ("atk_attr_date_of_birth_missing", "atk_attr_person_identifier_other_country",
              "atk_attr_person_identifier_other_destination", "atk_attr_person_identifier_twice",
              "atk_attr_person_identifier_two_values", "atk_attr_name_trailing_space", "atk_attr_name_format_basic")
ACCEPTED = ("ok_baseline", "ok_other_prefixes", "ok_default_namespace", "ok_whitespace_compact", "ok_crlf_line_ends",
            "ok_base64_wrapped", "ok_cdata", "ok_inclusive_prefixes", "ok_xml_lang", "ok_pss_sha384", "ok_pss_sha512",
            "ok_attribute_order", "ok_retrieval_method", "ok_sha1_oaep", "ok_mgf1p", "ok_aes128_gcm",
            "ok_signed_assertion", "ok_oaep_label")
SCENARIOS = {name: globals()[name] for name in XMLENC + C14N + PROTOCOL + LOA + ATTRIBUTES + ACCEPTED}
SCENARIOS.update({f"ok_ecdsa_{k}": _ecdsa(*v) for k, v in ECDSA_SIGNERS.items()})
SCENARIOS.update(a.SCENARIOS)


def build(proxy, request, connector, scenario: str) -> tuple:
    """(Response bytes, summary for GET /last) of the attack or variant `scenario`."""
    c = a.context(proxy, request, connector)
    data = SCENARIOS[scenario](c)
    return data, {"scenario": scenario, "id": c.resp.response_id, "attack": scenario.startswith("atk_"),
                  "genuine_person_identifier": c.spec.name_id, "evil_person_identifier": c.person_id(a.EVIL)}
