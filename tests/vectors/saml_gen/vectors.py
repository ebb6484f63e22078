"""The Response vectors: accepts, then one-defect rejects, each with its expected outcome.

Each reject names its accept sibling; `defect` says the one thing that differs and the
manifest `diff` shows the changed lines of the pre-crypto texts. After the mutation the
Assertion is re-encrypted and the Response re-signed, so only the named rule is broken.
"""

from dataclasses import replace

from . import scenario as s
from . import templates as t
from .build import (Built, evil_encrypted_assertion, make_failure, make_response, nested_assertion,
                    replace_encrypted_assertion, xsw)
from .registry import Registry
from .xmlcrypto import sign, signature_template

A = t.AssertionSpec()
OK = {"response_sig": True, "decrypt": True}  # cross-check verdicts of a well-made Response


def accepts(r: Registry):
    r.add("accept_success.xml", make_response(), expect="authenticated", want={**OK, "assertion_sig": False},
          proves="The reference node's success shape (signed Response, unsigned Assertion encrypted with "
                 "rsa-oaep sha256/mgf1sha256 + aes256-gcm) yields the citizen, with the Latin family name preferred "
                 "and the CurrentAddress fragment decoded.")
    r.add("accept_success_signed_assertion.xml", make_response(sign_assertion=True), expect="authenticated",
          want={**OK, "assertion_sig": True},
          proves="A signed Assertion (enveloped, Reference #assertion ID, PrefixList \"eidas-natural xsi\") inside "
                 "the signed Response is verified and accepted.")
    r.add("accept_success_signed_assertion_when_required.xml", r.built["accept_success_signed_assertion.xml"],
          expect="authenticated", want={**OK, "assertion_sig": True},
          context=s.context(peer={"require_signed_assertion": True}),
          proves="The same bytes as accept_success_signed_assertion.xml are accepted where the country requires "
                 "signed assertions.")
    r.add("accept_success_loa_high.xml", make_response(replace(A, loa=s.LOA["high"])), expect="authenticated",
          want=OK, proves="LoA high satisfies a request for minimum substantial (eIDAS IA 5 step 7) and is "
                          "returned as high.")
    r.add("accept_success_ecdh_es.xml", make_response(enc="ecdh-es", recipient=s.SP_ENC_EC),
          expect="authenticated", want=OK,
          proves="ECDH-ES key agreement to our P-256 key, ConcatKDF SHA-256 with \"00\" parameters (leading "
                 "padding-count byte stripped, eidas-spec §5.3) and kw-aes256 decrypts.")
    r.add("accept_success_mgf1p.xml", make_response(enc="rsa-oaep-mgf1p"), expect="authenticated", want=OK,
          proves="rsa-oaep-mgf1p (SHA-1) key transport is accepted from a peer whose highest announced "
                 "protocol version is below 1.4 (reference node policy).")
    r.add("accept_success_ns_from_response.xml",
          make_response(replace(A, self_ns=False), resp=t.ResponseSpec(assertion_ns_on_root=True)),
          expect="authenticated", want=OK,
          proves="A plaintext Assertion that declares no namespace itself (saml2, eidas-natural and xsi are "
                 "declared only on the outer Response) is parsed in the EncryptedAssertion's namespace context "
                 "(xmlsec-profile 28).")
    r.add("accept_failure_consent_denied.xml",
          make_failure(t.status_block(s.STATUS_RESPONDER, s.STATUS_REQUEST_DENIED, s.MSG_CONSENT_DENIED)),
          expect="failed:user_cancelled", want={"response_sig": True},
          expect_status={"status_code": s.STATUS_RESPONDER, "sub_status_code": s.STATUS_REQUEST_DENIED,
                         "status_message": s.MSG_CONSENT_DENIED},
          proves="A signed Responder/RequestDenied status without assertion is an outcome (user_cancelled), "
                 "not an error.")
    r.add("accept_failure_authn_failed.xml",
          make_failure(t.status_block(s.STATUS_RESPONDER, s.STATUS_AUTHN_FAILED, s.MSG_AUTHN_FAILED)),
          expect="failed:authentication_failed", want={"response_sig": True},
          expect_status={"status_code": s.STATUS_RESPONDER, "sub_status_code": s.STATUS_AUTHN_FAILED,
                         "status_message": s.MSG_AUTHN_FAILED},
          proves="A signed Responder/AuthnFailed status is the outcome authentication_failed.")
    r.add("accept_failure_with_ignored_assertion.xml",
          make_failure(t.status_block(s.STATUS_RESPONDER, s.STATUS_AUTHN_FAILED, s.MSG_AUTHN_FAILED),
                       with_assertion=True),
          expect="failed:authentication_failed", want=OK, check_values=True,
          expect_status={"status_code": s.STATUS_RESPONDER, "sub_status_code": s.STATUS_AUTHN_FAILED,
                         "status_message": s.MSG_AUTHN_FAILED},
          proves="A failure status that still carries a (valid, decryptable) EncryptedAssertion yields the "
                 "failure; the assertion is ignored and no identity comes out (attacks.md P8).")
    r.add("accept_success_with_legal_person_identifier.xml",
          make_response(replace(A, attributes=A.attributes + t.legal_attributes())), expect="authenticated",
          want=OK, want_legal={"LegalPersonIdentifier": s.LEGAL_PERSON_ID, "LegalName": s.LEGAL_NAME_VALUE},
          proves=f"An unrequested LegalPersonIdentifier {s.LEGAL_PERSON_ID} (issued by the country asked, for "
                 f"{s.OUR_COUNTRY}) and LegalName beside the natural person are accepted and kept as raw attributes.")
    r.add("accept_success_with_extensions.xml",
          make_response(resp=t.ResponseSpec(extensions=t.extensions(t.trace_extension()))),
          expect="authenticated", want=OK,
          proves="A signed Response carrying saml2p:Extensions with a foreign element (with its own ID) is "
                 "accepted: Extensions are schema-legal and ignored.")


