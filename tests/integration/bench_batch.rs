//! `eidas-connector bench --batch`: the shared performance workload (when present beside the
//! project) and a small workload assembled here from the committed SAML vectors, with refused
//! Responses and broken workloads. No timing is asserted: only the lines' shape and verdicts.

use std::path::Path;

use base64::Engine as _;

use crate::support::{repo, repo_file, run, skip, TempDir, VECTOR_NOW, VECTOR_REQUEST_ID};

/// One output line: (file as listed, microseconds, verdict).
fn parse_lines(out: &str) -> Vec<(String, u64, String)> {
    out.lines()
        .map(|l| {
            let parts: Vec<&str> = l.split(' ').collect();
            assert_eq!(parts.len(), 3, "line {l:?}");
            (parts[0].to_owned(), parts[1].parse().unwrap_or_else(|_| panic!("µs in {l:?}")), parts[2].to_owned())
        })
        .collect()
}

#[test]
fn bench_batch_accepts_every_response_of_the_shared_perf_workload_in_manifest_order() {
    let dir = repo().join("../shared/perf-workload");
    if !dir.join("manifest.json").is_file() {
        skip::<()>("../shared/perf-workload/manifest.json is absent");
        return;
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let profiles = manifest["profiles"].as_object().unwrap();
    let dir_arg = dir.to_str().unwrap();
    let (code, out, err) = run(&["bench", "--batch", dir_arg, "--repeat", "2"]);
    assert_eq!(code, 0, "{err}");
    let lines = parse_lines(&out);
    // Profiles in name order, Responses as listed; each listed by its `b64` entry.
    let mut names: Vec<&String> = profiles.keys().collect();
    names.sort();
    let expected: Vec<String> = names
        .iter()
        .flat_map(|p| profiles[*p]["responses"].as_array().unwrap().iter())
        .map(|r| r["b64"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(lines.iter().map(|l| l.0.clone()).collect::<Vec<_>>(), expected);
    assert!(lines.iter().all(|l| l.2 == "ok"), "{out}");
    for p in &names {
        assert!(err.contains(&format!("# {p}: ")), "no summary for {p}: {err}");
    }
    assert!(err.contains("best-of-2"), "{err}");

    // One profile only.
    let one = names[0].as_str();
    let (code, out, err) = run(&["bench", "--batch", dir_arg, "--profile", one]);
    assert_eq!(code, 0, "{err}");
    let listed: Vec<&str> =
        profiles[one]["responses"].as_array().unwrap().iter().map(|r| r["b64"].as_str().unwrap()).collect();
    let printed: Vec<String> = parse_lines(&out).into_iter().map(|l| l.0).collect();
    assert_eq!(printed, listed, "{out}");
}

/// A workload in a fresh directory from the committed vectors: the RSA profile of
/// `tests/vectors/saml` (proxy metadata, our RSA-3072 decryption key, the vectors' instant,
/// request ID and country ES). `responses` = (name to write, vector, person_identifier).
fn vector_workload(dir: &Path, responses: &[(&str, &str, Option<&str>)]) {
    let copy = |from: &str, to: &str| std::fs::copy(repo_file(from), dir.join(to)).unwrap();
    copy("tests/vectors/saml/proxy-metadata.xml", "idp-metadata.xml");
    copy("certs/test-pki/idp-metadata-signer.crt.pem", "trust.crt.pem");
    copy("certs/test-pki/sp-enc-rsa3072.key.pem", "sp.key.pem");
    copy("certs/test-pki/sp-enc-rsa3072.crt.pem", "sp.crt.pem");
    let mut listed = Vec::new();
    for (name, vector, person) in responses {
        let bytes = std::fs::read(repo_file(&format!("tests/vectors/saml/{vector}"))).unwrap();
        // The form value as the browser posts it: base64 of the XML.
        let b64 = if vector.ends_with(".xml") {
            base64::engine::general_purpose::STANDARD.encode(&bytes).into_bytes()
        } else {
            bytes
        };
        std::fs::write(dir.join(name), b64).unwrap();
        let mut entry = serde_json::json!({"file": vector, "b64": name, "in_response_to": VECTOR_REQUEST_ID});
        if let Some(p) = person {
            entry["person_identifier"] = serde_json::json!(p);
        }
        listed.push(entry);
    }
    let manifest = serde_json::json!({
        "format": 1,
        "now": VECTOR_NOW,
        "acs": "https://connector.example.fr/eidas/acs",
        "audience": "https://connector.example.fr/eidas/metadata",
        "country": "ES",
        "loa": "http://eidas.europa.eu/LoA/substantial",
        "clock_skew_s": 60,
        "trust": "trust.crt.pem",
        "profiles": {
            "vectors-rsa": {
                "idp_metadata": "idp-metadata.xml",
                "sp_key": "sp.key.pem",
                "sp_cert": "sp.crt.pem",
                "responses": listed,
            }
        }
    });
    std::fs::write(dir.join("manifest.json"), serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
}

#[test]
fn bench_batch_prints_the_refusal_code_of_each_refused_response_and_exits_0() {
    let dir = TempDir::new();
    vector_workload(
        &dir.0,
        &[
            ("0-accept.b64", "accept_success.b64", Some("ES/FR/12345678Z")),
            ("1-audience.b64", "reject_audience_other.xml", None),
            ("2-cancelled.b64", "accept_failure_consent_denied.b64", None),
            // The first Response again, in the same pass: the pass's replay cache refuses it.
            ("3-replayed.b64", "accept_success.b64", None),
        ],
    );
    let (code, out, err) = run(&["bench", "--batch", dir.path(), "--repeat", "3"]);
    assert_eq!(code, 0, "{err}");
    let verdicts: Vec<(String, String)> = parse_lines(&out).into_iter().map(|(f, _, v)| (f, v)).collect();
    let want = [
        ("0-accept.b64", "ok"),
        ("1-audience.b64", "error:saml.audience_mismatch"),
        ("2-cancelled.b64", "error:status.user_cancelled"),
        ("3-replayed.b64", "error:saml.replay"),
    ];
    assert_eq!(verdicts, want.map(|(f, v)| (f.to_owned(), v.to_owned())).to_vec(), "{err}");
    assert!(err.contains("# vectors-rsa: 4 responses, 1 ok, best-of-3"), "{err}");
    assert!(err.lines().next().is_some_and(|l| l.starts_with("# OpenSSL ")), "{err}");

    // `--each`: every pass has a fresh replay cache (the warm-up and pass 1 did not record
    // the IDs for pass 2), so the first Response is accepted in each pass.
    let (code, out, err) = run(&["bench", "--batch", dir.path(), "--repeat", "2", "--each"]);
    assert_eq!(code, 0, "{err}");
    let firsts: Vec<&str> = out.lines().filter(|l| l.contains(" 0-accept.b64 ")).collect();
    assert_eq!(firsts.len(), 2, "{out}");
    assert!(firsts[0].starts_with("pass=1 ") && firsts[1].starts_with("pass=2 "), "{out}");
    assert!(firsts.iter().all(|l| l.ends_with(" ok")), "{out}");
    assert_eq!(out.lines().filter(|l| l.ends_with(" error:saml.replay")).count(), 2, "{out}");

    // An accepted Response whose PersonIdentifier is not the one the manifest lists.
    let manifest = dir.0.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("ES/FR/12345678Z", "ES/FR/someone-else")).unwrap();
    let (code, out, err) = run(&["bench", "--batch", dir.path()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(parse_lines(&out)[0].2, "error:bench.identity_mismatch", "{out}");
}

#[test]
fn bench_batch_refuses_a_broken_workload_with_a_code_and_exit_1() {
    let dir = TempDir::new();
    let (code, out, err) = run(&["bench", "--batch", dir.path()]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.starts_with("error: bench.workload_unreadable\n") && err.contains("manifest.json"), "{err}");

    vector_workload(&dir.0, &[("0.b64", "accept_success.b64", None)]);
    let (code, _, err) = run(&["bench", "--batch", dir.path(), "--profile", "nope"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("error: bench.profile_unknown\n") && err.contains("vectors-rsa"), "{err}");

    // A key that is not a key: refused before any Response is timed.
    std::fs::write(dir.0.join("sp.key.pem"), "not a key").unwrap();
    let (code, out, err) = run(&["bench", "--batch", dir.path()]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.starts_with("error: key.") && err.contains("sp.key.pem"), "{err}");

    // The key of another certificate.
    std::fs::copy(repo_file("certs/test-pki/sp-enc-ec-p256.key.pem"), dir.0.join("sp.key.pem")).unwrap();
    let (code, _, err) = run(&["bench", "--batch", dir.path()]);
    assert_eq!(code, 1);
    assert!(err.starts_with("error: bench.key_mismatch\n"), "{err}");

    // A format this build does not read.
    let text = std::fs::read_to_string(dir.0.join("manifest.json")).unwrap();
    std::fs::write(dir.0.join("manifest.json"), text.replace("\"format\": 1", "\"format\": 2")).unwrap();
    let (code, _, err) = run(&["bench", "--batch", dir.path()]);
    assert_eq!(code, 1);
    assert!(err.starts_with("error: bench.manifest_format\n"), "{err}");
}
