//! `eidas-connector keys generate` through the real binary: the files it writes (mode, no
//! overwrite), the certificate as the openssl CLI reads it, and the key material end to end:
//! the printed `[keys]` lines load through `Config::load` and serve a whole journey with the
//! Python mock proxy service (which verifies our AuthnRequest signature with python-xmlsec and
//! encrypts to our certificate with pyca/cryptography; we decrypt).

use std::process::Command;

use crate::service::{assert_journey_succeeds, setup_with, AppOptions};
use crate::support::{run, skip, TempDir};

fn generate(out: &str, name: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args =
        vec!["keys", "generate", "--name", name, "--out", out, "--subject", "CN=eidas-connector TEST,O=Test,C=FR"];
    args.extend_from_slice(extra);
    run(&args)
}

/// The `[keys]` lines the command printed.
fn toml_lines(stdout: &str) -> String {
    stdout.split("# In [keys]:\n").nth(1).unwrap_or_else(|| panic!("no [keys] lines in:\n{stdout}")).to_owned()
}

/// `openssl x509 -noout -fingerprint -sha256 -ext keyUsage` of a certificate, when the CLI exists.
fn openssl_view(cert: &str) -> Option<String> {
    let out = Command::new("openssl")
        .args(["x509", "-in", cert, "-noout", "-fingerprint", "-sha256", "-ext", "keyUsage"])
        .output();
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        _ => skip("the openssl CLI is not available"),
    }
}

#[tokio::test]
async fn generated_keys_load_through_the_config_and_serve_a_whole_journey() {
    let dir = TempDir::new();
    let pass = std::path::Path::new(dir.path()).join("passphrase.txt");
    std::fs::write(&pass, "a TEST passphrase\n").unwrap();
    let pass = pass.to_string_lossy().into_owned();
    let (code, signing, err) = generate(dir.path(), "sign", &["--passphrase-file", &pass]);
    assert_eq!(code, 0, "{err}");
    let (code, encryption, err) =
        generate(dir.path(), "enc", &["--use", "encryption", "--algorithm", "ec-p256", "--days", "400"]);
    assert_eq!(code, 0, "{err}");
    assert!(!signing.contains("a TEST passphrase"), "{signing}");

    #[cfg(unix)]
    for (file, mode) in [("sign.key.pem", 0o600), ("enc.key.pem", 0o600)] {
        use std::os::unix::fs::PermissionsExt as _;
        let meta = std::fs::metadata(std::path::Path::new(dir.path()).join(file)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{file}");
    }
    let key = std::fs::read_to_string(std::path::Path::new(dir.path()).join("sign.key.pem")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"), "{key}");

    // The certificates as an independent reader sees them: the fingerprint we printed, the key usage.
    for (name, usage, printed) in [("sign", "Digital Signature", &signing), ("enc", "Key Agreement", &encryption)] {
        let cert = std::path::Path::new(dir.path()).join(format!("{name}.crt.pem"));
        if let Some(view) = openssl_view(cert.to_str().unwrap()) {
            let fp = view.lines().find_map(|l| l.strip_prefix("sha256 Fingerprint=")).unwrap();
            assert!(printed.contains(&format!("SHA-256     {fp}")), "{printed}\n{view}");
            assert!(view.contains(usage), "{view}");
        }
    }

    let keys = format!("{}{}", toml_lines(&signing), toml_lines(&encryption));
    let opts = AppOptions { keys: Some(keys), ..AppOptions::default() };
    let Some((mock, app)) = setup_with(&opts).await else { return };
    assert_journey_succeeds(&app, &mock).await;
    let last = mock.last_request();
    assert_eq!(last["signature_verified"], true, "{last}");
    app.stop().await;

    // `config check` accepts what `keys generate` made.
    let config = std::path::Path::new(dir.path()).join("config.toml");
    let reference = std::fs::read_to_string(crate::support::repo_file("docker/config.toml")).unwrap();
    let certs = crate::support::repo_file("certs").to_string_lossy().into_owned();
    let text = crate::service::without_table(&reference, "keys").replace("\"../certs/", &format!("\"{certs}/"));
    std::fs::write(&config, format!("{text}\n[keys]\n{}{}", toml_lines(&signing), toml_lines(&encryption))).unwrap();
    let (code, out, err) = run(&["config", "check", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("EC prime256v1, CN=eidas-connector TEST,O=Test,C=FR"), "{out}");
}

#[test]
fn keys_generate_never_overwrites_and_names_a_bad_subject() {
    let dir = TempDir::new();
    let (code, _, err) = generate(dir.path(), "k", &["--algorithm", "ec-p384"]);
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read(std::path::Path::new(dir.path()).join("k.key.pem")).unwrap();
    let (code, _, err) = generate(dir.path(), "k", &[]);
    assert_eq!(code, 1);
    assert!(err.contains("error: keys.exists"), "{err}");
    assert_eq!(std::fs::read(std::path::Path::new(dir.path()).join("k.key.pem")).unwrap(), before);
    let (code, _, err) = run(&["keys", "generate", "--name", "x", "--out", dir.path(), "--subject", "no equals sign"]);
    assert_eq!(code, 1);
    assert!(err.contains("error: usage.subject"), "{err}");
    let (code, _, err) = run(&[
        "keys",
        "generate",
        "--name",
        "y",
        "--out",
        dir.path(),
        "--subject",
        "CN=y",
        "--passphrase-env",
        "EIDAS_TEST_UNSET_VAR",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("error: key.passphrase_env_unset"), "{err}");
    assert!(!std::path::Path::new(dir.path()).join("y.key.pem").exists());
}
