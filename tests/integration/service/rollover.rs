//! Key rollover without downtime (issue 9, `docs/keys.md`): the `[keys]` section is rewritten
//! and reloaded while flows are in flight; each flow started before a reload finishes after
//! it. K1/K2 are our signing keys, E1/E2 our decryption keys (TEST and DEMO material).
//! The last test sends a real SIGHUP to the real binary.

use std::io::BufRead as _;
use std::process::{Command, Stdio};

use super::*;
use crate::support::TempDir;

const K1: &str = "certs/demo/sign";
const K2: &str = "certs/test-pki/sp-sign-rsa3072";
const E1: &str = "certs/demo/enc";
const E2: &str = "certs/test-pki/sp-enc-rsa3072";

fn key(name: &str) -> String {
    repo_file(&format!("{name}.key.pem")).to_string_lossy().into_owned()
}

fn cert(name: &str) -> String {
    repo_file(&format!("{name}.crt.pem")).to_string_lossy().into_owned()
}

fn pair(name: &str) -> String {
    format!("{{ key = \"{}\", cert = \"{}\" }}", key(name), cert(name))
}

/// The `[keys]` lines of one rollover step.
fn keys(signing: &str, next: Option<&str>, encryption: &[&str]) -> String {
    let next = next.map(|n| format!("next_signing_cert = \"{}\"\n", cert(n))).unwrap_or_default();
    let enc = encryption.iter().map(|e| pair(e)).collect::<Vec<_>>().join(", ");
    format!(
        "signing = {}\n{next}encryption = [{enc}]\n\
         signature_algorithm = \"http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1\"\n",
        pair(signing)
    )
}

/// Rewrites the `[keys]` section of the file a running app was loaded from.
fn rewrite_keys(path: &std::path::Path, keys: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, format!("{}\n[keys]\n{keys}", without_table(&text, "keys"))).unwrap();
}