def _reject(r: Registry, file: str, built: Built, code: str, defect: str, proves: str, *, sibling="accept_success.xml",
            want=None, context=None, note=None):
    r.add(file, built, expect=code, sibling=sibling, defect=defect, proves=proves, want=want or OK, context=context,
          note=note)


def rejects_signature(r: Registry):
    base = r.built["accept_success.xml"].data
    _reject(r, "reject_response_unsigned.xml", make_response(signer=None), "sig.missing",
            "the Response carries no ds:Signature",
            "An unsigned Response is refused even though its Assertion decrypts (eIDAS MF: responses MUST be signed).",
            want={"response_sig": False, "decrypt": True})
    _reject(r, "reject_response_signed_by_attacker.xml", make_response(signer=s.ATTACKER), "sig.invalid",
            "the Response is signed by attacker-rsa3072, whose certificate is in KeyInfo",
            "KeyInfo is never trusted: a signature by a key absent from the peer's metadata is invalid.",
            want={"response_sig": False, "naive_valid": s.ATTACKER, "decrypt": True})
    built = _sign_other_reference()
    _reject(r, "reject_response_sig_references_encrypted_assertion.xml", built, "sig.reference",
            f"the Response signature's Reference is #{s.ENC_DATA_ID} (the EncryptedData) instead of "
            f"#{s.RESPONSE_ID}; the signature value is cryptographically valid over that element",
            "A signature that covers only the (encrypted) assertion leaves Destination, InResponseTo and "
            "Status unsigned: the Reference must designate the Response itself.",
            want={"response_sig": None, "naive_valid": s.IDP_SIGNING, "decrypt": True})
    _reject(r, "reject_xsw1_clone_in_signature.xml", Built(xsw(base, 1), "", "", [
        "accept_success.xml re-serialized by lxml: XSW1 (SAML Raider) — the signed Response, minus its "
        "Signature, appended inside ds:Signature; outer Response given a new ID and an attacker-made "
        "EncryptedAssertion (python-xmlsec, to our cert)"]),
        "sig.structure",
        "XSW1: the original signed Response (without its Signature) is hidden as the last child of ds:Signature; "
        f"the outer Response has ID {s.EVIL_RESPONSE_ID} and the attacker's EncryptedAssertion",
        "XSW1 is refused: ds:Signature may hold only SignedInfo, SignatureValue and KeyInfo (profile rule 7, "
        "checked before the Reference rule 10 that it also breaks).",
        want={"response_sig": None, "decrypt": True},
        note="Computed from the ordered rules: rule 6 holds (one ds:Signature, right after Issuer); rule 7 fails "
             "first (a samlp:Response child inside ds:Signature) → sig.structure. A verifier that checked only "
             "the Reference would report sig.reference (#_resp… is not the root's ID). libxmlsec1 itself "
             "fails this one with a digest error because its enveloped-signature transform also drops the clone "
             "(a descendant of ds:Signature); implementations that resolve the Reference first are the target.")
    _reject(r, "reject_xsw2_clone_before_signature.xml", Built(xsw(base, 2), "", "", [
        "accept_success.xml re-serialized by lxml: XSW2 (SAML Raider) — the signed Response, minus its "
        "Signature, inserted between Issuer and ds:Signature; outer Response given a new ID and an attacker-made "
        "EncryptedAssertion (python-xmlsec, to our cert)"]),
        "sig.misplaced",
        "XSW2: the original signed Response (without its Signature) is inserted between Issuer and ds:Signature; "
        f"the outer Response has ID {s.EVIL_RESPONSE_ID} and the attacker's EncryptedAssertion",
        "XSW2 is refused: the Response signature must directly follow Issuer (profile rule 6).",
        want={"response_sig": None, "naive_valid": s.IDP_SIGNING, "decrypt": True},
        note="Computed from the ordered rules: rule 6 fails first (the element after Issuer is the hidden "
             "Response) → sig.misplaced; the Reference (#_resp…) would also fail rule 10.")
    _reject(r, "reject_xsw1_duplicate_id.xml", Built(xsw(base, 1, keep_id=True), "", "", [
        "as reject_xsw1_clone_in_signature.xml, but the outer Response keeps the original ID"]),
        "xml.duplicate_id",
        f"XSW1 where the outer Response keeps ID {s.RESPONSE_ID}, so the ID occurs twice",
        "Duplicate ID values anywhere in the document are refused by the parser, before any signature work "
        "(profile rule 5).",
        want={"response_sig": None, "decrypt": True})
    _reject(r, "reject_xsw2_duplicate_id.xml", Built(xsw(base, 2, keep_id=True), "", "", [
        "as reject_xsw2_clone_before_signature.xml, but the outer Response keeps the original ID"]),
        "xml.duplicate_id",
        f"XSW2 where the outer Response keeps ID {s.RESPONSE_ID}, so the ID occurs twice",
        "Duplicate ID values anywhere in the document are refused by the parser (profile rule 5).",
        want={"response_sig": None, "decrypt": True})
    _reject(r, "reject_xsw_e_replaced_encrypted_assertion.xml",
            Built(replace_encrypted_assertion(base, evil_encrypted_assertion()), "", "", [
                "accept_success.xml bytes with the EncryptedAssertion swapped for an attacker-made one "
                "(python-xmlsec, rsa-oaep + aes256-gcm to our cert; attacker's identity); signature untouched"]),
            "sig.digest_mismatch",
            "the EncryptedAssertion is replaced by one the attacker encrypted to our public certificate "
            "(PersonIdentifier ES/FR/87654321X); every other byte is the signed accept_success.xml",
            "Encryption wrapping (attacks.md E7): the Response signature must cover the exact EncryptedAssertion "
            "that is decrypted.",
            want={"response_sig": False, "decrypt": True})


