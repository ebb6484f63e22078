//! The eIDAS operator commands as a black box, and our signed metadata and AuthnRequest checked
//! by independent verifiers (signxml and python-xmlsec).

use eidas_connector::xmlsec::keys::SignatureAlgorithm;

use crate::support::{oracle, python, repo_file, response_check, run, TempFile, VECTOR_NOW};

fn path(rel: &str) -> String {
    repo_file(rel).to_string_lossy().into_owned()
}

const NOW: &str = VECTOR_NOW;
const TRUST: &str = "certs/test-pki/idp-metadata-signer.crt.pem";

fn check(file: &str, extra: &[&str]) -> (i32, String, String) {
    response_check(&path(&format!("tests/vectors/saml/{file}")), Some(TRUST), extra)
}

#[test]
fn response_check_accepts_a_valid_response_and_hides_personal_values_by_default() {
    let (code, out, err) = check("accept_success.b64", &[]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outcome"], "authenticated");
    assert_eq!(v["level_of_assurance"], "substantial");
    assert_eq!(v["acr"], "eidas2");
    assert!(!out.contains("Papadopoulos") && !out.contains("12345678Z"), "personal data printed: {out}");
    let (code, out, _) = check("accept_success.xml", &["--show-values"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["claims"]["family_name"], "Papadopoulos");
    assert_eq!(v["claims"]["sub_source"], "ES/FR/12345678Z");
}

#[test]
fn response_check_reports_a_signed_failure_status_as_an_outcome() {
    let (code, out, err) = check("accept_failure_consent_denied.xml", &[]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["outcome"].as_str(), v["code"].as_str()), (Some("failed"), Some("user_cancelled")));
    assert_eq!(v["oidc_error"], "access_denied");
}

#[test]
fn response_check_refuses_with_a_code_and_explains_each_check() {
    let (code, _, err) = check("reject_audience_other.xml", &["--explain"]);
    assert_eq!(code, 1);
    assert!(err.contains("  pass  response.signature"), "{err}");
    assert!(err.contains("  FAIL  assertion.audience: saml.audience_mismatch"), "{err}");
    assert!(err.contains("  ----  loa (not run)"), "{err}");
    assert!(err.lines().any(|l| l == "error: saml.audience_mismatch"), "{err}");
}

#[test]
fn metadata_verify_summarizes_and_refuses_expired_or_tampered_metadata() {
    let trust = path("certs/test-pki/idp-metadata-signer.crt.pem");
    let md = |f: &str| path(&format!("tests/vectors/saml/{f}"));
    let (code, out, err) = run(&["metadata", "verify", "--trust", &trust, "--now", NOW, &md("proxy-metadata.xml")]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["entity_id"], "https://eidas.example.es/EidasNode/ServiceMetadata");
    assert_eq!(v["node_country"], "ES");
    assert_eq!(v["sso_post_url"], "https://eidas.example.es/EidasNode/ColleagueRequest");
    let (code, _, err) =
        run(&["metadata", "verify", "--trust", &trust, "--now", NOW, &md("proxy-metadata-expired.xml")]);
    assert_eq!((code, err.lines().next()), (1, Some("error: metadata.expired")));
    let (code, _, err) =
        run(&["metadata", "verify", "--trust", &trust, "--now", NOW, &md("proxy-metadata-tampered.xml")]);
    assert_eq!((code, err.lines().next()), (1, Some("error: sig.digest_mismatch")));
    let other = path("certs/test-pki/attacker-rsa3072.crt.pem");
    let (code, _, err) = run(&["metadata", "verify", "--trust", &other, "--now", NOW, &md("proxy-metadata.xml")]);
    assert_eq!((code, err.lines().next()), (1, Some("error: sig.invalid")));
}

#[test]
fn metadata_verify_reads_all_production_proxy_services_of_the_2023_aggregate() {
    let Some(dir) = crate::support::interop() else { return };
    let file = dir.join("metadata/eu-proxyservices-aggregate_2023.xml");
    let trust = path("certs/test-pki/idp-metadata-signer.crt.pem");
    let (code, _, err) = run(&["metadata", "verify", "--trust", &trust, file.to_str().unwrap()]);
    assert_eq!((code, err.lines().next()), (1, Some("error: metadata.unsigned")), "unsigned by default");
    let (code, out, err) =
        run(&["metadata", "verify", "--insecure-allow-unsigned", "--trust", &trust, file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(18), "17 countries, PT twice");
}

#[test]
fn our_metadata_and_authn_request_verify_under_signxml_and_python_xmlsec() {
    let config = path("docker/config.toml");
    let (code, metadata, err) = run(&["metadata", "print", "--config", &config]);
    assert_eq!(code, 0, "{err}");
    let trust = path("tests/vectors/saml/proxy-metadata.xml");
    let anchor = path("certs/test-pki/idp-metadata-signer.crt.pem");
    let (code, request, err) = run(&[
        "authn-request",
        "--config",
        &config,
        "--metadata",
        &trust,
        "--trust",
        &anchor,
        "--loa",
        "high",
        "--now",
        NOW,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(request.contains("Destination=\"https://eidas.example.es/EidasNode/ColleagueRequest\""));
    assert!(request.contains("http://eidas.europa.eu/LoA/high"));
    let (code, form, _) = run(&[
        "authn-request",
        "--config",
        &config,
        "--metadata",
        &trust,
        "--trust",
        &anchor,
        "--loa",
        "substantial",
        "--form",
        "--now",
        NOW,
    ]);
    assert_eq!(code, 0);
    assert!(
        form.contains("name=\"SAMLRequest\"")
            && form.contains("action=\"https://eidas.example.es/EidasNode/ColleagueRequest\"")
    );

    let Some(py) = python() else { return };
    let cert = path("certs/demo/sign.crt.pem");
    for (name, xml) in [("metadata", metadata), ("request", request)] {
        let f = TempFile::new(&format!("{name}.xml"), xml.as_bytes());
        let (ok, _, err) = oracle(
            &py,
            "verify_signxml.py",
            &["--cert", &cert, "--alg", SignatureAlgorithm::RsaPssSha256.uri(), f.path()],
        );
        assert!(ok, "signxml refused our {name}: {err}");
        let (ok, _, err) = oracle(&py, "verify_xmlsec.py", &["--cert", &cert, f.path()]);
        assert!(ok, "python-xmlsec refused our {name}: {err}");
    }
}

#[test]
fn config_problems_are_all_reported() {
    let bad = TempFile::new(
        "bad.toml",
        b"[connector]\nentity_id = \"ftp://x\"\nacs_url = \"https://x/acs\"\ncountry = \"fr\"\n[keys]\nsigning = { key = \"nope.pem\", cert = \"nope.crt\" }\nencryption = []\n[organization]\nname = \"n\"\ndisplay_name = \"d\"\nurl = \"https://o\"\n",
    );
    let (code, _, err) = run(&["metadata", "print", "--config", bad.path()]);
    assert_eq!(code, 1);
    assert!(err.starts_with("error: config.invalid"), "{err}");
    for needle in ["entity_id", "connector.country", "nope.pem", "keys.encryption", "support contact"] {
        assert!(err.contains(needle), "{needle} missing from:\n{err}");
    }
}

#[test]
fn response_check_explain_names_the_stray_assertion_shape_and_unique_id_checks() {
    let (code, _, err) = check("accept_success.xml", &["--explain"]);
    assert_eq!(code, 0, "{err}");
    for name in ["response.no_stray_assertion", "assertion.shape", "assertion.unique_ids"] {
        assert!(err.contains(&format!("  pass  {name}\n")), "{name} missing from:\n{err}");
    }
    let (code, _, err) = check("reject_assertion_in_extensions.xml", &["--explain"]);
    assert_eq!(code, 1);
    assert!(err.contains("  pass  response.assertion_count\n"), "{err}");
    assert!(err.contains("  FAIL  response.no_stray_assertion: saml.assertion_count\n"), "{err}");
    assert!(err.contains("  ----  assertion.shape (not run)\n"), "{err}");
    let (_, _, err) = check("reject_assertion_second_issuer.xml", &["--explain"]);
    assert!(err.contains("  FAIL  assertion.shape: saml.assertion_structure\n"), "{err}");
    assert!(err.lines().any(|l| l == "error: saml.assertion_structure"), "{err}");
    let (_, _, err) = check("reject_assertion_id_equals_response_id.xml", &["--explain"]);
    assert!(err.contains("  FAIL  assertion.unique_ids: saml.duplicate_id\n"), "{err}");
}

#[test]
fn response_check_judges_the_identifier_destination_against_our_country_fr_by_default() {
    // accept_success carries ES/FR/…, the destination vector ES/DE/….
    let (code, _, err) = check("reject_person_identifier_destination_other_country.xml", &[]);
    assert_eq!((code, err.lines().next()), (1, Some("error: saml.person_identifier")), "{err}");
    let (code, _, err) = check("accept_success.xml", &["--our-country", "DE"]);
    assert_eq!((code, err.lines().next()), (1, Some("error: saml.person_identifier")), "{err}");
    let (code, out, err) = check("reject_person_identifier_destination_other_country.xml", &["--our-country", "DE"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"outcome\": \"authenticated\""), "{out}");
    let (code, _, err) = check("accept_success.xml", &["--our-country", "fr"]);
    assert_eq!((code, err.lines().next()), (1, Some("error: usage.our_country")), "{err}");
}
