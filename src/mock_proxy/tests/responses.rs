//! The mock's Responses through our own validation (`saml::response::validate_response`):
//! each identity, the refusals, a low LoA, ECDH-ES with ECDSA, and the pages that lead there.

use super::*;
use crate::mock_proxy::identities::{TestIdentity, Unavailable, IDENTITIES};
use crate::mock_proxy::pages;
use crate::mock_proxy::pending::PendingRequests;
use crate::mock_proxy::response::{
    build_response, Answer, ResponseBuildError, ResponseContext, MESSAGE_CANCELLED, MESSAGE_CONSENT_REFUSED,
};
use crate::saml::attributes::{parse_attribute_statement, to_legal_person, Address};
use crate::saml::response::{
    validate_response, CheckResult, Outcome, Peer, PendingRequest, ResponseContext as Validation, ResponseError,
    ResponsePolicy,
};
use crate::saml::status::FailureCode;
use crate::saml::NS_SAML;
use crate::xmlsec::dom::{Document, Limits};
use crate::xmlsec::xmlenc::{decrypt_element, DecryptionPolicy};

const OPTIONAL: [&str; 4] = ["PlaceOfBirth", "Gender", "CurrentAddress", "BirthName"];

fn identity(key: &str) -> &'static TestIdentity {
    TestIdentity::by_key(key).unwrap()
}

/// The Response the mock (with `s`) makes for `request` and `answer`, to `connector`.
fn respond(
    s: &MockProxySettings,
    request: &CheckedRequest,
    connector: &ConnectorInfo,
    answer: Answer,
) -> Result<String, ResponseBuildError> {
    let issuer = s.entity_id();
    let ctx = ResponseContext {
        issuer: &issuer,
        country: s.country,
        request,
        connector,
        signing_key: &s.signing_key,
        signature_algorithm: s.signature_algorithm,
        key_transport: s.key_transport,
        now: NOW,
    };
    build_response(&ctx, answer)
}

/// Our validation of `xml`, as the connector would run it for `request`, with the decryption
/// key `decryption` and the mock's signing certificate `signer`.
fn validate(
    xml: &str,
    request: &CheckedRequest,
    decryption: &str,
    signer: &str,
) -> (Result<Outcome, ResponseError>, Vec<CheckResult>) {
    let pending = PendingRequest {
        id: request.id.clone(),
        country: "XA".into(),
        proxy_entity_id: settings().entity_id(),
        level_of_assurance: request.level_of_assurance,
        requested_attributes: request.requested.clone(),
        name_id_format: request.name_id_format,
    };
    let peer = Peer {
        entity_id: settings().entity_id(),
        country: xa(),
        node_country: Some(xa()),
        signing_certs: vec![cert(signer)],
        levels_of_assurance: vec![LevelOfAssurance::Substantial, LevelOfAssurance::High],
        highest_protocol_version: Some("1.4".into()),
        require_signed_assertion: false,
        insecure_ignore_certificate_validity: false,
        allow_sha1_oaep: false,
    };
    let keys = [key(decryption)];
    let policy = ResponsePolicy::default();
    let ctx = Validation {
        now: NOW,
        entity_id: CONNECTOR,
        acs_url: ACS,
        our_country: CountryCode::parse("FR").unwrap(),
        pending: &pending,
        peer: &peer,
        decryption_keys: &keys,
        policy: &policy,
    };
    let mut trace = Vec::new();
    let mut replay = std::collections::HashMap::new();
    (validate_response(xml.as_bytes(), &ctx, &mut replay, &mut trace), trace)
}

fn authenticated(outcome: Result<Outcome, ResponseError>) -> Box<crate::saml::response::VerifiedIdentity> {
    match outcome {
        Ok(Outcome::Authenticated(identity)) => identity,
        other => panic!("not authenticated: {other:?}"),
    }
}

#[test]
fn each_natural_person_identity_signs_in_through_our_validation() {
    let s = settings();
    let request = natural_request(&OPTIONAL, NameIdFormat::Persistent);
    let rsa = connector(&["sp-enc-rsa3072"]);
    for key in ["plain", "greek", "address"] {
        let answer = Answer::SignIn { identity: identity(key), loa: LevelOfAssurance::Substantial };
        let xml = respond(&s, &request, &rsa, answer).unwrap();
        let who = authenticated(validate(&xml, &request, "sp-enc-rsa3072", "idp-rsa3072").0);
        let expected = format!("XA/FR/{}", identity(key).stable_id);
        assert_eq!(who.claims().sub_source, expected);
        assert_eq!(who.name_id(), expected);
        assert_eq!(who.level_of_assurance(), LevelOfAssurance::Substantial);
        assert_eq!(who.name_id_format(), NameIdFormat::Persistent);
    }
}