def _sign_other_reference() -> Built:
    """accept_success with the Response signature's Reference pointing at the EncryptedData Id."""
    built = make_response(signer=None)
    sig = "\n    " + signature_template("#" + s.ENC_DATA_ID).replace("\n", "\n    ")

    def after_issuer(text: str) -> str:
        end = text.index("</saml2:Issuer>") + len("</saml2:Issuer>")
        return text[:end] + sig + text[end:]

    data = sign(after_issuer(built.data.decode("utf-8")), s.IDP_SIGNING)
    steps = built.steps[:-1] + [f"Response signed by python-xmlsec with Reference #{s.ENC_DATA_ID} "
                                f"(the EncryptedData), otherwise as accept_success.xml"]
    return Built(data, after_issuer(built.pre_response), built.pre_assertion, steps)


def rejects_response(r: Registry):
    _reject(r, "reject_destination_other_acs.xml", make_response(resp=t.ResponseSpec(destination=s.OTHER_ACS_URL)),
            "saml.destination_mismatch", f"Response/@Destination is {s.OTHER_ACS_URL}",
            "A Response addressed to another connector's ACS is refused (SAML Bindings 3.5.5.2).")
    _reject(r, "reject_in_response_to_other_request.xml",
            make_response(resp=t.ResponseSpec(in_response_to=s.OTHER_REQUEST_ID)), "saml.in_response_to_mismatch",
            f"Response/@InResponseTo is {s.OTHER_REQUEST_ID} (SubjectConfirmationData keeps ours)",
            "A Response to another request is refused (correlation; unsolicited responses MUST NOT be accepted).")
    _reject(r, "reject_issuer_other_entity.xml", make_response(resp=t.ResponseSpec(issuer=s.OTHER_PROXY_ENTITY_ID)),
            "saml.issuer_mismatch", f"Response/Issuer is {s.OTHER_PROXY_ENTITY_ID} (the Assertion Issuer is unchanged)",
            "The Response Issuer must be the proxy service the request went to, even when the signature is "
            "by that proxy's key.")
    _reject(r, "reject_issue_instant_stale.xml",
            make_response(resp=t.ResponseSpec(issue_instant=s.STALE_ISSUE_INSTANT)), "saml.stale",
            f"Response/@IssueInstant is {s.STALE_ISSUE_INSTANT}, one hour before now",
            "A Response older than the maximum message age is refused even though the Assertion is still valid.")
    def two(ea, _):
        return ea, ea.replace(s.ENC_DATA_ID, s.ENC_DATA_ID_2).replace(s.ENC_KEY_ID, s.ENC_KEY_ID_2)

    _reject(r, "reject_two_encrypted_assertions.xml", make_response(body=two), "saml.assertion_count",
            "two EncryptedAssertions (the same ciphertext, with distinct Id attributes)",
            "A success Response carries exactly one EncryptedAssertion (eIDAS IA 3.2.2).")
    def beside(ea, plain):
        return ea, plain

    _reject(r, "reject_plaintext_assertion_beside_encrypted.xml", make_response(body=beside), "saml.assertion_count",
            "a plaintext copy of the Assertion follows the EncryptedAssertion (both under the Response signature)",
            "No plaintext Assertion may accompany the EncryptedAssertion (xmlsec-profile 17).")
    def only(_ea, plain):
        return (plain,)

    _reject(r, "reject_plaintext_assertion_only.xml", make_response(body=only), "saml.assertion_count",
            "the Assertion is in plaintext instead of encrypted",
            "Assertions MUST be encrypted (eIDAS MF; reference node response.encryption.mandatory).",
            want={"response_sig": True})


