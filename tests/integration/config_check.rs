//! `eidas-connector config check` through the real binary: the reference configuration, a broken
//! one (every problem listed, exit 1), a key that expires soon (warned), secrets never printed,
//! and `--online` against the Python mock proxy service's metadata (loopback) and an
//! unreachable one.

use std::path::Path;

use crate::mock_proxy::MockProxy;
use crate::service::without_table;
use crate::support::{repo_file, run, TempDir};

/// `docker/config.toml` with absolute certificate paths, `[keys]` replaced when given, and `extra`
/// appended; written in `dir`.
fn write_config(dir: &TempDir, keys: Option<&str>, extra: &str) -> String {
    let reference = std::fs::read_to_string(repo_file("docker/config.toml")).unwrap();
    let certs = repo_file("certs").to_string_lossy().into_owned();
    let mut text = reference.replace("\"../certs/", &format!("\"{certs}/"));
    if let Some(k) = keys {
        text = format!("{}\n[keys]\n{k}", without_table(&text, "keys"));
    }
    let path = Path::new(dir.path()).join("config.toml");
    std::fs::write(&path, format!("{text}\n{extra}")).unwrap();
    path.to_string_lossy().into_owned()
}

fn check(config: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["config", "check", "--config", config];
    args.extend_from_slice(extra);
    run(&args)
}

/// SHA-256 of a certificate file as `openssl x509 -fingerprint -sha256` writes it.
fn fingerprint(rel: &str) -> String {
    let cert = openssl::x509::X509::from_pem(&std::fs::read(repo_file(rel)).unwrap()).unwrap();
    openssl::sha::sha256(&cert.to_der().unwrap()).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn country(code: &str, url: &str) -> String {
    format!(
        "[[countries]]\ncode = \"{code}\"\nmetadata_url = \"{url}\"\ntrust = [\"{}\"]\ninsecure_allow_http = true\n",
        repo_file("certs/test-pki/idp-metadata-signer.crt.pem").display()
    )
}

#[test]
fn config_check_accepts_the_reference_configuration_and_prints_no_secret() {
    let (code, out, err) = check(repo_file("docker/config.toml").to_str().unwrap(), &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    for needle in [
        "entity_id        https://localhost:8443/eidas/metadata",
        "acs_url          https://localhost:8443/eidas/acs",
        "public           127.0.0.1:8080",
        "store              memory",
        "tokens           1 configured",
        "return_url       https://localhost:8443/hub/",
        "signing          RSA 3072",
        "encryption[0]    RSA 3072",
        "valid (",
    ] {
        assert!(out.contains(needle), "{needle:?} not in:\n{out}");
    }
    assert!(out.contains(&fingerprint("certs/demo/sign.crt.pem")), "{out}");
    assert!(out.contains(&fingerprint("certs/demo/enc.crt.pem")), "{out}");
    assert!(!out.contains("demo-token-not-for-production"), "{out}");
    assert!(!out.contains("PRIVATE KEY"), "{out}");
}

#[test]
fn config_check_lists_every_problem_and_exits_1() {
    let dir = TempDir::new();
    let config = write_config(&dir, None, "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("entity_id = \"https://localhost:8443/eidas/metadata\"", "entity_id = \"ftp://nowhere\"")
        .replace("sign.key.pem", "no-such-sign.key.pem")
        .replace("backend = \"memory\"", "backend = \"etcd\"")
        .replace("tokens = [\"demo-token-not-for-production\"]", "tokens = [\"short\"]");
    std::fs::write(&config, format!("{text}\n{}", country("fr", "http://example.org/md"))).unwrap();
    let (code, out, err) = check(&config, &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("error: config.invalid"), "{err}");
    for needle in [
        "connector.entity_id",
        "no-such-sign.key.pem",
        "key.file_unreadable",
        "store.backend",
        "api.tokens[0]",
        "countries.code",
    ] {
        assert!(err.contains(needle), "{needle:?} not in:\n{err}");
    }
    assert!(!err.contains("short\""), "a token was printed:\n{err}");
}

#[test]
fn config_check_warns_about_a_key_that_expires_soon_and_redacts_the_redis_password() {
    let dir = TempDir::new();
    let (code, _, err) = run(&[
        "keys",
        "generate",
        "--name",
        "soon",
        "--out",
        dir.path(),
        "--subject",
        "CN=expiring TEST,C=FR",
        "--days",
        "10",
        "--passphrase-env",
        "EIDAS_TEST_CHECK_PASSPHRASE",
    ]);
    // The variable is unset for that run: refused, nothing written.
    assert_eq!(code, 1, "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eidas-connector"))
        .args(["keys", "generate", "--name", "soon", "--out", dir.path(), "--subject", "CN=expiring TEST,C=FR"])
        .args(["--days", "10", "--passphrase-env", "EIDAS_TEST_CHECK_PASSPHRASE"])
        .env("EIDAS_TEST_CHECK_PASSPHRASE", "a TEST passphrase")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = format!("{}/soon", dir.path());
    let keys = format!(
        "signing = {{ key = \"{key}.key.pem\", cert = \"{key}.crt.pem\", passphrase_env = \"EIDAS_TEST_CHECK_PASSPHRASE\" }}\n\
         encryption = [{{ key = \"{enc}.key.pem\", cert = \"{enc}.crt.pem\" }}]\n",
        enc = repo_file("certs/demo/enc").display()
    );
    let config = write_config(&dir, Some(&keys), "");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "backend = \"memory\"",
        "backend = \"redis\"\nredis_url = \"redis://:s3cret-redis-password@127.0.0.1:6379/0\"",
    );
    std::fs::write(&config, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eidas-connector"))
        .args(["config", "check", "--config", &config])
        .env("EIDAS_TEST_CHECK_PASSPHRASE", "a TEST passphrase")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("warning: keys.signing: the certificate expires in"), "{stdout}");
    assert!(stdout.contains("redis://:REDACTED@127.0.0.1:6379/0"), "{stdout}");
    assert!(!stdout.contains("s3cret") && !stdout.contains("a TEST passphrase"), "{stdout}");
}

#[test]
fn config_check_online_verifies_each_country_and_names_an_unreachable_one() {
    let Some(mock) = MockProxy::start("XA") else { return };
    let dir = TempDir::new();
    let config = write_config(&dir, None, &country("XA", mock.metadata_url()));
    let (code, out, err) = check(&config, &[]);
    assert_eq!(code, 0, "offline, nothing is contacted: {out}\n{err}");
    assert!(!out.contains("online"), "{out}");
    assert!(out.contains("country XA\n") && out.contains("relaxations      insecure_allow_http"), "{out}");
    let (code, out, err) = check(&config, &["--online"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("country XA     metadata fetched and verified"), "{out}");

    // XB: a loopback port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let unreachable = format!("http://127.0.0.1:{closed}/metadata");
    let config =
        write_config(&dir, None, &format!("{}{}", country("XA", mock.metadata_url()), country("XB", &unreachable)));
    let (code, out, err) = check(&config, &["--online"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("country XA     metadata fetched and verified"), "{out}");
    assert!(out.contains("country XB     FAILED"), "{out}");
    assert!(err.contains("country XB: metadata not usable"), "{err}");
}
