//! Every Response vector of `tests/vectors/saml/manifest.json` (signed by signxml or
//! python-xmlsec, encrypted by python-xmlsec or cryptography; see `tests/vectors/saml/README.md`)
//! gives exactly its expected outcome through the full Response validation, and every proxy
//! metadata vector of `metadata-manifest.json` is accepted or refused as stated.

use std::collections::HashMap;

use eidas_connector::saml::authn_request::RequestedAttribute;
use eidas_connector::saml::metadata::{parse_proxy_metadata, MetadataOptions};
use eidas_connector::saml::response::{
    validate_response, CheckResult, Outcome, Peer, PendingRequest, ReplayGuard, ResponseContext, ResponsePolicy, CHECKS,
};
use eidas_connector::saml::{CountryCode, LevelOfAssurance, NameIdFormat};
use eidas_connector::xmlsec::keys::{PrivateKey, TrustedCert};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::support::repo_file;

pub(crate) fn load(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(repo_file(&format!("tests/vectors/saml/{name}"))).expect("manifest present");
    serde_json::from_str::<Value>(&text).expect("JSON").as_array().expect("array").clone()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} missing"))
}

fn certs(v: &Value) -> Vec<TrustedCert> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|p| TrustedCert::from_pem(&std::fs::read(repo_file(p.as_str().unwrap())).unwrap()).unwrap())
        .collect()
}

fn format(v: &str) -> NameIdFormat {
    match v {
        "persistent" => NameIdFormat::Persistent,
        "transient" => NameIdFormat::Transient,
        _ => NameIdFormat::Unspecified,
    }
}