def rejects_encryption(r: Registry):
    _reject(r, "reject_enc_aes256_cbc.xml", make_response(enc="rsa-oaep+cbc"), "enc.algorithm_forbidden",
            "the EncryptedData uses xmlenc#aes256-cbc instead of xmlenc11#aes256-gcm",
            "CBC content encryption is refused before any private-key operation (attacks.md E1/E2; CR 3.2).")
    _reject(r, "reject_enc_unknown_cert.xml", make_response(recipient=s.ATTACKER), "enc.key_not_found",
            "the content key is transported to attacker-rsa3072's certificate (named in KeyInfo), not ours",
            "An EncryptedKey for a certificate we do not hold is refused as key not found.",
            want={"response_sig": True, "decrypt": False, "decrypt_with": s.ATTACKER})
    inner_spec = t.ResponseSpec(response_id=s.RESPONSE_ID + "inner", body=(t.render_assertion(A),))
    inner = t.render_response(inner_spec).removeprefix(t.XML_DECL).rstrip("\n")
    _reject(r, "reject_enc_content_is_response.xml", make_response(plaintext=inner.encode("utf-8")),
            "saml.not_an_assertion",
            "the encrypted content is an (unsigned) samlp:Response wrapping the Assertion, not a saml2:Assertion",
            "The decrypted content must be exactly one saml2:Assertion (attacks.md E7c).")
    _reject(r, "reject_enc_mgf1p_from_protocol_1_4_peer.xml", r.built["accept_success_mgf1p.xml"],
            "enc.algorithm_forbidden",
            "none in the bytes (a copy of accept_success_mgf1p.xml); the context's peer announces protocol 1.4",
            "rsa-oaep-mgf1p is refused when the peer's highest announced protocol version is 1.4 "
            "(reference node ProtocolEngine.checkKeyTransportAlgorithm).",
            sibling="accept_success_mgf1p.xml", context=s.context(peer={"protocol_version": "1.4"}))


