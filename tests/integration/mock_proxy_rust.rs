//! The Rust mock proxy service (`eidas_connector::mock_proxy`, issue 8) end to end, on real
//! HTTP beside the real connector: the hub starts, the browser goes through the connector's
//! start page, the mock's login page and answer, the connector's ACS, and the hub consumes.
//!
//! These journeys prove the mock works with the connector. They do not prove the connector's
//! validation (the mock signs and encrypts with our own core): that stays with the Python mock
//! and the vectors made by independent implementations.

use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use eidas_connector::mock_proxy::{build_server, MockKeyTransport, MockProxySettings};
use eidas_connector::saml::CountryCode;
use eidas_connector::xmlsec::keys::{PrivateKey, SignatureAlgorithm};
use eidas_connector::xmlsec::{decode_base64, encode_base64};
use serde_json::Value;

use crate::mock_proxy::parse_form;
use crate::service::{
    back_at_hub, client, consume, spawn_app_for, start, AppOptions, Browser, Page, PeerConfig, TestApp,
};
use crate::support::repo_file;

/// The login form's fields of one answer.
type AnswerFields = &'static [(&'static str, &'static str)];

const TEST_LABEL: &str = "TEST — simulated member state, not a real eID";

/// A Rust mock proxy service on a loopback port.
struct RustMock {
    origin: String,
    handle: ServerHandle,
}

impl RustMock {
    fn metadata_url(&self) -> String {
        format!("{}/metadata", self.origin)
    }

    async fn stop(self) {
        self.handle.stop(true).await;
    }
}

fn key(name: &str) -> PrivateKey {
    let read = |ext: &str| std::fs::read(repo_file(&format!("certs/test-pki/{name}.{ext}.pem"))).unwrap();
    PrivateKey::from_pem(&read("key"), Some(&read("crt"))).unwrap()
}

/// Starts a mock for `XA` signing with `signer` / `algorithm` and transporting keys by `transport`.
fn start_mock(signer: &str, algorithm: SignatureAlgorithm, transport: MockKeyTransport) -> RustMock {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let settings = MockProxySettings {
        country: CountryCode::parse("XA").unwrap(),
        public_url: origin.clone(),
        signing_key: key(signer),
        signature_algorithm: algorithm,
        metadata_signing_key: key("idp-metadata-signer"),
        key_transport: transport,
        connector_metadata_url: None,
        metadata_valid_secs: 3600,
        display_name: "Test member state XA".into(),
    };
    let server = build_server(settings, listener).unwrap();
    let handle = server.handle();
    tokio::spawn(server);
    RustMock { origin, handle }
}

/// The connector configured with `mock` for `XA`, with `opts`.
async fn connector_for(mock: &RustMock, opts: &AppOptions) -> TestApp {
    let peer = PeerConfig {
        country: "XA".into(),
        metadata_url: mock.metadata_url(),
        trust: repo_file("certs/test-pki/idp-metadata-signer.crt.pem").to_string_lossy().into_owned(),
    };
    spawn_app_for(&peer, opts).await
}

fn start_body(loa: &str) -> Value {
    serde_json::json!({
        "citizen_country": "XA",
        "level_of_assurance": loa,
        "requested_attributes": [
            {"name": "PlaceOfBirth", "required": false},
            {"name": "Gender", "required": false},
            {"name": "CurrentAddress", "required": false},
        ],
        "return_url": "http://127.0.0.1:9/hub/callback",
        "state": "hub-state-7",
        "correlation_id": "corr-mock-rust",
    })
}

/// Started by the hub at `loa`: the browser holds the connector's auto-submit form (action, fields).
async fn to_connector_form(app: &TestApp, loa: &str) -> (Browser, String, Vec<(String, String)>) {
    let (status, started) = start(app, &start_body(loa)).await;
    assert_eq!(status, 201, "{started}");
    let mut browser = Browser::new();
    let page = browser.get(started["browser_redirect_url"].as_str().unwrap()).await;
    assert_eq!(page.status, 200, "{page:?}");
    let (action, fields) = parse_form(&page.body).expect("the connector's auto-submit form");
    (browser, action, fields)
}

