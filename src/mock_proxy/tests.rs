//! The mock proxy service against our own readers: its metadata verifies as proxy metadata,
//! it reads our connector metadata, checks our AuthnRequest, and its Responses pass (or fail,
//! as chosen) our Response validation. Fixed clock, committed test keys. Responses: `responses`.

mod responses;

use std::sync::Arc;

use time::macros::datetime;
use time::OffsetDateTime;

use super::connector::{parse_connector_metadata, ConnectorError, ConnectorInfo};
use super::metadata::build_proxy_metadata;
use super::pending::PendingRequests;
use super::sso::{self, CheckedRequest, SsoError};
use super::{MockKeyTransport, MockProxySettings};
use crate::saml::attributes::PersonKind;
use crate::saml::authn_request::{build_authn_request, AuthnRequestParams, ProxyCapabilities, RequestedAttribute};
use crate::saml::metadata::{
    build_connector_metadata, parse_proxy_metadata, ConnectorMetadataConfig, ConnectorMetadataKeys, ContactPerson,
    MetadataError, MetadataOptions, Organization,
};
use crate::saml::{CountryCode, LevelOfAssurance, NameIdFormat};
use crate::xmlsec::encode_base64;
use crate::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm, TrustedCert};

const NOW: OffsetDateTime = datetime!(2026-11-25 10:00 UTC);
const CONNECTOR: &str = "http://127.0.0.1:8080/eidas/metadata";
const ACS: &str = "http://127.0.0.1:8080/eidas/acs";
const REQUEST_ID: &str = "_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn pki(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/certs/test-pki/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn key(name: &str) -> PrivateKey {
    PrivateKey::from_pem(&pki(&format!("{name}.key.pem")), Some(&pki(&format!("{name}.crt.pem")))).unwrap()
}

fn cert(name: &str) -> TrustedCert {
    TrustedCert::from_pem(&pki(&format!("{name}.crt.pem"))).unwrap().remove(0)
}

fn xa() -> CountryCode {
    CountryCode::parse("XA").unwrap()
}

fn settings() -> MockProxySettings {
    MockProxySettings {
        country: xa(),
        public_url: "http://127.0.0.1:8099".into(),
        signing_key: key("idp-rsa3072"),
        signature_algorithm: SignatureAlgorithm::RsaPssSha256,
        metadata_signing_key: key("idp-metadata-signer"),
        key_transport: MockKeyTransport::RsaOaep,
        connector_metadata_url: None,
        metadata_valid_secs: 86_400,
        display_name: "Test member state XA".into(),
    }
}

/// The connector as its metadata describes it, with `encryption` certificates.
fn connector(encryption: &[&str]) -> ConnectorInfo {
    ConnectorInfo {
        entity_id: CONNECTOR.into(),
        acs_url: ACS.into(),
        node_country: CountryCode::parse("FR").unwrap(),
        signing_certs: vec![cert("sp-sign-rsa3072")],
        encryption_certs: encryption.iter().map(|n| cert(n)).collect(),
    }
}

fn params(attributes: &[&str], name_id_format: NameIdFormat) -> AuthnRequestParams {
    AuthnRequestParams {
        id: REQUEST_ID.into(),
        issue_instant: NOW,
        issuer: CONNECTOR.into(),
        provider_name: Some("FranceConnect".into()),
        level_of_assurance: LevelOfAssurance::Substantial,
        requested_attributes: attributes
            .iter()
            .map(|a| RequestedAttribute { name: (*a).to_owned(), required: false })
            .collect(),
        non_notified_levels: Vec::new(),
        name_id_format,
        requester_id: None,
    }
}

/// Our AuthnRequest to `sso_url`, signed by `signer`, as the HTTP-POST form carries it.
fn authn_request(p: &AuthnRequestParams, sso_url: &str, signer: &str) -> String {
    let caps = ProxyCapabilities { sso_post_url: sso_url.into(), ..ProxyCapabilities::default() };
    let xml =
        build_authn_request(p, &caps, &key(signer), SignatureAlgorithm::RsaPssSha256, DigestAlgorithm::Sha256).unwrap();
    encode_base64(xml.as_bytes())
}

fn check(form: &str, now: OffsetDateTime) -> Result<CheckedRequest, SsoError> {
    let received = sso::receive(Some(form))?;
    assert_eq!(received.issuer, CONNECTOR);
    sso::check(&received, &connector(&["sp-enc-rsa3072"]), &settings().sso_url(), now)
}

/// A checked request for natural-person `attributes`.
fn natural_request(attributes: &[&str], format: NameIdFormat) -> CheckedRequest {
    check(&authn_request(&params(attributes, format), &settings().sso_url(), "sp-sign-rsa3072"), NOW).unwrap()
}