def rejects_assertion_signature(r: Registry):
    def edit(text: str) -> str:
        return text.replace(f">{s.PERSON_ID}<", ">ES/FR/99999999R<", 1)

    _reject(r, "reject_assertion_signature_broken.xml", make_response(sign_assertion=True, edit_assertion=edit),
            "saml.assertion_sig_digest_mismatch",
            "after the Assertion was signed its PersonIdentifier was changed to ES/FR/99999999R (then encrypted, "
            "and the Response signed)",
            "A present Assertion signature must verify even when the country does not require one.",
            sibling="accept_success_signed_assertion.xml", want={**OK, "assertion_sig": False})
    _reject(r, "reject_unsigned_assertion_when_required.xml", r.built["accept_success.xml"],
            "saml.assertion_sig_missing",
            "the Assertion is not signed (a copy of accept_success.xml) while the context requires signed assertions",
            "With require_signed_assertion, an unsigned Assertion is refused.",
            sibling="accept_success_signed_assertion_when_required.xml",
            context=s.context(peer={"require_signed_assertion": True}))


def rejects_assertion(r: Registry):
    def one(file, spec, code, defect, proves, context=None):
        _reject(r, file, make_response(spec), code, defect, proves, context=context)

    one("reject_assertion_issuer_other_entity.xml", replace(A, issuer=s.OTHER_PROXY_ENTITY_ID),
        "saml.issuer_mismatch", f"Assertion/Issuer is {s.OTHER_PROXY_ENTITY_ID}",
        "The Assertion Issuer must be the proxy service too (attacks.md P6).")
    one("reject_subject_confirmation_missing.xml", replace(A, subject_confirmation=False),
        "saml.subject_confirmation", "Subject has a NameID but no SubjectConfirmation",
        "A bearer SubjectConfirmation is required by default (SAML Profiles 4.1.4.2).")
    one("reject_subject_confirmation_not_bearer.xml", replace(A, sc_method=s.CM_SENDER_VOUCHES),
        "saml.subject_confirmation", f"SubjectConfirmation/@Method is {s.CM_SENDER_VOUCHES}",
        "Only the bearer method is accepted (attacks.md P7).")
    one("reject_subject_confirmation_recipient_other.xml", replace(A, scd_recipient=s.OTHER_ACS_URL),
        "saml.subject_confirmation", f"SubjectConfirmationData/@Recipient is {s.OTHER_ACS_URL}",
        "The bearer confirmation must name our ACS (attacks.md P4).")
    one("reject_subject_confirmation_in_response_to_other.xml", replace(A, scd_in_response_to=s.OTHER_REQUEST_ID),
        "saml.subject_confirmation", f"SubjectConfirmationData/@InResponseTo is {s.OTHER_REQUEST_ID}",
        "The signed-and-encrypted InResponseTo must match our request too (attacks.md P3d).")
    one("reject_subject_confirmation_expired.xml", replace(A, scd_not_on_or_after=s.PAST),
        "saml.subject_confirmation", f"SubjectConfirmationData/@NotOnOrAfter is {s.PAST}, before now",
        "An expired bearer confirmation is refused while the Conditions are still valid.")
    one("reject_conditions_expired.xml", replace(A, not_on_or_after=s.PAST), "saml.expired",
        f"Conditions/@NotOnOrAfter is {s.PAST}, before now", "An assertion past its Conditions window is refused.")
    one("reject_conditions_not_yet_valid.xml", replace(A, not_before=s.FUTURE_NOT_BEFORE), "saml.expired",
        f"Conditions/@NotBefore is {s.FUTURE_NOT_BEFORE}, 10 minutes after now",
        "An assertion not yet valid is refused (the skew is far below 10 minutes).")
    one("reject_audience_other.xml", replace(A, audience=s.OTHER_ENTITY_ID), "saml.audience_mismatch",
        f"Audience is {s.OTHER_ENTITY_ID}", "An assertion for another connector is refused (SAML Core 2.5.1.4).")
    one("reject_loa_low.xml", replace(A, loa=s.LOA["low"]), "saml.loa",
        f"AuthnContextClassRef is {s.LOA['low']}", "LoA low does not satisfy minimum substantial (attacks.md L1).")
    one("reject_loa_not_notified.xml", replace(A, loa=s.LOA_NOT_NOTIFIED), "saml.loa",
        f"AuthnContextClassRef is {s.LOA_NOT_NOTIFIED}",
        "A value under the eIDAS LoA prefix that is not one of the three notified URIs is refused (attacks.md L2).")
    one("reject_loa_missing_class_ref.xml", replace(A, loa=None), "saml.loa",
        "AuthnContext has no AuthnContextClassRef (only the empty AuthnContextDecl)",
        "A missing LoA is refused (reference node 202019; attacks.md L3).")
    one("reject_attribute_date_of_birth_missing.xml",
        replace(A, attributes=t.replace_attribute(A.attributes, s.DATE_OF_BIRTH, None)), "saml.attributes_missing",
        "the DateOfBirth attribute is absent", "Every attribute requested as required must be present (attacks.md T1).")
    one("reject_attribute_representative.xml", replace(A, attributes=A.attributes + (t.REPRESENTATIVE,)),
        "saml.representative_attributes", f"an extra attribute {s.REPRESENTATIVE_FAMILY_NAME} is present",
        "Representation attributes are refused while representation is not supported (AP 2.8).")
    pid = t.base_attributes()[0]
    for file, value, defect, proves, code in (
        ("reject_person_identifier_other_country.xml", "DE/FR/12345678Z", "PersonIdentifier is DE/FR/12345678Z",
         "The PersonIdentifier's first segment must be the country asked (attacks.md T2).", "saml.person_identifier"),
        ("reject_person_identifier_with_space.xml", "ES/FR/12345678 Z", "PersonIdentifier is \"ES/FR/12345678 Z\"",
         "A PersonIdentifier must not contain whitespace (AP 2.5).", "saml.person_identifier"),
        ("reject_person_identifier_comment.xml", "ES/FR/1234<!--x-->5678Z",
         "the PersonIdentifier AttributeValue holds a comment: ES/FR/1234<!--x-->5678Z",
         "A comment inside a simple value is refused by the attribute layer; neither the concatenated "
         "(ES/FR/12345678Z) nor the first-text (ES/FR/1234) reading may be used (CVE-2017-11427 class).",
         "attributes.malformed"),
    ):
        attr = t.Attr(pid.friendly, pid.name, (t.Value(pid.values[0].xsi_type, value),))
        attrs = t.replace_attribute(A.attributes, s.PERSON_IDENTIFIER, attr)
        one(file, replace(A, attributes=attrs), code, defect, proves)
    one("reject_name_id_transient_when_persistent_requested.xml", replace(A, name_id_format=s.NAMEID_TRANSIENT),
        "saml.name_id_format", "NameID/@Format is transient; the context requested persistent",
        "The NameID format must be the one requested unless unspecified was requested (eidas-spec §2.5).",
        context=s.context(name_id_format="persistent"))
    one("reject_two_authn_statements.xml", replace(A, authn_statements=2), "saml.assertion_structure",
        "the Assertion has two identical AuthnStatements",
        "The Assertion must hold exactly one AuthnStatement (eIDAS IA 3.2.2).")
    one("reject_assertion_doctype.xml", replace(A, doctype=True), "xml.doctype_forbidden",
        "the decrypted plaintext starts with <!DOCTYPE saml2:Assertion>",
        "Decrypted content goes through the same hardened parser: DOCTYPE is refused (attacks.md E10).")
    one("reject_assertion_advice_with_assertion.xml", replace(A, advice=t.advice_with_assertion()),
        "saml.assertion_structure", "a saml2:Advice holding a second, unsigned Assertion (the attacker's identity) "
        "follows Conditions", "Assertions carried in Advice are refused (xmlsec-profile 17).")


