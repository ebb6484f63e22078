//! What the fuzz targets (`fuzz/`) found, kept as vectors under `tests/vectors/fuzz/` (their
//! provenance is in that folder's README) and replayed here through the same code the target
//! ran, each with the outcome the fix gives. Every vector is named `TARGET-what` and listed in
//! the README.

use eidas_connector::flow::check_start_request;
use eidas_connector::flow::types::StartRequest;
use eidas_connector::saml::authn_request::{build_authn_request, AuthnRequestParams, ProxyCapabilities};
use eidas_connector::saml::response::CheckResult;
use eidas_connector::saml::{LevelOfAssurance, NameIdFormat, SpType, NS_SAML};
use eidas_connector::xmlsec::dsig::sign_element;
use eidas_connector::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm, TrustedCert};
use eidas_connector::xmlsec::serialize::to_xml;
use eidas_connector::xmlsec::xmlenc::{encrypt_element, ContentAlgorithm, KeyTransport};
use eidas_connector::xmlsec::{Document, Limits, NS_DS};
use time::macros::datetime;

use crate::saml_props::validate_as_accept_success;
use crate::support::repo_file;

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(repo_file(&format!("tests/vectors/fuzz/{name}"))).unwrap()
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(repo_file(rel)).unwrap()
}

/// The `authn_request` target's reading of its input: a flags byte (bit 0: a ProviderName),
/// then NUL-separated fields, the first being the ProviderName.
fn build_from_authn_request_input(data: &[u8]) -> Result<String, String> {
    let (flags, rest) = data.split_first().unwrap();
    let text = String::from_utf8_lossy(rest);
    let provider_name = text.split('\0').next().filter(|_| flags & 1 != 0).map(str::to_owned);
    build_with_provider_name(provider_name)
}

fn build_with_provider_name(provider_name: Option<String>) -> Result<String, String> {
    let params = AuthnRequestParams {
        id: format!("_{}", "ab".repeat(32)),
        issue_instant: datetime!(2026-11-25 10:00:30 UTC),
        issuer: "https://connector.example.fr/eidas/metadata".into(),
        provider_name,
        level_of_assurance: LevelOfAssurance::High,
        requested_attributes: Vec::new(),
        non_notified_levels: Vec::new(),
        name_id_format: NameIdFormat::Unspecified,
        requester_id: None,
    };
    let caps = ProxyCapabilities { sso_post_url: "https://eidas.example.es/sso".into(), ..Default::default() };
    let key = PrivateKey::from_pem(&read("certs/test-pki/sp-sign-ec-p256.key.pem"), None).unwrap();
    build_authn_request(&params, &caps, &key, SignatureAlgorithm::EcdsaSha256, DigestAlgorithm::Sha256)
        .map_err(|e| e.code().to_owned())
}

#[test]
fn authn_request_refuses_a_provider_name_that_xml_cannot_carry() {
    // Found by `authn_request`: the builder wrote U+0005 into ProviderName, and nobody (our own
    // parser included) could read the signed request.
    let found = vector("authn_request-provider_name_control_char");
    assert_eq!(build_from_authn_request_input(&found).unwrap_err(), "request.invalid_value");
    // Its siblings that the hub's API let through (no control characters, yet not XML).
    for bad in ["\u{FFFF}", "Service \u{FFFE}", "a\u{0}b"] {
        assert_eq!(build_with_provider_name(Some(bad.into())).unwrap_err(), "request.invalid_value", "{bad:?}");
    }
    // What XML can carry still goes, escaped.
    let xml = build_with_provider_name(Some("Mairie <de> \"Saint-Étienne\"\t&\u{10FFFF}".into())).unwrap();
    assert!(xml.contains("ProviderName=\"Mairie &lt;de&gt; &quot;Saint-Étienne&quot;&#9;&amp;\u{10FFFF}\""), "{xml}");
}

#[test]
fn api_start_refuses_a_provider_name_with_a_noncharacter() {
    // The hub-reachable form of the `authn_request` finding: `\uffff` passes the control
    // character check; it is now a 400 `invalid_request` instead of a request no proxy reads.
    let body: StartRequest = serde_json::from_slice(&vector("api_start-provider_name_noncharacter.json")).unwrap();
    let allowed = ["https://hub.example/hub/".to_owned()];
    let now = datetime!(2026-11-25 10:00:30 UTC);
    let err =
        check_start_request(body.clone(), &allowed, SpType::Public, now, time::Duration::minutes(10)).unwrap_err();
    assert_eq!(err.code(), "invalid_request");
    let fine = StartRequest { provider_name: Some("Service public \u{1F1EB}\u{1F1F7}".into()), ..body };
    let record = check_start_request(fine, &allowed, SpType::Public, now, time::Duration::minutes(10)).unwrap();
    assert_eq!(record.provider_name.as_deref(), Some("Service public \u{1F1EB}\u{1F1F7}"));
}

/// Validates `message` in the context of the `accept_success` vector (the fuzz targets'), the
/// proxy service signing with `signing`; returns the error code and the trace.
fn refused(message: &[u8], signing: &str) -> (String, Vec<CheckResult>) {
    let mut trace: Vec<CheckResult> = Vec::new();
    let err = validate_as_accept_success(message, signing, &mut trace).unwrap_err();
    (err.code(), trace)
}

