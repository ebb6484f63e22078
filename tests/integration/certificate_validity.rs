//! Issue 6 point 8: the validity period of the metadata trust anchor and of the published
//! message-signing certificates is enforced (eIDAS IA 6.3; the reference node's
//! `check.certificate.validity.period=true`), and a per-country relaxation is reported.
//!
//! The signed messages are the python-xmlsec vectors of `tests/vectors/saml/`; the expired and
//! not-yet-valid certificates are `cryptography`-made twins of the same keys
//! (`certs/test-pki/*-expired.crt.pem`, `tests/vectors/vectorgen/pki.py`), so the signatures
//! verify and only the validity period differs.

use serde_json::{json, Value};

use crate::saml_vectors::{load, run};
use crate::support::{repo_file, response_check, run as run_cli, VECTOR_NOW as NOW};

fn path(rel: &str) -> String {
    repo_file(rel).to_string_lossy().into_owned()
}

/// The `accept_success.xml` vector with its peer's signing certificate replaced.
fn accept_success_published_with(cert: &str, relaxed: bool) -> Value {
    let mut v = load("manifest.json")
        .into_iter()
        .find(|v| v["file"] == "accept_success.xml")
        .expect("accept_success.xml in the manifest");
    v["context"]["peer"]["signing_certs"] = json!([cert]);
    v["context"]["peer"]["insecure_ignore_certificate_validity"] = json!(relaxed);
    v
}

#[test]
fn response_signed_by_a_published_certificate_that_has_expired_is_refused() {
    let v = accept_success_published_with("certs/test-pki/idp-rsa3072-expired.crt.pem", false);
    assert_eq!(run(&v), "saml.signing_certificate_expired");
}

#[test]
fn response_signed_by_a_published_certificate_not_yet_valid_is_refused() {
    let v = accept_success_published_with("certs/test-pki/idp-rsa3072-not-yet-valid.crt.pem", false);
    assert_eq!(run(&v), "saml.signing_certificate_not_yet_valid");
}

#[test]
fn response_signed_by_an_expired_certificate_is_accepted_when_the_country_relaxes_the_check() {
    let v = accept_success_published_with("certs/test-pki/idp-rsa3072-expired.crt.pem", true);
    assert_eq!(run(&v), "authenticated");
}

#[test]
fn the_same_response_with_the_valid_certificate_is_accepted() {
    let v = accept_success_published_with("certs/test-pki/idp-rsa3072.crt.pem", false);
    assert_eq!(run(&v), "authenticated");
}

fn verify_metadata(trust: &str, extra: &[&str]) -> (i32, String, String) {
    let (md, trust) = (path("tests/vectors/saml/proxy-metadata.xml"), path(trust));
    let mut args = vec!["metadata", "verify", "--trust", &trust, "--now", NOW];
    args.extend_from_slice(extra);
    args.push(&md);
    run_cli(&args)
}

#[test]
fn metadata_verified_by_an_expired_trust_anchor_is_refused() {
    let (code, out, err) = verify_metadata("certs/test-pki/idp-metadata-signer-expired.crt.pem", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("error: metadata.trust_anchor_expired"), "{err}");
}

#[test]
fn metadata_verified_by_an_expired_trust_anchor_is_accepted_and_reported_when_relaxed() {
    let (code, out, err) = verify_metadata(
        "certs/test-pki/idp-metadata-signer-expired.crt.pem",
        &["--insecure-ignore-certificate-validity"],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["trust_anchor_validity"], "expired", "{out}");
    let (code, out, _) = verify_metadata("certs/test-pki/idp-metadata-signer.crt.pem", &[]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["trust_anchor_validity"], "valid", "{out}");
}

fn check_with_anchor(anchor: &str, extra: &[&str]) -> (i32, String, String) {
    let vector = path("tests/vectors/saml/accept_success.xml");
    response_check(&vector, Some(anchor), &[&["--explain"], extra].concat())
}

#[test]
fn response_check_explains_a_refused_and_a_relaxed_trust_anchor() {
    let anchor = "certs/test-pki/idp-metadata-signer-expired.crt.pem";
    let (code, _, err) = check_with_anchor(anchor, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("FAIL  metadata.trust_anchor: metadata.trust_anchor_expired"), "{err}");
    assert!(err.contains("error: metadata.trust_anchor_expired"), "{err}");

    let (code, out, err) = check_with_anchor(anchor, &["--insecure-ignore-certificate-validity"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"authenticated\""), "{out}");
    assert!(err.contains("RELAXED  metadata.trust_anchor"), "{err}");
    assert!(err.contains("pass  response.signing_certificate"), "{err}");
}

/// `docker/config.toml` with its paths made absolute and a `[[countries]]` entry for ES.
fn config_with_country(country_toml: &str) -> crate::support::TempFile {
    let reference = std::fs::read_to_string(repo_file("docker/config.toml")).unwrap();
    let certs = repo_file("certs").to_string_lossy().into_owned();
    let text = format!("{}\n{country_toml}\n", reference.replace("\"../certs/", &format!("\"{certs}/")));
    crate::support::TempFile::new("config.toml", text.as_bytes())
}

fn check_with_config(config: &str, extra: &[&str]) -> (i32, String, String) {
    let vector = path("tests/vectors/saml/accept_success.xml");
    response_check(&vector, None, &[&["--config", config, "--explain"], extra].concat())
}

fn es_entry(anchor: &str, settings: &str) -> String {
    format!(
        "[[countries]]\ncode = \"ES\"\nmetadata_url = \"https://eidas.example.es/EidasNode/ServiceMetadata\"\ntrust = [\"{}\"]\n{settings}\n",
        path(anchor)
    )
}

#[test]
fn response_check_takes_the_trust_anchor_and_its_relaxation_from_the_country_entry_of_the_configuration() {
    let expired = "certs/test-pki/idp-metadata-signer-expired.crt.pem";
    let strict = config_with_country(&es_entry(expired, ""));
    let (code, _, err) = check_with_config(strict.path(), &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error: metadata.trust_anchor_expired"), "{err}");

    let relaxed = config_with_country(&es_entry(expired, "insecure_ignore_certificate_validity = true"));
    let (code, out, err) = check_with_config(relaxed.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"authenticated\""), "{out}");
    assert!(err.contains("RELAXED  metadata.trust_anchor"), "{err}");
}

#[test]
fn response_check_applies_require_signed_assertion_from_the_country_entry_of_the_configuration() {
    let anchor = "certs/test-pki/idp-metadata-signer.crt.pem";
    let plain = config_with_country(&es_entry(anchor, ""));
    let (code, _, err) = check_with_config(plain.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let strict = config_with_country(&es_entry(anchor, "require_signed_assertion = true"));
    let (code, _, err) = check_with_config(strict.path(), &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error: saml.assertion_sig_missing"), "{err}");
}