def rejects_identifier_destination(r: Registry):
    pid = t.base_attributes()[0]
    other = f"{s.COUNTRY}/{s.OTHER_DESTINATION}/12345678Z"
    attr = t.Attr(pid.friendly, pid.name, (t.Value(pid.values[0].xsi_type, other),))
    _reject(r, "reject_person_identifier_destination_other_country.xml",
            make_response(replace(A, attributes=t.replace_attribute(A.attributes, s.PERSON_IDENTIFIER, attr))),
            "saml.person_identifier", f"PersonIdentifier is {other} (NameID keeps {s.NAME_ID_VALUE})",
            f"The PersonIdentifier's second segment (the destination) must be our country, {s.OUR_COUNTRY}: an "
            f"identifier made for {s.OTHER_DESTINATION} is refused (eIDAS AP 1.4 §2.2.1).")
    legal_other = f"{s.COUNTRY}/{s.OTHER_DESTINATION}/B12345678"
    sibling = "accept_success_with_legal_person_identifier.xml"
    _reject(r, "reject_legal_person_identifier_destination_other_country.xml",
            make_response(replace(A, attributes=A.attributes + t.legal_attributes(legal_other))),
            "saml.person_identifier", f"LegalPersonIdentifier is {legal_other}",
            f"A LegalPersonIdentifier follows the same CC/DD rule: one made for {s.OTHER_DESTINATION} is refused "
            "even though the natural PersonIdentifier is right.", sibling=sibling)