/// Builds the validation context of vector `v` and hands it, with the message, to `f`.
fn with_vector<T>(v: &Value, f: impl FnOnce(&ResponseContext<'_>, &[u8]) -> T) -> T {
    let c = &v["context"];
    let p = &c["peer"];
    let now = OffsetDateTime::parse(s(c, "now"), &Rfc3339).unwrap();
    let pending = PendingRequest {
        id: s(c, "in_response_to").into(),
        country: s(c, "country").into(),
        proxy_entity_id: s(p, "entity_id").into(),
        level_of_assurance: LevelOfAssurance::from_name(s(c, "loa")).unwrap(),
        requested_attributes: c["requested"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| RequestedAttribute { name: s(r, "name").into(), required: r["required"].as_bool().unwrap() })
            .collect(),
        name_id_format: format(s(c, "name_id_format")),
    };
    let peer = Peer {
        entity_id: s(p, "entity_id").into(),
        country: CountryCode::parse(s(c, "country")).unwrap(),
        node_country: p["node_country"].as_str().and_then(CountryCode::parse),
        signing_certs: certs(&p["signing_certs"]),
        levels_of_assurance: p["levels_of_assurance"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| LevelOfAssurance::from_name(l.as_str().unwrap()))
            .collect(),
        highest_protocol_version: p["protocol_version"].as_str().map(str::to_owned),
        require_signed_assertion: p["require_signed_assertion"].as_bool().unwrap_or(false),
        insecure_ignore_certificate_validity: p["insecure_ignore_certificate_validity"].as_bool().unwrap_or(false),
        allow_sha1_oaep: p["allow_sha1_oaep"].as_bool().unwrap_or(true),
    };
    let keys: Vec<PrivateKey> = c["decryption_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| PrivateKey::from_pem(&std::fs::read(repo_file(k.as_str().unwrap())).unwrap(), None).unwrap())
        .collect();
    let policy = ResponsePolicy::default();
    let ctx = ResponseContext {
        now,
        entity_id: s(c, "entity_id"),
        acs_url: s(c, "acs_url"),
        our_country: CountryCode::parse(s(c, "our_country")).unwrap(),
        pending: &pending,
        peer: &peer,
        decryption_keys: &keys,
        policy: &policy,
    };
    let file = s(v, "file");
    let path = if std::path::Path::new(file).is_absolute() {
        std::path::PathBuf::from(file)
    } else {
        repo_file(&format!("tests/vectors/saml/{file}"))
    };
    let message = std::fs::read(path).unwrap();
    f(&ctx, &message)
}

/// Runs one vector: "authenticated", "failed:<code>" or the error code.
pub(crate) fn run(v: &Value) -> String {
    with_vector(v, |ctx, message| {
        let mut replay = HashMap::new();
        let mut trace = Vec::new();
        match validate_response(message, ctx, &mut replay, &mut trace) {
            Ok(Outcome::Failed { code, .. }) => format!("failed:{}", code.code()),
            Ok(Outcome::Authenticated(id)) => {
                check_values(v, &id);
                // The same message again is a replay.
                let mut again = Vec::new();
                let replayed = validate_response(message, ctx, &mut replay, &mut again).unwrap_err();
                assert_eq!(replayed.code(), "saml.replay", "{}", s(v, "file"));
                "authenticated".into()
            }
            Err(e) => e.code(),
        }
    })
}

fn check_values(v: &Value, id: &eidas_connector::saml::response::VerifiedIdentity) {
    let file = s(v, "file");
    if let Some(want) = v.get("expect_identity") {
        assert_eq!(id.issuer(), s(want, "issuer"), "{file}");
        assert_eq!(id.country().as_str(), s(want, "country"), "{file}");
        assert_eq!(id.level_of_assurance().to_string(), s(want, "loa"), "{file}");
        assert_eq!(id.name_id(), s(want, "name_id"), "{file}");
        assert_eq!(id.response_id(), s(want, "response_id"), "{file}");
        assert_eq!(id.assertion_id(), s(want, "assertion_id"), "{file}");
    }
    let values = v
        .get("expect_values")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{file}: an accepted vector must list its expected values"));
    let person = serde_json::to_value(id.person()).unwrap();
    let claims = serde_json::to_value(id.claims()).unwrap();
    let base = "http://eidas.europa.eu/attributes/naturalperson/";
    for (name, want) in values {
        let raw = id.attributes().get(&format!("{base}{name}"));
        assert!(!raw.is_empty(), "{file}: {name} missing");
        match (name.as_str(), want) {
            ("CurrentAddress", Value::Object(fields)) => {
                let address = person["current_address"].to_string();
                for (_, field) in fields {
                    assert!(address.contains(field.as_str().unwrap()), "{file}: address {address} lacks {field}");
                }
            }
            ("CurrentFamilyName", Value::String(w)) => assert_eq!(claims["family_name"], *w, "{file}"),
            ("CurrentGivenName", Value::String(w)) => assert_eq!(claims["given_name"], *w, "{file}"),
            ("DateOfBirth", Value::String(w)) => assert_eq!(claims["birthdate"], *w, "{file}"),
            ("PersonIdentifier", Value::String(w)) => assert_eq!(claims["sub_source"], *w, "{file}"),
            (_, Value::String(w)) => assert!(raw.iter().any(|x| x.value == *w), "{file}: {name} is not {w}"),
            _ => {}
        }
    }
    if let Some(orig) = v.get("expect_values_non_latin").and_then(|o| o["CurrentFamilyName"].as_str()) {
        assert!(person.to_string().contains(orig), "{file}: the original-script family name is kept");
    }
    let legal_base = "http://eidas.europa.eu/attributes/legalperson/";
    for (name, want) in v.get("expect_values_legal").and_then(Value::as_object).into_iter().flatten() {
        let raw = id.attributes().get(&format!("{legal_base}{name}"));
        assert!(raw.iter().any(|x| Some(x.value.as_str()) == want.as_str()), "{file}: {name} is not {want}");
    }
}

#[test]
fn every_response_vector_gives_its_expected_outcome() {
    let vectors = load("manifest.json");
    assert!(vectors.len() >= 50, "only {} response vectors", vectors.len());
    let mut failures = Vec::new();
    for v in &vectors {
        let want = s(v, "expect");
        let got = run(v);
        if got != want {
            failures.push(format!("{}: expected {want}, got {got}", s(v, "file")));
        }
    }
    assert!(failures.is_empty(), "{} of {} vectors wrong:\n{}", failures.len(), vectors.len(), failures.join("\n"));
}

#[test]
fn every_metadata_vector_gives_its_expected_outcome() {
    let mut failures = Vec::new();
    for v in load("metadata-manifest.json") {
        let c = &v["context"];
        let now = OffsetDateTime::parse(s(c, "now"), &Rfc3339).unwrap();
        let xml = std::fs::read(repo_file(&format!("tests/vectors/saml/{}", s(&v, "file")))).unwrap();
        let got = match parse_proxy_metadata(
            &xml,
            &certs(&c["trusted_metadata_signers"]),
            now,
            &MetadataOptions::default(),
        ) {
            Ok(entities) => {
                let md = &entities[0];
                assert_eq!(md.entity_id, s(c, "entity_id"));
                assert_eq!(md.node_country.map(|c| c.to_string()).as_deref(), c["country"].as_str());
                "valid".to_owned()
            }
            Err(e) => e.cause_code().unwrap_or(e.code()).to_owned(),
        };
        let want = s(&v, "expect");
        if got != want && !(want == "metadata.signature" && got.starts_with("sig.")) {
            failures.push(format!("{}: expected {want}, got {got}", s(&v, "file")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn vector(file: &str) -> Value {
    load("manifest.json").into_iter().find(|v| v["file"] == file).expect("vector in manifest")
}

#[test]
fn response_of_a_proxy_whose_node_country_differs_is_refused() {
    // eidas-spec §2.6 step 17 (CEF 200015): the same valid Response, peer metadata saying DE.
    let mut v = vector("accept_success.xml");
    v["context"]["peer"]["node_country"] = "DE".into();
    assert_eq!(run(&v), "saml.country_mismatch");
}

#[test]
fn response_loa_above_the_request_but_not_published_by_the_proxy_is_refused() {
    // eidas-spec fact 18 (CEF 202021): high is not among the levels this proxy publishes.
    let mut v = vector("accept_success_loa_high.xml");
    v["context"]["peer"]["levels_of_assurance"] = serde_json::json!(["substantial"]);
    assert_eq!(run(&v), "saml.loa");
    // And a high request is not met by a substantial answer.
    let mut v = vector("accept_success.xml");
    v["context"]["loa"] = "high".into();
    assert_eq!(run(&v), "saml.loa");
}

#[test]
fn response_outside_the_time_window_is_refused_at_the_default_skew() {
    // IssueInstant 10:00:00 + 5 min message age + 60 s skew, and NotOnOrAfter 10:05:00 + 60 s:
    // 10:05:59 is still in, 10:06:01 is out (the message-age check runs first).
    let mut v = vector("accept_success.xml");
    v["context"]["now"] = "2026-11-25T10:05:59Z".into();
    assert_eq!(run(&v), "authenticated");
    v["context"]["now"] = "2026-11-25T10:06:01Z".into();
    assert_eq!(run(&v), "saml.stale");
    // Sent from a clock 61 s ahead: IssueInstant in the future beyond the skew.
    v["context"]["now"] = "2026-11-25T09:58:59Z".into();
    assert_eq!(run(&v), "saml.stale");
}

#[test]
fn a_document_that_is_not_a_response_is_refused_before_any_signature_work() {
    let mut v = vector("accept_success.xml");
    v["file"] = "proxy-metadata.xml".into();
    assert_eq!(run(&v), "saml.not_a_response");
}

#[test]
fn response_with_another_version_is_refused_when_signed_by_signxml() {
    // SAML Core 3.2.2: Version 2.0. The Response is edited then re-signed by signxml (an
    // independent signer) at test time, so only the version rule can refuse it.
    let Some(py) = crate::support::python() else { return };
    let original = std::fs::read_to_string(repo_file("tests/vectors/saml/accept_success.xml")).unwrap();
    let edited = original.replacen("Version=\"2.0\"", "Version=\"1.1\"", 1);
    let signed = crate::support::resign_response_with_signxml(&py, &edited);
    let signed_file = crate::support::TempFile::new("v11-signed.xml", &signed);
    let mut v = vector("accept_success.xml");
    v["file"] = signed_file.path().into();
    assert_eq!(run(&v), "saml.version");
}

/// Every check result of vector `file`, in order, and its final code (or "authenticated").
fn trace_of(file: &str) -> (Vec<CheckResult>, String) {
    with_vector(&vector(file), |ctx, message| {
        let mut trace = Vec::new();
        let got = match validate_response(message, ctx, &mut HashMap::new(), &mut trace) {
            Ok(_) => "authenticated".to_owned(),
            Err(e) => e.code(),
        };
        (trace, got)
    })
}

#[test]
fn structural_and_identifier_rejects_fail_at_their_own_check_with_their_exact_code() {
    // Issue 6, points 4–7: each vector is refused by the named check (the last one run), not
    // by an earlier one that happens to give the same code.
    for (file, check, code) in [
        ("reject_person_identifier_destination_other_country.xml", "person_identifier", "saml.person_identifier"),
        ("reject_legal_person_identifier_destination_other_country.xml", "person_identifier", "saml.person_identifier"),
        ("reject_assertion_in_extensions.xml", "response.no_stray_assertion", "saml.assertion_count"),
        ("reject_assertion_nested_in_status.xml", "response.no_stray_assertion", "saml.assertion_count"),
        ("reject_assertion_nested_assertion_unsigned.xml", "assertion.shape", "saml.assertion_structure"),
        ("reject_assertion_nested_assertion_signed.xml", "assertion.shape", "saml.assertion_structure"),
        ("reject_assertion_children_out_of_order.xml", "assertion.shape", "saml.assertion_structure"),
        ("reject_assertion_second_issuer.xml", "assertion.shape", "saml.assertion_structure"),
        ("reject_assertion_unknown_child.xml", "assertion.shape", "saml.assertion_structure"),
        ("reject_assertion_advice_with_assertion.xml", "assertion.shape", "saml.assertion_structure"),
        ("reject_assertion_id_equals_response_id.xml", "assertion.unique_ids", "saml.duplicate_id"),
        ("reject_duplicate_id_across_response_and_assertion.xml", "assertion.unique_ids", "saml.duplicate_id"),
    ] {
        assert_eq!(s(&vector(file), "expect"), code, "{file}: manifest");
        let (trace, got) = trace_of(file);
        assert_eq!(got, code, "{file}");
        let last = trace.last().unwrap();
        assert_eq!((last.check, last.passed, last.code.as_deref()), (check, false, Some(code)), "{file}");
        assert!(trace.iter().rev().skip(1).all(|c| c.passed), "{file}: an earlier check failed: {trace:?}");
    }
    // Their accept siblings pass every one of those checks.
    for file in ["accept_success_with_extensions.xml", "accept_success_with_legal_person_identifier.xml"] {
        let (trace, got) = trace_of(file);
        assert_eq!(got, "authenticated", "{file}");
        let names: Vec<&str> = trace.iter().map(|c| c.check).collect();
        assert_eq!(names, CHECKS, "{file}: every check runs once, in the order CHECKS lists");
    }
}

/// A replay cache that fails the test when one message shows it the same ID twice.
#[derive(Default)]
struct DistinctIds {
    ids: Vec<String>,
}

impl ReplayGuard for DistinctIds {
    fn first_use(&mut self, key: &str, _until: OffsetDateTime) -> bool {
        // Keys end with the ID, an NCName: no ':' in it.
        let id = key.rsplit(':').next().unwrap().to_owned();
        assert!(!self.ids.contains(&id), "the replay cache saw {id} twice from one message");
        self.ids.push(id);
        true
    }
}

#[test]
fn replay_cache_sees_two_distinct_ids_per_message_and_none_when_the_assertion_reuses_the_response_id() {
    let mut authenticated = 0;
    for v in load("manifest.json") {
        let mut guard = DistinctIds::default();
        let got = with_vector(&v, |ctx, message| validate_response(message, ctx, &mut guard, &mut Vec::new()));
        if let Ok(Outcome::Authenticated(id)) = got {
            assert_eq!(guard.ids, [id.response_id(), id.assertion_id()], "{}", s(&v, "file"));
            authenticated += 1;
        }
    }
    assert!(authenticated >= 10, "only {authenticated} accepted vectors");
    // The Assertion reusing the Response's ID is refused by its own check before the replay
    // cache is consulted: it cannot be mistaken for a replay of the same message.
    let mut guard = DistinctIds::default();
    let err = with_vector(&vector("reject_assertion_id_equals_response_id.xml"), |ctx, message| {
        validate_response(message, ctx, &mut guard, &mut Vec::new()).unwrap_err()
    });
    assert_eq!(err.code(), "saml.duplicate_id");
    assert!(guard.ids.is_empty(), "the replay cache was consulted: {:?}", guard.ids);
}
