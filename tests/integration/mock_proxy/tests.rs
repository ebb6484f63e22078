//! Self-tests of the mock proxy service: what it serves and answers is what a real proxy
//! service would, as our own metadata reader, AuthnRequest builder and Response validation see
//! it. They check the mock (and the harness), not the connector.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use eidas_connector::saml::authn_request::{
    build_authn_request, new_request_id, render_post_form, resolve_requested_attributes, AuthnRequestParams,
    ProxyCapabilities, RequestedAttribute,
};
use eidas_connector::saml::metadata::{
    build_connector_metadata, parse_proxy_metadata, ConnectorMetadataConfig, ConnectorMetadataKeys, ContactPerson,
    MetadataOptions, Organization, ProxyServiceMetadata,
};
use eidas_connector::saml::response::{
    validate_response, Outcome, Peer, PendingRequest, ResponseContext, ResponsePolicy,
};
use eidas_connector::saml::{CountryCode, LevelOfAssurance, NameIdFormat};
use eidas_connector::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm, TrustedCert};
use serde_json::Value;
use time::OffsetDateTime;

use super::{http, http_with_timeout, parse_form, MockProxy};
use crate::support::repo_file;

const COUNTRY: &str = "XA";
// build_connector_metadata wants https URLs: the mock is told where to fetch the metadata.
const ENTITY_ID: &str = "https://connector.example.fr/eidas/metadata";
const ACS_URL: &str = "https://connector.example.fr/eidas/acs";
const NATURAL: &str = "http://eidas.europa.eu/attributes/naturalperson/";

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(repo_file(&format!("certs/test-pki/{name}.pem"))).unwrap()
}

fn key(name: &str) -> PrivateKey {
    PrivateKey::from_pem(&pem(&format!("{name}.key")), Some(&pem(&format!("{name}.crt")))).unwrap()
}

/// A loopback HTTP server answering every request with the same body, until dropped.
struct StaticServer {
    url: String,
    stop: Arc<AtomicBool>,
}

impl StaticServer {
    fn start(path: &str, body: Vec<u8>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}{path}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: application/samlmetadata+xml\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
            }
        });
        Self { url, stop }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Our side: signed connector metadata on a loopback server, our request-signing key and our
/// decryption key.
struct Connector {
    metadata: StaticServer,
    signing_key: PrivateKey,
    decryption_keys: Vec<PrivateKey>,
}

impl Connector {
    fn start() -> Self {
        let signing_key = key("sp-sign-rsa3072");
        let decryption = key("sp-enc-rsa3072");
        let contact = ContactPerson {
            company: None,
            given_name: None,
            surname: None,
            email: "mailto:eidas@example.fr".into(),
            phone: None,
        };
        let organization = Organization {
            name: "Connector (TEST)".into(),
            display_name: "Connector (TEST)".into(),
            url: "https://connector.example.fr/".into(),
            lang: "en".into(),
        };
        let cfg = ConnectorMetadataConfig::new(
            ENTITY_ID,
            ACS_URL,
            CountryCode::parse("FR").unwrap(),
            organization,
            contact.clone(),
            contact,
        );
        let request_certs = [signing_key.cert.clone().unwrap()];
        let encryption_certs = [decryption.cert.clone().unwrap()];
        let keys = ConnectorMetadataKeys {
            metadata_signer: &signing_key,
            signature_algorithm: SignatureAlgorithm::RsaPssSha256,
            digest_algorithm: DigestAlgorithm::Sha256,
            request_signing_certs: &request_certs,
            encryption_certs: &encryption_certs,
        };
        let id = new_request_id().unwrap();
        let xml = build_connector_metadata(&cfg, &keys, OffsetDateTime::now_utc(), &id).unwrap();
        let metadata = StaticServer::start("/eidas/metadata", xml.into_bytes());
        Self { metadata, signing_key, decryption_keys: vec![decryption] }
    }
}

/// The mock's metadata, fetched now and verified against `idp-metadata-signer`.
fn proxy_metadata(mock: &MockProxy) -> Result<ProxyServiceMetadata, String> {
    let reply = mock.fetch_metadata().map_err(|e| format!("io: {e}"))?;
    if reply.status != 200 {
        return Err(format!("http {}", reply.status));
    }
    let trust = TrustedCert::from_pem(&pem("idp-metadata-signer.crt")).unwrap();
    parse_proxy_metadata(&reply.body, &trust, OffsetDateTime::now_utc(), &MetadataOptions::default())
        .map(|mut entities| entities.remove(0))
        .map_err(|e| e.code().to_owned())
}