def rejects_stray_assertion(r: Registry):
    with_ext = "accept_success_with_extensions.xml"
    _reject(r, "reject_assertion_in_extensions.xml",
            make_response(resp=t.ResponseSpec(extensions=t.extensions(t.trace_extension(), t.stray_assertion()))),
            "saml.assertion_count",
            f"saml2p:Extensions also holds a plaintext, unsigned Assertion {s.STRAY_ASSERTION_ID} (the attacker's "
            "identity); the Response signature covers it",
            "A plaintext Assertion anywhere in the Response, here in Extensions (attacks.md XSW7), is refused even "
            "though the Response signature is valid and the EncryptedAssertion is intact.", sibling=with_ext)
    _reject(r, "reject_assertion_nested_in_status.xml",
            make_response(resp=t.ResponseSpec(status=t.status_block(detail=t.stray_assertion()))),
            "saml.assertion_count",
            f"Status carries a StatusDetail holding a plaintext, unsigned Assertion {s.STRAY_ASSERTION_ID}; the "
            "Response signature covers it",
            "A plaintext Assertion deep inside the Response (Status/StatusDetail) is refused, not only one that is "
            "a child of the Response.")


def rejects_assertion_shape(r: Registry):
    _reject(r, "reject_assertion_nested_assertion_unsigned.xml",
            make_response(replace(A, scd_content=nested_assertion(signed=False))), "saml.assertion_structure",
            f"SubjectConfirmationData (whose content model is open) holds an unsigned Assertion "
            f"{s.NESTED_ASSERTION_ID} with the attacker's identity",
            "An Assertion nested anywhere inside the decrypted Assertion is refused (xmlsec-profile 17).")
    _reject(r, "reject_assertion_nested_assertion_signed.xml",
            make_response(replace(A, scd_content=nested_assertion(signed=True))), "saml.assertion_structure",
            f"SubjectConfirmationData holds an Assertion {s.NESTED_ASSERTION_ID} with the attacker's identity, "
            "validly signed by the proxy's key (python-xmlsec)",
            "A nested Assertion is refused even when its own signature is valid: only the decrypted Assertion "
            "itself is a source of data.", want={**OK, "nested_sig": True})
    _reject(r, "reject_assertion_children_out_of_order.xml", make_response(replace(A, subject_after_conditions=True)),
            "saml.assertion_structure", "Conditions comes before Subject",
            "The Assertion's children follow the saml:AssertionType sequence (SAML Core 2.3.3).")
    _reject(r, "reject_assertion_second_issuer.xml", make_response(replace(A, second_issuer=True)),
            "saml.assertion_structure", "the Assertion has two identical Issuer elements",
            "Issuer occurs once in an Assertion (SAML Core 2.3.3), so no check picks between two.")
    _reject(r, "reject_assertion_unknown_child.xml",
            make_response(replace(A, unknown_child=t.trace_extension(s.EXTENSION_ID))),
            "saml.assertion_structure",
            "a foreign element ext:Trace (with an ID) follows Conditions, among the Assertion's children",
            "AssertionType has no extension point: an unknown child of the Assertion is refused.")