fn assert_traced_once_and_last(trace: &[CheckResult], check: &str, code: &str) {
    let names: Vec<&str> = trace.iter().map(|c| c.check).collect();
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(names, unique, "a check traced twice");
    let last = trace.last().unwrap();
    assert_eq!((last.check, last.passed, last.code.as_deref()), (check, false, Some(code)), "{trace:?}");
    assert!(trace.iter().rev().skip(1).all(|c| c.passed), "{trace:?}");
}

#[test]
fn response_trace_names_each_check_once_when_the_decrypted_content_is_not_an_assertion() {
    // Found by `response` (on a seed): `assertion.decrypt` was traced as passed, then again as
    // failed, so `response check --explain` printed the check twice with both results.
    let message = vector("response-decrypted_content_is_a_response.xml");
    let (code, trace) = refused(&message, "certs/test-pki/idp-rsa3072.crt.pem");
    assert_eq!(code, "saml.not_an_assertion");
    assert_traced_once_and_last(&trace, "assertion.decrypt", "saml.not_an_assertion");
}

#[test]
fn response_refused_while_building_the_identity_is_traced_as_the_identity_check() {
    // Found by `response_signed` (the Assertion in clear; the target encrypts it to us and signs
    // the Response, as here): every one of the 27 checks passed, then the typed values (a family
    // name only in non-Latin script) refused it outside the trace, so `--explain` showed a
    // refused Response whose every check passed. Now the last check, `identity`, fails.
    let mut doc =
        Document::parse(&vector("response_signed-identity_refused_after_every_check.xml"), &Limits::default()).unwrap();
    let root = doc.root();
    let wrapper = doc.first_child_named(root, NS_SAML, "EncryptedAssertion").unwrap();
    let assertion = doc.child_elements(wrapper).next().unwrap();
    for signature in doc.children_named(root, NS_DS, "Signature").collect::<Vec<_>>() {
        doc.detach(signature);
    }
    let ours = TrustedCert::from_pem(&read("certs/test-pki/sp-enc-ec-p256.crt.pem")).unwrap().remove(0);
    let transport = KeyTransport::RsaOaep { digest: DigestAlgorithm::Sha256, mgf: DigestAlgorithm::Sha256 };
    encrypt_element(&mut doc, assertion, &ours, ContentAlgorithm::Aes128Gcm, transport).unwrap();
    let proxy = PrivateKey::from_pem(&read("certs/test-pki/idp-ec-p256.key.pem"), None).unwrap();
    sign_element(&mut doc, root, &proxy, SignatureAlgorithm::EcdsaSha256, DigestAlgorithm::Sha256).unwrap();
    let (code, trace) = refused(to_xml(&doc).as_bytes(), "certs/test-pki/idp-ec-p256.crt.pem");
    assert_eq!(code, "attributes.invalid_value");
    assert_traced_once_and_last(&trace, "identity", "attributes.invalid_value");
    assert_eq!(trace.len(), eidas_connector::saml::response::CHECKS.len(), "every check ran");
}

#[test]
fn every_fuzz_vector_names_its_target_and_is_described_and_every_target_runs() {
    let dir = repo_file("tests/vectors/fuzz");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let targets = std::fs::read_to_string(repo_file("fuzz/Cargo.toml")).unwrap();
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name == "README.md" {
            continue;
        }
        let (target, _) = name.split_once('-').unwrap_or_else(|| panic!("{name}: not TARGET-what"));
        assert!(targets.contains(&format!("name = \"{target}\"")), "{name}: no fuzz target {target}");
        assert!(readme.contains(&format!("`{name}`")), "{name} is not described in tests/vectors/fuzz/README.md");
        count += 1;
    }
    assert!(count >= 4, "the fuzz vectors are missing");
    // And CI runs every target: fuzz/run.sh lists each `[[bin]]` of fuzz/Cargo.toml.
    let script = std::fs::read_to_string(repo_file("fuzz/run.sh")).unwrap();
    let listed = script.lines().find(|l| l.starts_with("targets=(")).unwrap();
    let bins: Vec<&str> = targets.split("[[bin]]").skip(1).filter_map(|b| b.split('"').nth(1)).collect();
    assert!(bins.len() >= 10, "{bins:?}");
    for bin in bins {
        assert!(listed.split(['(', ' ', ')']).any(|t| t == bin), "fuzz/run.sh does not list {bin}");
    }
}

/// `(name, version)` of every package of a `Cargo.lock`.
fn locked(path: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo_file(path)).unwrap();
    text.split("[[package]]")
        .skip(1)
        .map(|p| {
            let field =
                |k: &str| p.lines().find_map(|l| l.strip_prefix(&format!("{k} = \""))).unwrap().trim_end_matches('"');
            (field("name").to_owned(), field("version").to_owned())
        })
        .collect()
}

#[test]
fn the_fuzz_lock_file_holds_the_main_lock_files_versions() {
    // The fuzz crate is its own workspace; its lock file must not drift from ours, or the fuzzed
    // code would not be the shipped code.
    let main = locked("Cargo.lock");
    let fuzz = locked("fuzz/Cargo.lock");
    let mut only_fuzz = Vec::new();
    for (name, version) in &fuzz {
        match main.iter().filter(|(n, _)| n == name).map(|(_, v)| v).collect::<Vec<_>>() {
            versions if versions.is_empty() => only_fuzz.push(name.as_str()),
            versions => assert!(versions.contains(&version), "fuzz/Cargo.lock has {name} {version}, ours {versions:?}"),
        }
    }
    only_fuzz.sort_unstable();
    assert_eq!(only_fuzz, ["arbitrary", "eidas-connector-fuzz", "jobserver", "libfuzzer-sys"]);
}