/// Base64 DER of a certificate file, as metadata carries it.
fn der_b64(name: &str) -> String {
    use base64::Engine as _;
    let x = openssl::x509::X509::from_pem(&std::fs::read(cert(name)).unwrap()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(x.to_der().unwrap())
}

/// SHA-256 (hex) of a certificate file, as the mock reports `encrypted_to`.
fn sha256_hex(name: &str) -> String {
    let x = openssl::x509::X509::from_pem(&std::fs::read(cert(name)).unwrap()).unwrap();
    openssl::sha::sha256(&x.to_der().unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The certificates (base64 DER) of each `KeyDescriptor` of `use`, in document order.
fn published(xml: &str, usage: &str) -> Vec<String> {
    let marker = format!("KeyDescriptor use=\"{usage}\"");
    xml.split(&marker)
        .skip(1)
        .filter_map(|rest| {
            let start = rest.find("X509Certificate>")? + "X509Certificate>".len();
            let end = rest[start..].find('<')? + start;
            Some(rest[start..end].split_whitespace().collect())
        })
        .collect()
}

/// Checks what `/eidas/metadata` publishes now.
async fn assert_metadata(public: &str, signing: &[&str], encryption: &[&str]) {
    let xml = send(client().get(format!("{public}/eidas/metadata"))).await.text;
    let want = |names: &[&str]| names.iter().map(|n| der_b64(n)).collect::<Vec<_>>();
    assert_eq!(published(&xml, "signing"), want(signing), "signing certificates, wanted {signing:?}");
    assert_eq!(published(&xml, "encryption"), want(encryption), "encryption certificates, wanted {encryption:?}");
}

/// A flow up to the mock's form to our ACS (the Response is made; not yet posted).
struct InFlight {
    browser: Browser,
    acs: String,
    fields: Vec<(String, String)>,
}

async fn begin(app: &TestApp, mock: &MockProxy) -> InFlight {
    let (_, browser, acs, fields) = at_proxy(app, &start_body(mock, "substantial"), "scenario=success").await;
    InFlight { browser, acs, fields }
}

/// Posts the Response to our ACS and has the hub consume the result: its JSON.
async fn finish(app: &TestApp, mut flow: InFlight) -> Value {
    let page = flow.browser.post_form(&flow.acs, &flow.fields).await;
    let (handle, _) = back_at_hub(&page);
    let (status, body) = consume(app, &handle).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn reload_ok(app: &TestApp) -> eidas_connector::config::live::Reloaded {
    app.handle.reload().await.unwrap_or_else(|e| panic!("reload refused: {e}"))
}

#[tokio::test]
async fn keys_roll_over_in_three_steps_and_no_request_in_flight_is_lost() {
    let opts = AppOptions { keys: Some(keys(K1, None, &[E1])), ..AppOptions::default() };
    let Some((mock, app)) = setup_with(&opts).await else { return };
    let file = app._config.0.clone();
    assert_metadata(&app.public, &[K1], &[E1]).await;

    // Step 1, announce: K2 as the next signing certificate, E2 as a second decryption key.
    let before = begin(&app, &mock).await;
    assert_eq!(mock.last_request()["encrypted_to"], sha256_hex(E1));
    rewrite_keys(&file, &keys(K1, Some(K2), &[E1, E2]));
    let done = reload_ok(&app).await;
    assert!(done.not_applied.is_empty(), "{done:?}");
    assert_eq!(finish(&app, before).await["status"], "success");
    assert_metadata(&app.public, &[K1, K2], &[E1, E2]).await;

    // Step 2, switch: sign with K2; E2 first, E1 still accepted.
    let before = begin(&app, &mock).await;
    assert_eq!(mock.last_request()["encrypted_to"], sha256_hex(E1));
    rewrite_keys(&file, &keys(K2, None, &[E2, E1]));
    reload_ok(&app).await;
    let body = finish(&app, before).await;
    assert_eq!(body["status"], "success", "a Response encrypted to E1 before the switch: {body}");
    assert_metadata(&app.public, &[K2], &[E2, E1]).await;
    // The mock checks our AuthnRequest against the signing certificates we publish: only K2 now.
    let after_switch = begin(&app, &mock).await;
    let last = mock.last_request();
    assert_eq!(last["signature_verified"], true, "{last}");
    assert_eq!(last["encrypted_to"], sha256_hex(E2));
    // A member state that still encrypts to E1 (an older copy of our metadata).
    mock.encrypt_to(Some(&std::fs::read_to_string(cert(E1)).unwrap()));
    let stale = begin(&app, &mock).await;
    assert_eq!(mock.last_request()["encrypted_to"], sha256_hex(E1));
    mock.encrypt_to(None);

    // Step 3, retire: E1 is gone; a Response encrypted to E2 is accepted, one to E1 refused.
    rewrite_keys(&file, &keys(K2, None, &[E2]));
    reload_ok(&app).await;
    assert_metadata(&app.public, &[K2], &[E2]).await;
    assert_eq!(finish(&app, after_switch).await["status"], "success");
    let body = finish(&app, stale).await;
    assert_eq!(body["status"], "failure", "{body}");
    assert_eq!(body["error"]["code"], "invalid_response", "{body}");

    let text = metrics(&app).await;
    assert!(text.contains("eidas_config_reload_total{result=\"ok\"} 3"), "{text}");
    assert_journey_succeeds(&app, &mock).await;
    app.stop().await;
}

#[tokio::test]
async fn a_reload_of_a_broken_file_keeps_the_running_keys_and_lists_every_problem() {
    let opts = AppOptions { keys: Some(keys(K1, None, &[E1])), ..AppOptions::default() };
    let Some((mock, app)) = setup_with(&opts).await else { return };
    let file = app._config.0.clone();
    let in_flight = begin(&app, &mock).await;

    let broken = format!(
        "signing = {{ key = \"{}\", cert = \"{}\" }}\nnext_signing_cert = \"{}\"\nencryption = []\n",
        key("certs/test-pki/no-such-key"),
        cert(K1),
        key(K2), // a key where a certificate is expected
    );
    rewrite_keys(&file, &broken);
    let err = app.handle.reload().await.unwrap_err();
    assert_eq!(err.code(), "config.invalid");
    let all = err.0.join("\n");
    for needle in ["no-such-key", "keys.next_signing_cert", "keys.encryption must list"] {
        assert!(all.contains(needle), "{needle} not in:\n{all}");
    }
    assert_metadata(&app.public, &[K1], &[E1]).await;
    assert_eq!(readyz(&app).await.status, 200);
    assert_eq!(finish(&app, in_flight).await["status"], "success");
    let text = metrics(&app).await;
    assert!(text.contains("eidas_config_reload_total{result=\"error\"} 1"), "{text}");

    // A valid file again, with another section changed too: the keys apply, the rest waits.
    rewrite_keys(&file, &keys(K1, Some(K2), &[E1]));
    let with_api = std::fs::read_to_string(&file).unwrap().replace("[api]\n", "[api]\nrequest_ttl_secs = 900\n");
    std::fs::write(&file, with_api).unwrap();
    let done = reload_ok(&app).await;
    assert_eq!(done.not_applied, vec!["api"]);
    assert_eq!(done.keys.iter().map(|(role, _)| *role).collect::<Vec<_>>(), ["signing", "next_signing", "encryption"]);
    assert_metadata(&app.public, &[K1, K2], &[E1]).await;
    assert_journey_succeeds(&app, &mock).await;
    app.stop().await;
}

/// The real binary, `serve`: a SIGHUP makes it publish the next signing certificate.
#[tokio::test]
async fn sighup_to_the_real_binary_applies_the_new_keys() {
    let dir = TempDir::new();
    let certs = repo_file("certs").to_string_lossy().into_owned();
    let reference = std::fs::read_to_string(repo_file("docker/config.toml")).unwrap();
    let text =
        without_table(&without_table(&reference, "server"), "keys").replace("\"../certs/", &format!("\"{certs}/"));
    let file = std::path::Path::new(dir.path()).join("config.toml");
    std::fs::write(
        &file,
        format!("{text}\n[server]\npublic_listen = \"127.0.0.1:0\"\ninternal_listen = \"127.0.0.1:0\"\nworkers = 1\n[keys]\n{}", keys(K1, None, &[E1])),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_eidas-connector"))
        .args(["serve", "--config"])
        .arg(&file)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Logs are JSON lines: the port, then the SIGHUP handler in place.
    let mut port = None;
    let mut seen = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        port = port.or_else(|| v["fields"]["public_port"].as_u64());
        let ready = v["fields"]["message"].as_str().is_some_and(|m| m.starts_with("SIGHUP reloads"));
        seen.push(line);
        if ready {
            break;
        }
    }
    let public =
        format!("http://127.0.0.1:{}", port.unwrap_or_else(|| panic!("no port in the logs:\n{}", seen.join("\n"))));
    assert_metadata(&public, &[K1], &[E1]).await;

    rewrite_keys(&file, &keys(K1, Some(K2), &[E1, E2]));
    let pid = child.id().to_string();
    let status = Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    assert!(status.success());
    let want = (vec![der_b64(K1), der_b64(K2)], vec![der_b64(E1), der_b64(E2)]);
    wait_for("the metadata after SIGHUP", Duration::from_secs(30), || {
        let (public, want) = (public.clone(), want.clone());
        async move {
            let xml = send(client().get(format!("{public}/eidas/metadata"))).await.text;
            ((published(&xml, "signing"), published(&xml, "encryption")) == want).then_some(())
        }
    })
    .await;
    let fingerprints: Vec<String> = rx.try_iter().filter(|l| l.contains("configuration reloaded")).collect();
    assert!(!fingerprints.is_empty(), "no reload logged");
    assert!(fingerprints.iter().all(|l| !l.contains("PRIVATE KEY")), "{fingerprints:?}");

    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}