fn peer(md: &ProxyServiceMetadata) -> Peer {
    Peer {
        entity_id: md.entity_id.clone(),
        country: CountryCode::parse(COUNTRY).unwrap(),
        node_country: md.node_country,
        signing_certs: md.signing_keys(),
        levels_of_assurance: md.levels_of_assurance.clone(),
        highest_protocol_version: md.highest_protocol_version().map(str::to_owned),
        require_signed_assertion: false,
        insecure_ignore_certificate_validity: false,
        allow_sha1_oaep: true,
    }
}

/// A started mock that fetches our connector metadata, and its verified metadata.
struct Setup {
    mock: MockProxy,
    connector: Connector,
    md: ProxyServiceMetadata,
}

fn setup() -> Option<Setup> {
    let mock = MockProxy::start(COUNTRY)?;
    let connector = Connector::start();
    mock.set_connector_metadata_url(&connector.metadata.url);
    let md = proxy_metadata(&mock).unwrap();
    Some(Setup { mock, connector, md })
}

/// What the mock answered: the form's action, its fields, and the request it answers.
struct Answer {
    action: String,
    fields: Vec<(String, String)>,
    pending: PendingRequest,
}

impl Answer {
    fn field(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap()
    }
}

/// Our signed AuthnRequest (substantial, the MDS plus three optional attributes, persistent
/// NameID, signed by `signer` with `algorithm`) as (POST value, the pending request).
fn authn_request(s: &Setup, signer: &PrivateKey, algorithm: SignatureAlgorithm) -> (String, PendingRequest) {
    let proxy = ProxyCapabilities {
        sso_post_url: s.md.sso_post_url.clone().unwrap(),
        supported_attributes: s.md.supported_attributes.clone(),
        levels_of_assurance: s.md.levels_of_assurance.clone(),
        requester_id_flag: s.md.requester_id_flag,
    };
    let requested: Vec<RequestedAttribute> = ["PlaceOfBirth", "Gender", "CurrentAddress"]
        .iter()
        .map(|n| RequestedAttribute { name: (*n).into(), required: false })
        .collect();
    let params = AuthnRequestParams {
        id: new_request_id().unwrap(),
        issue_instant: OffsetDateTime::now_utc(),
        issuer: ENTITY_ID.into(),
        provider_name: Some("Mock proxy self-test".into()),
        level_of_assurance: LevelOfAssurance::Substantial,
        requested_attributes: requested.clone(),
        non_notified_levels: Vec::new(),
        name_id_format: NameIdFormat::Persistent,
        requester_id: None,
    };
    let xml = build_authn_request(&params, &proxy, signer, algorithm, DigestAlgorithm::Sha256).unwrap();
    let pending = PendingRequest {
        id: params.id.clone(),
        country: COUNTRY.into(),
        proxy_entity_id: s.md.entity_id.clone(),
        level_of_assurance: params.level_of_assurance,
        requested_attributes: resolve_requested_attributes(&requested, &proxy).unwrap(),
        name_id_format: params.name_id_format,
    };
    (base64::engine::general_purpose::STANDARD.encode(xml), pending)
}

/// Sends our AuthnRequest to `/sso?{query}` and reads the mock's auto-submit form.
fn login(s: &Setup, query: &str) -> Answer {
    let (saml_request, pending) = authn_request(s, &s.connector.signing_key, SignatureAlgorithm::RsaPssSha256);
    let reply = s.mock.post_sso(query, &saml_request, "relay-&-\"state\"").unwrap();
    assert_eq!(reply.status, 200, "{query}: {}\n{}", reply.text(), s.mock.log());
    assert!(reply.header("content-type").is_some_and(|c| c.starts_with("text/html")));
    let (action, fields) = parse_form(&reply.text()).unwrap();
    Answer { action, fields, pending }
}