/// Up to the mock's login page; returns the page and its pending id.
async fn at_login_page(app: &TestApp, mock: &RustMock, loa: &str) -> (Browser, Page, String) {
    let (mut browser, action, fields) = to_connector_form(app, loa).await;
    assert_eq!(action, format!("{}/sso", mock.origin));
    let login = browser.post_form(&action, &fields).await;
    assert_eq!(login.status, 200, "the mock refused our AuthnRequest: {}", login.body);
    assert!(login.body.contains(TEST_LABEL), "{}", login.body);
    let (answer_action, hidden) = parse_form(&login.body).expect("the login form");
    assert_eq!(answer_action, "/sso/answer");
    let pending = hidden.iter().find(|(k, _)| k == "pending").map(|(_, v)| v.clone()).expect("pending id");
    (browser, login, pending)
}

/// The whole journey with the login form's `answer` fields; the consume call's JSON.
async fn journey(app: &TestApp, mock: &RustMock, loa: &str, answer: &[(&str, &str)]) -> Value {
    let (mut browser, _, pending) = at_login_page(app, mock, loa).await;
    let mut fields = vec![("pending".to_owned(), pending)];
    fields.extend(answer.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let reply = browser.post_form(&format!("{}/sso/answer", mock.origin), &fields).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains(TEST_LABEL), "{}", reply.body);
    let (acs, response_fields) = parse_form(&reply.body).expect("the mock's auto-submit form");
    assert_eq!(acs, format!("{}/eidas/acs", app.public));
    let names: Vec<&str> = response_fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["SAMLResponse", "RelayState"]);
    let back = browser.post_form(&acs, &response_fields).await;
    let (handle, state) = back_at_hub(&back);
    assert_eq!(state.as_deref(), Some("hub-state-7"));
    let (status, body) = consume(app, &handle).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn each_identity_of_the_rust_mock_signs_in_and_the_hub_gets_its_claims() {
    let mock = start_mock("idp-rsa3072", SignatureAlgorithm::RsaPssSha256, MockKeyTransport::RsaOaep);
    let app = connector_for(&mock, &AppOptions::default()).await;

    let body = journey(&app, &mock, "substantial", &[("action", "sign_in"), ("identity", "plain")]).await;
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["citizen_country"], "XA");
    assert_eq!(body["level_of_assurance"], "substantial");
    assert_eq!(body["claims"]["sub_source"], "XA/FR/MOCK-NP-0001", "{body}");
    assert_eq!(body["claims"]["family_name"], "Mustermann", "{body}");
    assert_eq!(body["claims"]["birthdate"], "1964-08-12", "{body}");
    assert_eq!(body["claims"]["birthplace"], "Berlin", "{body}");

    let body =
        journey(&app, &mock, "substantial", &[("action", "sign_in"), ("identity", "greek"), ("loa", "high")]).await;
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["level_of_assurance"], "high");
    assert_eq!(body["claims"]["family_name"], "Papadopoulou", "{body}");
    assert_eq!(body["claims"]["given_name"], "Eleni", "{body}");
    assert_eq!(body["person"]["family_name"]["original"], "Παπαδοπούλου", "{body}");
    assert_eq!(body["person"]["given_name"]["original"], "Ελένη", "{body}");

    let body = journey(&app, &mock, "substantial", &[("action", "sign_in"), ("identity", "address")]).await;
    assert_eq!(body["status"], "success", "{body}");
    let address = body["person"]["current_address"].to_string();
    assert!(address.contains("Calle Mayor") && address.contains("28013"), "{body}");

    app.stop().await;
    mock.stop().await;
}

#[tokio::test]
async fn cancel_refused_consent_and_a_low_loa_at_the_rust_mock_come_back_as_failures() {
    let mock = start_mock("idp-rsa3072", SignatureAlgorithm::RsaPssSha256, MockKeyTransport::RsaOaep);
    let app = connector_for(&mock, &AppOptions::default()).await;
    let cases: [(AnswerFields, &str, Option<&str>); 3] = [
        (&[("action", "cancel")], "user_cancelled", Some("Citizen consent not given.")),
        (&[("action", "refuse_consent")], "user_cancelled", Some("Consent not given for a mandatory attribute.")),
        (&[("action", "sign_in"), ("identity", "plain"), ("loa", "low")], "loa_not_met", None),
    ];
    for (answer, code, message) in cases {
        let body = journey(&app, &mock, "substantial", answer).await;
        assert_eq!(body["status"], "failure", "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        match message {
            Some(m) => {
                assert_eq!(
                    body["error"]["saml"]["sub_status_code"],
                    "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
                );
                assert_eq!(body["error"]["saml"]["status_message"], m, "{body}");
            }
            // Refused by the connector's own LoA check, not a status of the proxy.
            None => assert_eq!(body["error"]["saml"], Value::Null, "{body}"),
        }
    }
    app.stop().await;
    mock.stop().await;
}