def rejects_duplicate_ids(r: Registry):
    _reject(r, "reject_assertion_id_equals_response_id.xml", make_response(replace(A, assertion_id=s.RESPONSE_ID)),
            "saml.duplicate_id", f"Assertion/@ID is {s.RESPONSE_ID}, the Response's ID",
            "The decrypted Assertion may not reuse the Response's ID: IDs are unique across the message, and the "
            "replay cache must record two distinct IDs.")
    _reject(r, "reject_duplicate_id_across_response_and_assertion.xml",
            make_response(resp=t.ResponseSpec(extensions=t.extensions(t.trace_extension(s.ASSERTION_ID)))),
            "saml.duplicate_id", f"the Extensions child ext:Trace has ID {s.ASSERTION_ID}, the (encrypted) "
            "Assertion's ID",
            "An ID of the decrypted Assertion that also occurs anywhere in the Response is refused (attacks.md C6 "
            "across the two documents).", sibling="accept_success_with_extensions.xml")


def generate(r: Registry):
    accepts(r)
    rejects_signature(r)
    rejects_response(r)
    rejects_stray_assertion(r)
    rejects_encryption(r)
    rejects_assertion_signature(r)
    rejects_assertion(r)
    rejects_assertion_shape(r)
    rejects_duplicate_ids(r)
    rejects_identifier_destination(r)
    for e in list(r.entries):
        if e["file"].startswith("accept_"):
            r.add_base64(e["file"])