/// Our full Response validation of the posted `SAMLResponse`: "authenticated",
/// "failed:<code>" or the error code.
fn validate(s: &Setup, answer: &Answer, peer: &Peer) -> (String, Option<Outcome>) {
    let policy = ResponsePolicy::default();
    let ctx = ResponseContext {
        now: OffsetDateTime::now_utc(),
        entity_id: ENTITY_ID,
        acs_url: ACS_URL,
        our_country: CountryCode::parse("FR").unwrap(),
        pending: &answer.pending,
        peer,
        decryption_keys: &s.connector.decryption_keys,
        policy: &policy,
    };
    let message = answer.field("SAMLResponse").as_bytes();
    match validate_response(message, &ctx, &mut HashMap::new(), &mut Vec::new()) {
        Ok(Outcome::Failed { code, status }) => {
            (format!("failed:{}", code.code()), Some(Outcome::Failed { code, status }))
        }
        Ok(outcome) => ("authenticated".into(), Some(outcome)),
        Err(e) => (e.code(), None),
    }
}

fn identity(outcome: Option<Outcome>) -> (Value, Value) {
    let Some(Outcome::Authenticated(id)) = outcome else { panic!("not authenticated") };
    (serde_json::to_value(id.claims()).unwrap(), serde_json::to_value(id.person()).unwrap())
}

#[test]
fn mock_proxy_metadata_verifies_against_the_metadata_signer_and_describes_the_mock() {
    let Some(mock) = MockProxy::start(COUNTRY) else { return };
    let md = proxy_metadata(&mock).unwrap();
    assert_eq!(md.entity_id, mock.metadata_url());
    assert_eq!(md.sso_post_url.as_deref(), Some(mock.sso_url()));
    assert_eq!(md.node_country.map(|c| c.to_string()).as_deref(), Some(mock.country()));
    assert_eq!(md.levels_of_assurance, [LevelOfAssurance::Substantial, LevelOfAssurance::High]);
    assert!(md.want_authn_requests_signed);
    for a in ["PersonIdentifier", "CurrentFamilyName", "CurrentGivenName", "DateOfBirth", "Gender", "PlaceOfBirth"] {
        assert!(md.supported_attributes.contains(&format!("{NATURAL}{a}")), "{a}");
    }
    let idp = TrustedCert::from_pem(&pem("idp-rsa3072.crt")).unwrap().remove(0);
    assert_eq!(md.signing_keys().iter().map(TrustedCert::der).collect::<Vec<_>>(), [idp.der()]);
    let valid_for = md.valid_until - OffsetDateTime::now_utc();
    assert!(valid_for > time::Duration::hours(23) && valid_for <= time::Duration::hours(24), "{valid_for}");
}

#[test]
fn mock_proxy_answers_each_scenario_with_the_outcome_it_names() {
    let Some(s) = setup() else { return };
    let peer = peer(&s.md);
    for (scenario, want) in [
        ("", "authenticated"),
        ("scenario=cancel", "failed:user_cancelled"),
        ("scenario=authn_failed", "failed:authentication_failed"),
        ("scenario=loa_not_met", "failed:loa_not_met"),
        ("scenario=loa_low", "saml.loa"),
        ("scenario=bad_signature", "sig.digest_mismatch"),
        ("scenario=signed_by_attacker", "sig.invalid"),
        ("scenario=wrong_audience", "saml.audience_mismatch"),
        ("scenario=wrong_destination", "saml.destination_mismatch"),
        ("scenario=expired", "saml.expired"),
        ("scenario=unsigned", "sig.missing"),
    ] {
        let answer = login(&s, scenario);
        assert_eq!(answer.action, ACS_URL, "{scenario}");
        assert_eq!(answer.field("RelayState"), "relay-&-\"state\"", "{scenario}");
        assert_eq!(validate(&s, &answer, &peer).0, want, "{scenario}");
        assert_eq!(
            s.mock.last_request()["response"]["scenario"],
            scenario.strip_prefix("scenario=").unwrap_or("success")
        );
    }
}