#[test]
fn the_greek_identity_gives_latin_claims_and_keeps_the_original_script() {
    let request = natural_request(&[], NameIdFormat::Persistent);
    let answer = Answer::SignIn { identity: identity("greek"), loa: LevelOfAssurance::High };
    let xml = respond(&settings(), &request, &connector(&["sp-enc-rsa3072"]), answer).unwrap();
    let who = authenticated(validate(&xml, &request, "sp-enc-rsa3072", "idp-rsa3072").0);
    assert_eq!(who.claims().family_name, "Papadopoulou");
    assert_eq!(who.claims().given_name, "Eleni");
    assert_eq!(who.person().family_name.original.as_deref(), Some("Παπαδοπούλου"));
    assert_eq!(who.person().given_name.original.as_deref(), Some("Ελένη"));
    assert_eq!(who.level_of_assurance(), LevelOfAssurance::High);
}

#[test]
fn the_address_identity_sends_a_structured_current_address_when_asked() {
    let request = natural_request(&["CurrentAddress"], NameIdFormat::Persistent);
    let answer = Answer::SignIn { identity: identity("address"), loa: LevelOfAssurance::Substantial };
    let xml = respond(&settings(), &request, &connector(&["sp-enc-rsa3072"]), answer).unwrap();
    let who = authenticated(validate(&xml, &request, "sp-enc-rsa3072", "idp-rsa3072").0);
    let Some(Address::Structured(address)) = &who.person().current_address else {
        panic!("no structured address: {:?}", who.person().current_address)
    };
    assert_eq!(address.thoroughfare.as_deref(), Some("Calle Mayor"));
    assert_eq!(address.post_code.as_deref(), Some("28013"));
    // Not asked, not sent.
    assert!(who.person().gender.is_none() && who.person().place_of_birth.is_none());
}

#[test]
fn the_legal_person_answers_only_a_legal_person_request() {
    let natural = natural_request(&[], NameIdFormat::Persistent);
    assert_eq!(identity("legal").availability(&natural), Err(Unavailable::NotAsked(PersonKind::Legal)));
    let refused = respond(
        &settings(),
        &natural,
        &connector(&["sp-enc-rsa3072"]),
        Answer::SignIn { identity: identity("legal"), loa: LevelOfAssurance::High },
    );
    assert_eq!(refused.unwrap_err().code(), "mock.response.identity_unavailable");

    let form = authn_request(
        &params(&["LegalPersonAddress"], NameIdFormat::Persistent),
        &settings().sso_url(),
        "sp-sign-rsa3072",
    );
    let legal = check(&form, NOW).unwrap();
    assert!(legal.asks(PersonKind::Legal));
    assert_eq!(identity("plain").availability(&legal), Err(Unavailable::NotAsked(PersonKind::Natural)));
    let answer = Answer::SignIn { identity: identity("legal"), loa: LevelOfAssurance::High };
    let xml = respond(&settings(), &legal, &connector(&["sp-enc-rsa3072"]), answer).unwrap();
    // Our connector types natural persons only: every check passes up to the attributes,
    // then the natural PersonIdentifier is missing.
    let (outcome, trace) = validate(&xml, &legal, "sp-enc-rsa3072", "idp-rsa3072");
    assert_eq!(outcome.unwrap_err().code(), "saml.attributes_missing");
    let failed: Vec<&str> = trace.iter().filter(|c| !c.passed).map(|c| c.check).collect();
    assert_eq!(failed, ["person_identifier"], "{trace:?}");
    // The company itself reads back from the decrypted Assertion.
    let doc = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
    let encrypted = doc.first_child_named(doc.root(), NS_SAML, "EncryptedAssertion").unwrap();
    let assertion =
        decrypt_element(&doc, encrypted, &[key("sp-enc-rsa3072")], &DecryptionPolicy::default(), &Limits::default())
            .unwrap();
    let statement = assertion.first_child_named(assertion.root(), NS_SAML, "AttributeStatement").unwrap();
    let company = to_legal_person(&parse_attribute_statement(&assertion, statement).unwrap()).unwrap();
    assert_eq!(company.legal_person_identifier, "XA/FR/MOCK-LP-0001");
    assert_eq!(company.legal_name.latin.as_deref(), Some("Mock Industries SA"));
    assert!(matches!(company.legal_person_address, Some(Address::Structured(_))));
}

#[test]
fn cancel_and_refused_consent_map_to_user_cancelled() {
    let request = natural_request(&[], NameIdFormat::Persistent);
    for (answer, message) in [(Answer::Cancel, MESSAGE_CANCELLED), (Answer::RefuseConsent, MESSAGE_CONSENT_REFUSED)] {
        let xml = respond(&settings(), &request, &connector(&["sp-enc-rsa3072"]), answer).unwrap();
        match validate(&xml, &request, "sp-enc-rsa3072", "idp-rsa3072").0 {
            Ok(Outcome::Failed { status, code }) => {
                assert_eq!(code, FailureCode::UserCancelled);
                assert_eq!(status.status_code, crate::saml::status::STATUS_RESPONDER);
                assert_eq!(status.sub_status_code.as_deref(), Some(crate::saml::status::STATUS_REQUEST_DENIED));
                assert_eq!(status.status_message.as_deref(), Some(message));
            }
            other => panic!("{other:?}"),
        }
        assert!(!xml.contains("EncryptedAssertion"));
    }
}

