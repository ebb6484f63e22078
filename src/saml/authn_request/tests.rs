//! AuthnRequest builder: the golden request (fixed clock and id), every eIDAS rule of the
//! builder, and the escaping of the POST form.

use super::*;
use crate::xmlsec::dsig::{verify_element, SignaturePolicy};
use crate::xmlsec::keys::TrustedCert;
use crate::xmlsec::{Limits, NS_DS};
use time::macros::datetime;

const ID: &str = "_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const PID: &str = "http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier";

fn pki(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/certs/test-pki/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn key() -> PrivateKey {
    PrivateKey::from_pem(&pki("sp-sign-rsa3072.key.pem"), Some(&pki("sp-sign-rsa3072.crt.pem"))).unwrap()
}

fn params() -> AuthnRequestParams {
    AuthnRequestParams {
        id: ID.into(),
        issue_instant: datetime!(2026-11-25 10:00:00.123 UTC),
        issuer: "https://eidas.franceconnect.gouv.fr/EidasNode/ConnectorMetadata".into(),
        provider_name: Some("FranceConnect".into()),
        level_of_assurance: LevelOfAssurance::Substantial,
        requested_attributes: vec![RequestedAttribute { name: "PlaceOfBirth".into(), required: false }],
        non_notified_levels: Vec::new(),
        name_id_format: NameIdFormat::Unspecified,
        requester_id: None,
    }
}

fn proxy() -> ProxyCapabilities {
    ProxyCapabilities {
        sso_post_url: "https://eidas.example.ee/EidasNode/ColleagueRequest".into(),
        ..Default::default()
    }
}

fn build(p: &AuthnRequestParams, c: &ProxyCapabilities) -> Result<String, AuthnRequestError> {
    build_authn_request(p, c, &key(), SignatureAlgorithm::RsaPssSha256, DigestAlgorithm::Sha256)
}

/// The request with the (randomized) PSS signature value and certificate blanked.
fn redacted(xml: &str) -> String {
    let mut out = xml.to_owned();
    for tag in ["ds:SignatureValue", "ds:X509Certificate"] {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        if let (Some(a), Some(b)) = (out.find(&open), out.find(&close)) {
            out.replace_range(a + open.len()..b, "…");
        }
    }
    out
}

#[test]
fn authn_request_matches_the_golden_file() {
    insta::assert_snapshot!(redacted(&build(&params(), &proxy()).unwrap()));
}

#[test]
fn authn_request_signature_verifies_and_sits_after_issuer() {
    let xml = build(&params(), &proxy()).unwrap();
    let doc = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
    let cert = TrustedCert::from_pem(&pki("sp-sign-rsa3072.crt.pem")).unwrap();
    verify_element(&doc, doc.root(), &cert, &SignaturePolicy::default()).unwrap();
    let kids: Vec<_> = doc.child_elements(doc.root()).collect();
    assert!(
        doc.is(kids[0], NS_SAML, "Issuer")
            && doc.is(kids[1], NS_DS, "Signature")
            && doc.is(kids[2], NS_SAMLP, "Extensions")
    );
}

#[test]
fn authn_request_follows_the_reference_node_rules() {
    let xml = build(&params(), &proxy()).unwrap();
    let doc = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
    let r = doc.root();
    assert_eq!(doc.attr(r, "ForceAuthn"), Some("true"));
    assert_eq!(doc.attr(r, "IsPassive"), Some("false"));
    assert_eq!(doc.attr(r, "Destination"), Some("https://eidas.example.ee/EidasNode/ColleagueRequest"));
    assert_eq!(doc.attr(r, "AssertionConsumerServiceURL"), None);
    assert_eq!(doc.attr(r, "ProtocolBinding"), None);
    assert!(!xml.contains("SPType"), "SPType belongs to our metadata only (fact 6)");
    assert!(!xml.contains("Scoping"));
    let rac = doc.first_child_named(r, NS_SAMLP, "RequestedAuthnContext").unwrap();
    assert_eq!(doc.attr(rac, "Comparison"), Some("minimum"));
    assert_eq!(doc.children_named(rac, NS_SAML, "AuthnContextClassRef").count(), 1);
    let ext = doc.first_child_named(r, NS_SAMLP, "Extensions").unwrap();
    let ras = doc.first_child_named(ext, NS_EIDAS, "RequestedAttributes").unwrap();
    let reqs: Vec<_> = doc.children_named(ras, NS_EIDAS, "RequestedAttribute").collect();
    assert!(reqs.iter().all(|a| doc.attr(*a, "isRequired").is_some()), "isRequired on every attribute");
    let pid = reqs.iter().find(|a| doc.attr(**a, "Name") == Some(PID)).expect("minimum data set added");
    assert_eq!(doc.attr(*pid, "isRequired"), Some("true"));
    assert!(reqs
        .iter()
        .any(|a| doc.attr(*a, "FriendlyName") == Some("PlaceOfBirth") && doc.attr(*a, "isRequired") == Some("false")));
}

#[test]
fn authn_request_refuses_mixed_person_kinds_and_unknown_attributes() {
    let mut p = params();
    p.requested_attributes.push(RequestedAttribute { name: "LegalName".into(), required: false });
    assert_eq!(build(&p, &proxy()).unwrap_err(), AuthnRequestError::MixedPersonKinds);
    let mut p = params();
    p.requested_attributes = vec![RequestedAttribute { name: "ShoeSize".into(), required: false }];
    assert_eq!(build(&p, &proxy()).unwrap_err().code(), "request.unknown_attribute");
}

#[test]
fn authn_request_keeps_only_published_attributes_and_refuses_unpublished_required_ones() {
    let mut c = proxy();
    c.supported_attributes =
        attributes::minimum_data_set(PersonKind::Natural).filter(|d| d.mandatory).map(|d| d.name.to_owned()).collect();
    let xml = build(&params(), &c).unwrap();
    assert!(!xml.contains("PlaceOfBirth"), "unpublished optional attribute dropped");
    c.supported_attributes.retain(|n| n != PID);
    assert_eq!(build(&params(), &c).unwrap_err().code(), "request.attribute_not_supported");
}

#[test]
fn authn_request_refuses_a_level_the_proxy_does_not_publish() {
    let mut c = proxy();
    c.levels_of_assurance = vec![LevelOfAssurance::Low, LevelOfAssurance::Substantial];
    let mut p = params();
    p.level_of_assurance = LevelOfAssurance::High;
    assert_eq!(build(&p, &c).unwrap_err(), AuthnRequestError::LoaNotSupported(LevelOfAssurance::High));
    c.levels_of_assurance = vec![LevelOfAssurance::High];
    assert!(build(&params(), &c).is_ok(), "high satisfies a substantial minimum");
}

#[test]
fn authn_request_sends_requester_id_only_when_the_proxy_asks() {
    let mut p = params();
    p.requester_id = Some("https://rp.example.fr".into());
    assert!(!build(&p, &proxy()).unwrap().contains("RequesterID"));
    let mut c = proxy();
    c.requester_id_flag = true;
    let xml = build(&p, &c).unwrap();
    let doc = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
    let last = doc.child_elements(doc.root()).last().unwrap();
    assert!(doc.is(last, NS_SAMLP, "Scoping"), "Scoping comes last");
}

#[test]
fn authn_request_refuses_short_or_malformed_ids() {
    let mut p = params();
    p.id = "_short".into();
    assert_eq!(build(&p, &proxy()).unwrap_err(), AuthnRequestError::InvalidId);
    p.id = "0123456789abcdef0123456789abcdef0".into();
    assert_eq!(build(&p, &proxy()).unwrap_err(), AuthnRequestError::InvalidId);
    let a = new_request_id().unwrap();
    assert!(a.len() == 65 && a != new_request_id().unwrap());
}

#[test]
fn post_form_escapes_every_value() {
    let form = render_post_form("https://x.example/a?b=1&c=\"2\"", "<x/>", "\"><script>alert(1)</script>");
    assert!(!form.contains("<script>alert"));
    assert!(form.contains("action=\"https://x.example/a?b=1&amp;c=&quot;2&quot;\""));
    assert!(form.contains("value=\"&quot;&gt;&lt;script&gt;"));
    assert!(form.contains(&format!("value=\"{}\"", crate::xmlsec::encode_base64(b"<x/>"))));
}

#[test]
fn authn_request_lists_every_acceptable_level_with_exact_for_non_notified_levels() {
    let mut p = params();
    p.non_notified_levels = vec!["http://eidas.example.se/LoA/loa3".into()];
    let xml = build(&p, &proxy()).unwrap();
    let doc = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
    let rac = doc.first_child_named(doc.root(), NS_SAMLP, "RequestedAuthnContext").unwrap();
    assert_eq!(doc.attr(rac, "Comparison"), Some("exact"));
    let refs: Vec<String> =
        doc.children_named(rac, NS_SAML, "AuthnContextClassRef").map(|r| doc.simple_text(r).unwrap()).collect();
    assert_eq!(
        refs,
        [
            "http://eidas.europa.eu/LoA/substantial",
            "http://eidas.europa.eu/LoA/high",
            "http://eidas.example.se/LoA/loa3"
        ]
    );
    p.non_notified_levels = vec!["http://eidas.europa.eu/LoA/NotNotified/high".into()];
    assert_eq!(build(&p, &proxy()).unwrap_err(), AuthnRequestError::InvalidValue("non-notified level of assurance"));
}