#[test]
fn mock_proxy_asserts_the_default_greek_and_address_identities_at_the_loa_asked() {
    let Some(s) = setup() else { return };
    let peer = peer(&s.md);

    let answer = login(&s, "identity=default");
    let (got, outcome) = validate(&s, &answer, &peer);
    assert_eq!(got, "authenticated");
    let sent = s.mock.last_request()["response"].clone();
    let (claims, person) = identity(outcome);
    assert_eq!(claims["sub_source"], sent["values"]["PersonIdentifier"]);
    assert!(claims["sub_source"].as_str().unwrap().starts_with("XA/FR/"), "{claims}");
    assert_eq!(claims["family_name"], sent["values"]["CurrentFamilyName"]);
    assert_eq!(claims["given_name"], sent["values"]["CurrentGivenName"]);
    assert_eq!(claims["birthdate"], sent["values"]["DateOfBirth"]);
    assert_eq!(person["place_of_birth"], sent["values"]["PlaceOfBirth"]);
    assert!(person["current_address"].is_null(), "the default identity has no address");
    assert_eq!(sent["loa"], LevelOfAssurance::Substantial.uri(), "the requested minimum");
    assert_eq!(sent["name_id_format"], NameIdFormat::Persistent.uri());

    let answer = login(&s, "identity=greek&loa=high");
    let (got, outcome) = validate(&s, &answer, &peer);
    assert_eq!(got, "authenticated");
    let (claims, person) = identity(outcome);
    assert_eq!(claims["family_name"], "Papadopoulou", "the Latin transliteration");
    assert_eq!(person["family_name"]["original"], "Παπαδοπούλου");
    assert_eq!(person["given_name"]["original"], "Ελένη");
    assert_eq!(s.mock.last_request()["response"]["loa"], LevelOfAssurance::High.uri());

    let answer = login(&s, "identity=address");
    let (got, outcome) = validate(&s, &answer, &peer);
    assert_eq!(got, "authenticated");
    let (_, person) = identity(outcome);
    let address = person["current_address"].to_string();
    for part in ["22", "Calle Mayor", "Madrid", "28013"] {
        assert!(address.contains(part), "{address} lacks {part}");
    }
}