#[test]
fn the_metadata_verifies_as_proxy_metadata_against_the_metadata_signer() {
    let s = settings();
    let xml = build_proxy_metadata(&s, NOW, "_md0123456789abcdef0123456789abcdef").unwrap();
    let trust = [cert("idp-metadata-signer")];
    let entities = parse_proxy_metadata(xml.as_bytes(), &trust, NOW, &MetadataOptions::default()).unwrap();
    let [md] = entities.as_slice() else { panic!("one entity: {entities:?}") };
    assert_eq!(md.entity_id, "http://127.0.0.1:8099/metadata");
    assert!(md.signed && md.want_authn_requests_signed);
    assert_eq!(md.node_country, Some(xa()));
    assert_eq!(md.sso_post_url.as_deref(), Some("http://127.0.0.1:8099/sso"));
    assert_eq!(md.levels_of_assurance, [LevelOfAssurance::Substantial, LevelOfAssurance::High]);
    assert_eq!(md.protocol_versions, ["1.4", "1.3", "1.2", "1.1"]);
    assert_eq!(md.valid_until, NOW + time::Duration::days(1));
    assert_eq!(md.signing_certs.len(), 1);
    assert_eq!(md.signing_certs[0].cert.der(), cert("idp-rsa3072").der());
    assert_eq!(md.encryption_certs.len(), 1);
    for name in [crate::saml::attributes::PERSON_IDENTIFIER.name, crate::saml::attributes::LEGAL_NAME.name] {
        assert!(md.supported_attributes.iter().any(|a| a == name), "{name}");
    }
    assert!(xml.contains("TEST — Test member state XA (simulated member state, not a real eID)"), "{xml}");

    let refused = parse_proxy_metadata(xml.as_bytes(), &[cert("attacker-rsa3072")], NOW, &MetadataOptions::default());
    assert!(matches!(refused, Err(MetadataError::Signature(_))), "{refused:?}");
}

#[test]
fn the_metadata_is_kept_until_half_its_validity_then_signed_again() {
    let s = settings();
    let cache = super::metadata::MetadataCache::default();
    let first = cache.current(&s, NOW).unwrap();
    assert_eq!(cache.current(&s, NOW + time::Duration::hours(11)).unwrap(), first);
    let later = cache.current(&s, NOW + time::Duration::hours(12)).unwrap();
    assert_ne!(later, first);
    let trust = [cert("idp-metadata-signer")];
    let at = NOW + time::Duration::hours(30);
    assert!(parse_proxy_metadata(later.as_bytes(), &trust, at, &MetadataOptions::default()).is_ok());
}

fn connector_metadata() -> String {
    let contact = |email: &str| ContactPerson {
        company: None,
        given_name: None,
        surname: None,
        email: email.into(),
        phone: None,
    };
    let organization = Organization {
        name: "DINUM".into(),
        display_name: "Test".into(),
        url: "https://example.fr".into(),
        lang: "fr".into(),
    };
    let cfg = ConnectorMetadataConfig::new(
        CONNECTOR,
        ACS,
        CountryCode::parse("FR").unwrap(),
        organization,
        contact("support@example.invalid"),
        contact("technical@example.invalid"),
    );
    let signer = key("sp-sign-rsa3072");
    let signing = [signer.cert.clone().unwrap()];
    let encryption = [key("sp-enc-rsa3072").cert.unwrap(), key("sp-enc-ec-p256").cert.unwrap()];
    let keys = ConnectorMetadataKeys {
        metadata_signer: &signer,
        signature_algorithm: SignatureAlgorithm::RsaPssSha256,
        digest_algorithm: DigestAlgorithm::Sha256,
        request_signing_certs: &signing,
        encryption_certs: &encryption,
    };
    build_connector_metadata(&cfg, &keys, NOW, "_cm0123456789abcdef0123456789abcdef").unwrap()
}

#[test]
fn the_connector_metadata_gives_the_acs_the_country_and_the_certificates() {
    let info = parse_connector_metadata(connector_metadata().as_bytes(), CONNECTOR, NOW).unwrap();
    assert_eq!(info.acs_url, ACS);
    assert_eq!(info.node_country.as_str(), "FR");
    assert_eq!(info.signing_certs.len(), 1);
    assert_eq!(info.encryption_certs.len(), 2);
}

#[test]
fn connector_metadata_is_refused_when_it_is_not_the_issuers_sp_metadata_or_expired() {
    let md = connector_metadata();
    let e = parse_connector_metadata(md.as_bytes(), "https://other.example/md", NOW).unwrap_err();
    assert!(matches!(e, ConnectorError::EntityIdMismatch { .. }), "{e}");
    let e = parse_connector_metadata(md.as_bytes(), CONNECTOR, NOW + time::Duration::days(2)).unwrap_err();
    assert_eq!(e.code(), "mock.connector.expired");
    let e = parse_connector_metadata(b"<html>not metadata", CONNECTOR, NOW).unwrap_err();
    assert_eq!(e.code(), "mock.connector.xml");
    let proxy = build_proxy_metadata(&settings(), NOW, "_md0123456789abcdef0123456789abcdef").unwrap();
    let e = parse_connector_metadata(proxy.as_bytes(), &settings().entity_id(), NOW).unwrap_err();
    assert_eq!(e.code(), "mock.connector.not_sp");
}

