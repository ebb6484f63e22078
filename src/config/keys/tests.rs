//! Key loading: clear and encrypted PEM made by the openssl CLI
//! (`certs/make-encrypted-test-keys.sh`), every passphrase problem named.

use std::path::{Path, PathBuf};

use super::*;

fn pki(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/test-pki").join(rel)
}

fn pair(key: &str, cert: &str) -> KeyPairSettings {
    KeyPairSettings { key: pki(key), cert: pki(cert), passphrase_file: None, passphrase_env: None }
}

fn with_file(mut p: KeyPairSettings) -> KeyPairSettings {
    p.passphrase_file = Some(pki("encrypted/passphrase.txt"));
    p
}

fn load(p: &KeyPairSettings) -> Result<PrivateKey, KeyLoadError> {
    load_key_pair(p, Path::to_path_buf)
}

fn clear(name: &str) -> PrivateKey {
    load(&pair(&format!("{name}.key.pem"), &format!("{name}.crt.pem"))).unwrap()
}

#[test]
fn encrypted_pkcs8_and_legacy_pem_load_with_the_passphrase_file() {
    for (file, name) in [
        ("encrypted/sp-sign-rsa3072.pkcs8.key.pem", "sp-sign-rsa3072"),
        ("encrypted/sp-sign-rsa3072.legacy.key.pem", "sp-sign-rsa3072"),
        ("encrypted/sp-enc-ec-p256.pkcs8.key.pem", "sp-enc-ec-p256"),
        ("encrypted/sp-enc-ec-p256.legacy.key.pem", "sp-enc-ec-p256"),
    ] {
        assert!(is_encrypted_pem(&std::fs::read(pki(file)).unwrap()), "{file}");
        let loaded = load(&with_file(pair(file, &format!("{name}.crt.pem")))).unwrap();
        // The same private key as the clear TEST key it was made from.
        assert_eq!(loaded.key.private_key_to_der().unwrap(), clear(name).key.private_key_to_der().unwrap(), "{file}");
    }
}

#[test]
fn an_encrypted_key_loads_with_the_passphrase_from_an_environment_variable() {
    let var = "EIDAS_TEST_KEYS_PASSPHRASE_OK";
    std::env::set_var(var, "test passphrase, not for production");
    let mut p = pair("encrypted/sp-sign-rsa3072.pkcs8.key.pem", "sp-sign-rsa3072.crt.pem");
    p.passphrase_env = Some(var.into());
    assert_eq!(load(&p).unwrap().key.bits(), 3072);
}

#[test]
fn an_encrypted_key_without_a_passphrase_is_refused_without_prompting() {
    let p = pair("encrypted/sp-sign-rsa3072.legacy.key.pem", "sp-sign-rsa3072.crt.pem");
    assert_eq!(load(&p).unwrap_err().code(), "key.passphrase_missing");
    let p = pair("encrypted/sp-sign-rsa3072.pkcs8.key.pem", "sp-sign-rsa3072.crt.pem");
    assert_eq!(load(&p).unwrap_err().code(), "key.passphrase_missing");
}

#[test]
fn a_wrong_passphrase_is_refused() {
    let var = "EIDAS_TEST_KEYS_PASSPHRASE_WRONG";
    std::env::set_var(var, "not the passphrase");
    for file in ["encrypted/sp-sign-rsa3072.pkcs8.key.pem", "encrypted/sp-sign-rsa3072.legacy.key.pem"] {
        let mut p = pair(file, "sp-sign-rsa3072.crt.pem");
        p.passphrase_env = Some(var.into());
        let err = load(&p).unwrap_err();
        assert_eq!(err.code(), "key.passphrase_wrong", "{file}");
        assert!(!err.to_string().contains("not the passphrase"), "{err}");
    }
}