#[test]
fn mock_proxy_reports_the_authn_request_it_verified() {
    let Some(s) = setup() else { return };
    assert!(s.mock.last_request().is_null(), "nothing received yet");
    let answer = login(&s, "");
    let last = s.mock.last_request();
    assert_eq!(last["id"], answer.pending.id.as_str());
    assert_eq!(last["issuer"], ENTITY_ID);
    assert_eq!(last["destination"], s.mock.sso_url());
    assert_eq!(last["loa"], LevelOfAssurance::Substantial.uri());
    assert_eq!(last["comparison"], "minimum");
    assert_eq!(last["force_authn"], true);
    assert_eq!(last["is_passive"], false);
    assert_eq!(last["signature_verified"], true);
    assert_eq!(last["error"], Value::Null);
    assert_eq!(last["relay_state"], "relay-&-\"state\"");
    let required: Vec<(String, bool)> = last["requested_attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap().trim_start_matches(NATURAL).to_owned(), a["is_required"] == true))
        .collect();
    for (name, is_required) in [
        ("PersonIdentifier", true),
        ("CurrentFamilyName", true),
        ("CurrentGivenName", true),
        ("DateOfBirth", true),
        ("PlaceOfBirth", false),
        ("Gender", false),
    ] {
        assert!(required.contains(&(name.to_owned(), is_required)), "{name} {is_required}: {required:?}");
    }
}

#[test]
fn mock_proxy_refuses_an_authn_request_altered_after_signing_or_signed_by_an_unpublished_key() {
    let Some(s) = setup() else { return };
    let b64 = base64::engine::general_purpose::STANDARD;
    let (saml_request, _) = authn_request(&s, &s.connector.signing_key, SignatureAlgorithm::RsaPssSha256);
    let xml = String::from_utf8(b64.decode(&saml_request).unwrap()).unwrap();
    let altered = b64.encode(xml.replacen("Comparison=\"minimum\"", "Comparison=\"exact\"", 1));
    let (other_signer, _) = authn_request(&s, &key("sp-sign-ec-p256"), SignatureAlgorithm::EcdsaSha256);
    for (what, request) in [("altered", altered), ("other key", other_signer)] {
        let reply = s.mock.post_sso("", &request, "r").unwrap();
        assert_eq!(reply.status, 400, "{what}: {}", reply.text());
        let last = s.mock.last_request();
        assert_eq!(last["signature_verified"], false, "{what}");
        assert!(last["error"].as_str().unwrap().contains("does not verify"), "{what}: {last}");
    }
}

#[test]
fn mock_proxy_rollover_signs_with_a_key_that_only_the_refreshed_metadata_publishes() {
    let Some(s) = setup() else { return };
    let before = peer(&s.md);
    let rolled = s.mock.rollover();
    assert_eq!(rolled["signer"], "idp-ec-p256");
    let after = peer(&proxy_metadata(&s.mock).unwrap());
    let ec = TrustedCert::from_pem(&pem("idp-ec-p256.crt")).unwrap().remove(0);
    assert_eq!(after.signing_certs.iter().map(TrustedCert::der).collect::<Vec<_>>(), [ec.der()]);

    let answer = login(&s, "");
    assert_eq!(validate(&s, &answer, &after).0, "authenticated");
    let (refused, _) = validate(&s, &answer, &before);
    assert!(refused.starts_with("sig."), "the old metadata's key refuses it: {refused}");
    assert_eq!(s.mock.last_request()["response"]["signer"], "idp-ec-p256");

    s.mock.reset();
    assert_eq!(peer(&proxy_metadata(&s.mock).unwrap()).signing_certs.len(), 1);
    assert_eq!(validate(&s, &login(&s, ""), &before).0, "authenticated", "back to the first key");
}

#[test]
fn mock_proxy_metadata_modes_fail_as_named() {
    let Some(mock) = MockProxy::start(COUNTRY) else { return };
    for (mode, want) in [
        ("garbage", "metadata.malformed"),
        ("error500", "http 500"),
        ("expired", "metadata.expired"),
        ("unsigned", "metadata.unsigned"),
        ("tampered", "metadata.signature"),
    ] {
        mock.set_metadata_mode(mode);
        assert_eq!(proxy_metadata(&mock).unwrap_err(), want, "{mode}");
    }
    mock.set_metadata_mode("slow");
    let slow = http_with_timeout("GET", mock.metadata_url(), None, b"", Duration::from_secs(1));
    assert!(slow.is_err(), "slow metadata answered within 1 s");
    mock.set_metadata_mode("ok");
    assert!(proxy_metadata(&mock).is_ok());
}

#[test]
fn mock_proxy_restarted_after_a_stop_serves_the_same_entity_on_the_same_port() {
    let Some(mut s) = setup() else { return };
    let port = s.mock.port();
    s.mock.set_metadata_mode("error500");
    s.mock.stop();
    assert!(http("GET", s.mock.metadata_url(), None, b"").is_err(), "a stopped mock refuses connections");
    s.mock.restart();
    assert_eq!(s.mock.port(), port);
    let md = proxy_metadata(&s.mock).unwrap();
    assert_eq!(md.entity_id, format!("http://127.0.0.1:{port}/metadata"));
    assert_eq!(md.entity_id, s.md.entity_id);
    // It still knows where our metadata is, and signs with its first key again.
    assert_eq!(validate(&s, &login(&s, ""), &peer(&s.md)).0, "authenticated");
}

#[test]
fn parse_form_reads_the_action_and_hidden_fields_and_decodes_character_references() {
    let page = render_post_form("https://proxy.example/sso?a=1&b=2", "<x/>", "r&\"<'>\t");
    let (action, fields) = parse_form(&page).unwrap();
    assert_eq!(action, "https://proxy.example/sso?a=1&b=2");
    assert_eq!(fields[0], ("SAMLRequest".to_owned(), base64::engine::general_purpose::STANDARD.encode("<x/>")));
    assert_eq!(fields[1], ("RelayState".to_owned(), "r&\"<'>\t".to_owned()));

    let html = "<p><FORM Method=post ACTION='https://a.example/acs?x=&#39;1&#x27;'>\
                <input type=text name=visible value=no>\
                <input name=\"SAMLResponse\" type=\"HIDDEN\" value=\"PHg+&amp;&lt;&gt;&quot;\"/>\
                <input type=hidden name=RelayState value=abc></form>\
                <form action=\"/second\"><input type=hidden name=z value=1></form>";
    let (action, fields) = parse_form(html).unwrap();
    assert_eq!(action, "https://a.example/acs?x='1'");
    assert_eq!(
        fields,
        [("SAMLResponse".to_owned(), "PHg+&<>\"".to_owned()), ("RelayState".to_owned(), "abc".to_owned())]
    );
    assert_eq!(parse_form("<p>no form</p>"), None);
    assert_eq!(parse_form("<formula><form method=post>"), None, "a form without action");
}