#[test]
fn our_authn_request_is_accepted_with_what_it_asks() {
    let request = natural_request(&["PlaceOfBirth", "Gender"], NameIdFormat::Unspecified);
    assert_eq!(request.id, REQUEST_ID);
    assert_eq!(request.level_of_assurance, LevelOfAssurance::Substantial);
    assert_eq!(request.name_id_format, NameIdFormat::Unspecified);
    assert_eq!(request.provider_name.as_deref(), Some("FranceConnect"));
    let required: Vec<&str> = request.requested.iter().filter(|r| r.required).map(|r| r.name.as_str()).collect();
    assert_eq!(required.len(), 4, "the minimum data set: {required:?}");
    assert!(request.asks(PersonKind::Natural) && !request.asks(PersonKind::Legal));
}

#[test]
fn an_authn_request_is_refused_with_the_reason_when_a_check_fails() {
    let s = settings();
    let good = authn_request(&params(&[], NameIdFormat::Persistent), &s.sso_url(), "sp-sign-rsa3072");
    // Tampered after signing: the LoA raised.
    let xml = String::from_utf8(crate::xmlsec::decode_base64(&good).unwrap()).unwrap();
    let tampered = encode_base64(xml.replace("LoA/substantial", "LoA/high").as_bytes());
    let by_attacker = authn_request(&params(&[], NameIdFormat::Persistent), &s.sso_url(), "attacker-rsa3072");
    let elsewhere = authn_request(&params(&[], NameIdFormat::Persistent), "http://127.0.0.1:9/sso", "sp-sign-rsa3072");
    let not_a_request = encode_base64(b"<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>");
    let cases: [(&str, &str, OffsetDateTime); 7] = [
        (&tampered, "mock.request.signature", NOW),
        (&by_attacker, "mock.request.signature", NOW),
        (&elsewhere, "mock.request.destination", NOW),
        (&good, "mock.request.issue_instant", NOW + time::Duration::minutes(7)),
        (&good, "mock.request.issue_instant", NOW - time::Duration::minutes(2)),
        ("%%%not base64", "mock.request.xml", NOW),
        (&not_a_request, "mock.request.not_authn_request", NOW),
    ];
    for (form, code, now) in cases {
        let e = check(form, now).map(|_| ()).unwrap_err();
        assert_eq!(e.code(), code, "{e}");
        assert!(!e.to_string().is_empty());
    }
    assert_eq!(sso::receive(Some("  ")).map(|_| ()).unwrap_err().code(), "mock.request.missing");
}

#[test]
fn a_pending_request_is_answered_once_and_expires() {
    let pending = PendingRequests::new(time::Duration::minutes(10), 2);
    let request = natural_request(&[], NameIdFormat::Persistent);
    let info = Arc::new(connector(&["sp-enc-rsa3072"]));
    let id = pending.insert(request.clone(), Arc::clone(&info), Some("relay".into()), NOW).unwrap();
    assert_eq!(id.len(), 43);
    assert!(pending.get(&id, NOW).is_some());
    assert_eq!(pending.take(&id, NOW).unwrap().relay_state.as_deref(), Some("relay"));
    assert!(pending.take(&id, NOW).is_none());

    let late = pending.insert(request.clone(), Arc::clone(&info), None, NOW).unwrap();
    assert!(pending.get(&late, NOW + time::Duration::minutes(10)).is_none());
    // Bounded: the oldest goes first.
    let a = pending.insert(request.clone(), Arc::clone(&info), None, NOW).unwrap();
    let b = pending.insert(request.clone(), Arc::clone(&info), None, NOW + time::Duration::seconds(1)).unwrap();
    let c = pending.insert(request, info, None, NOW + time::Duration::seconds(2)).unwrap();
    let at = NOW + time::Duration::seconds(3);
    assert!(pending.get(&a, at).is_none() && pending.get(&b, at).is_some() && pending.get(&c, at).is_some());
}

#[test]
fn settings_that_cannot_work_are_refused_with_every_problem() {
    let mut s = settings();
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    s.signature_algorithm = SignatureAlgorithm::EcdsaSha256;
    s.metadata_valid_secs = 10;
    s.public_url = "ftp://x".into();
    s.metadata_signing_key = key("weak-rsa2048");
    let problems = s.problems().join("\n");
    for needle in ["public_url", "signature_algorithm", "eIDAS minimum", "metadata_valid_secs"] {
        assert!(problems.contains(needle), "{needle}: {problems}");
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let e = super::build_server(s, listener).map(|_| ()).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
}