#[tokio::test]
async fn the_rust_mock_refuses_a_tampered_authn_request_and_shows_its_pages() {
    let mock = start_mock("idp-rsa3072", SignatureAlgorithm::RsaPssSha256, MockKeyTransport::RsaOaep);
    let app = connector_for(&mock, &AppOptions::default()).await;

    // The login page: every identity, the legal person disabled with its reason, French by default.
    let (mut browser, login, pending) = at_login_page(&app, &mock, "substantial").await;
    assert!(login.body.contains(r#"<html lang="fr">"#), "{}", login.body);
    assert!(login.body.contains(r#"value="legal" disabled"#), "{}", login.body);
    assert!(login.body.contains("personne morale"), "{}", login.body);
    let csp = login.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("form-action 'self'"), "{csp}");
    let english = browser.get(&format!("{}/sso/login?pending={pending}&lang=en", mock.origin)).await;
    assert_eq!(english.status, 200);
    assert!(english.body.contains(r#"<html lang="en">"#) && english.body.contains("Refuse consent"));

    // The legal person cannot answer a natural-person request.
    let fields: Vec<(String, String)> = [("pending", pending.as_str()), ("action", "sign_in"), ("identity", "legal")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let refused = browser.post_form(&format!("{}/sso/answer", mock.origin), &fields).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("mock.response.identity_unavailable"), "{}", refused.body);

    // A tampered AuthnRequest: the LoA raised after signing.
    let (mut browser, action, mut fields) = to_connector_form(&app, "substantial").await;
    let request = fields.iter_mut().find(|(k, _)| k == "SAMLRequest").unwrap();
    let xml = String::from_utf8(decode_base64(&request.1).unwrap()).unwrap();
    assert!(xml.contains("LoA/substantial"));
    request.1 = encode_base64(xml.replace("LoA/substantial", "LoA/high").as_bytes());
    let page = browser.post_form(&action, &fields).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains(TEST_LABEL), "{}", page.body);
    assert!(page.body.contains("mock.request.signature"), "{}", page.body);

    // Metadata and health.
    let http = client();
    let md = http.get(mock.metadata_url()).send().await.unwrap();
    assert_eq!(md.status().as_u16(), 200);
    assert_eq!(md.headers()["content-type"], "application/samlmetadata+xml");
    assert_eq!(http.get(format!("{}/healthz", mock.origin)).send().await.unwrap().status().as_u16(), 200);

    app.stop().await;
    mock.stop().await;
}

#[tokio::test]
async fn the_rust_mock_answers_with_ecdh_es_and_ecdsa_to_a_connector_with_an_ec_encryption_key() {
    let mock = start_mock("idp-ec-p256", SignatureAlgorithm::EcdsaSha256, MockKeyTransport::EcdhEs);
    let pki = |name: &str| repo_file(&format!("certs/test-pki/{name}")).to_string_lossy().into_owned();
    let keys = format!(
        "signing = {{ key = \"{}\", cert = \"{}\" }}\nencryption = [{{ key = \"{}\", cert = \"{}\" }}]\n\
         signature_algorithm = \"{}\"\n",
        pki("sp-sign-ec-p256.key.pem"),
        pki("sp-sign-ec-p256.crt.pem"),
        pki("sp-enc-ec-p256.key.pem"),
        pki("sp-enc-ec-p256.crt.pem"),
        SignatureAlgorithm::EcdsaSha256.uri(),
    );
    let app = connector_for(&mock, &AppOptions { keys: Some(keys), ..AppOptions::default() }).await;
    let body = journey(&app, &mock, "high", &[("action", "sign_in"), ("identity", "plain"), ("loa", "high")]).await;
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["claims"]["sub_source"], "XA/FR/MOCK-NP-0001", "{body}");
    app.stop().await;
    mock.stop().await;
}