#[test]
fn passphrase_source_problems_are_named() {
    let base = pair("encrypted/sp-sign-rsa3072.pkcs8.key.pem", "sp-sign-rsa3072.crt.pem");
    let mut unreadable = base.clone();
    unreadable.passphrase_file = Some(pki("encrypted/no-such-passphrase.txt"));
    assert_eq!(load(&unreadable).unwrap_err().code(), "key.passphrase_file_unreadable");
    let mut unset = base.clone();
    unset.passphrase_env = Some("EIDAS_TEST_KEYS_PASSPHRASE_NEVER_SET".into());
    let err = load(&unset).unwrap_err();
    assert_eq!(err.code(), "key.passphrase_env_unset");
    assert!(err.to_string().contains("EIDAS_TEST_KEYS_PASSPHRASE_NEVER_SET"), "{err}");
    let mut both = with_file(base.clone());
    both.passphrase_env = Some("EIDAS_TEST_KEYS_PASSPHRASE_OK".into());
    assert_eq!(load(&both).unwrap_err().code(), "key.passphrase_ambiguous");
    let dir = std::env::temp_dir().join(format!("eidas-keys-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty-passphrase.txt");
    std::fs::write(&empty, "\n").unwrap();
    let mut p = base;
    p.passphrase_file = Some(empty);
    assert_eq!(load(&p).unwrap_err().code(), "key.passphrase_empty");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn one_trailing_newline_of_the_passphrase_file_is_ignored_and_only_one() {
    let dir = std::env::temp_dir().join(format!("eidas-keys-newline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let two = dir.join("two-newlines.txt");
    std::fs::write(&two, "test passphrase, not for production\n\n").unwrap();
    let mut p = pair("encrypted/sp-sign-rsa3072.pkcs8.key.pem", "sp-sign-rsa3072.crt.pem");
    p.passphrase_file = Some(two);
    assert_eq!(load(&p).unwrap_err().code(), "key.passphrase_wrong");
    let crlf = dir.join("crlf.txt");
    std::fs::write(&crlf, "test passphrase, not for production\r\n").unwrap();
    p.passphrase_file = Some(crlf);
    assert_eq!(load(&p).unwrap().key.bits(), 3072);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_certificate_of_another_key_is_refused() {
    let p = with_file(pair("encrypted/sp-sign-rsa3072.pkcs8.key.pem", "sp-enc-rsa3072.crt.pem"));
    assert_eq!(load(&p).unwrap_err().code(), "key.cert_mismatch");
    let p = pair("sp-sign-rsa3072.crt.pem", "sp-sign-rsa3072.crt.pem");
    assert_eq!(load(&p).unwrap_err().code(), "key.unreadable");
}

#[test]
fn the_passphrase_debug_output_is_redacted() {
    let pass = Passphrase::from_sources(Some(&pki("encrypted/passphrase.txt")), None).unwrap().unwrap();
    assert_eq!(format!("{pass:?}"), "Passphrase([redacted])");
}

#[test]
fn a_certificate_summary_gives_subject_algorithm_fingerprint_and_expiry() {
    let cert = clear("sp-sign-rsa3072").cert.unwrap();
    let s = CertSummary::of(&cert, time::macros::datetime!(2044-12-22 00:00 UTC));
    assert!(s.subject.contains("CN=sp-sign-rsa3072"), "{s:?}");
    assert_eq!(s.algorithm, "RSA 3072");
    assert_eq!(s.not_after, "2045-01-01T00:00:00Z");
    assert_eq!(s.days_left, 10);
    // As `openssl x509 -in certs/test-pki/sp-sign-rsa3072.crt.pem -noout -fingerprint -sha256` prints it.
    assert_eq!(
        s.sha256,
        "77:59:68:15:51:60:AF:60:4E:DD:7D:40:E8:0C:CE:91:F1:2A:22:37:8E:C2:35:5D:21:9C:A7:9A:35:A3:32:6C"
    );
    let ec = clear("sp-enc-ec-p256").cert.unwrap();
    assert_eq!(CertSummary::of(&ec, time::OffsetDateTime::UNIX_EPOCH).algorithm, "EC prime256v1");
}