#[test]
fn an_assertion_at_loa_low_is_refused_by_our_loa_check() {
    let request = natural_request(&[], NameIdFormat::Persistent);
    let answer = Answer::SignIn { identity: identity("plain"), loa: LevelOfAssurance::Low };
    let xml = respond(&settings(), &request, &connector(&["sp-enc-rsa3072"]), answer).unwrap();
    let e = validate(&xml, &request, "sp-enc-rsa3072", "idp-rsa3072").0.unwrap_err();
    assert_eq!(e.code(), "saml.loa");
    assert_eq!(e.failure_code(), FailureCode::LoaNotMet);
}

#[test]
fn ecdh_es_with_an_ecdsa_signature_passes_our_validation() {
    let s = MockProxySettings {
        signing_key: key("idp-ec-p256"),
        signature_algorithm: SignatureAlgorithm::EcdsaSha256,
        key_transport: MockKeyTransport::EcdhEs,
        ..settings()
    };
    let request = natural_request(&[], NameIdFormat::Transient);
    // The connector publishes an RSA and an EC certificate: ECDH-ES picks the EC one.
    let both = connector(&["sp-enc-rsa3072", "sp-enc-ec-p256"]);
    let xml = respond(&s, &request, &both, Answer::SignIn { identity: identity("plain"), loa: LevelOfAssurance::High })
        .unwrap();
    assert!(xml.contains("xmlenc11#ECDH-ES") && xml.contains("ecdsa-sha256"), "{xml}");
    let who = authenticated(validate(&xml, &request, "sp-enc-ec-p256", "idp-ec-p256").0);
    // A transient NameID is random; the identifier stays.
    assert_eq!(who.name_id_format(), NameIdFormat::Transient);
    assert_ne!(who.name_id(), "XA/FR/MOCK-NP-0001");
    assert_eq!(who.claims().sub_source, "XA/FR/MOCK-NP-0001");

    let rsa_only = connector(&["sp-enc-rsa3072"]);
    let e =
        respond(&s, &request, &rsa_only, Answer::SignIn { identity: identity("plain"), loa: LevelOfAssurance::High })
            .unwrap_err();
    assert_eq!(e.code(), "mock.response.no_fitting_encryption_certificate");
}

#[test]
fn the_login_page_is_labelled_test_and_offers_each_identity_with_the_reason_when_disabled() {
    let pending = PendingRequests::new(time::Duration::minutes(10), 10);
    let request = natural_request(&["Gender"], NameIdFormat::Persistent);
    let id = pending.insert(request, Arc::new(connector(&["sp-enc-rsa3072"])), None, NOW).unwrap();
    let p = pending.get(&id, NOW).unwrap();
    let en = pages::render_login("en", "n0nce", "Test member state XA", &id, &p);
    assert!(en.contains("TEST — simulated member state, not a real eID"), "{en}");
    assert!(en.contains(r#"<style nonce="n0nce">"#), "{en}");
    assert!(en.contains(&format!(r#"name="pending" value="{id}""#)), "{en}");
    for i in &IDENTITIES {
        assert!(en.contains(&format!(r#"id="identity-{}""#, i.key)), "{}", i.key);
    }
    assert!(en.contains(r#"id="identity-plain" value="plain" checked>"#), "{en}");
    assert!(en.contains(r#"value="legal" disabled aria-describedby="identity-legal-why""#), "{en}");
    assert!(en.contains("the request asks no legal-person attribute"), "{en}");
    assert!(en.contains(r#"<option value="substantial" selected>substantial (requested)</option>"#), "{en}");
    for button in ["sign_in", "cancel", "refuse_consent"] {
        assert!(en.contains(&format!(r#"name="action" value="{button}""#)), "{button}");
    }
    assert!(en.contains(&format!("/sso/login?pending={id}&#38;lang=fr")), "{en}");

    let fr = pages::render_login("fr", "n", "Test member state XA", &id, &p);
    assert!(fr.contains(r#"<html lang="fr">"#) && fr.contains("Se connecter") && fr.contains("personne morale"));
    assert!(fr.contains("TEST — simulated member state, not a real eID"));

    let refused = pages::render_refused("en", "n", "Test member state XA", "mock.request.signature", "<detail>");
    assert!(refused.contains("TEST — simulated member state") && refused.contains("&#60;detail&#62;"), "{refused}");
    let form = pages::render_auto_submit("en", "n", "X", "http://127.0.0.1:8080/eidas/acs", "PHg+", Some("r&s"));
    assert!(form.contains("TEST — simulated member state") && form.contains(r#"value="r&#38;s""#), "{form}");
    assert!(form.contains(r#"<script nonce="n">"#) && form.contains("<noscript>"), "{form}");
}
