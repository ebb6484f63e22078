//! Configuration tests: the reference configuration, every problem at once, the country and
//! service sections, redaction.

use super::*;

#[test]
fn reference_config_parses_and_validates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docker/config.toml");
    let cfg = Config::load(Some(&path)).unwrap();
    assert_eq!(cfg.country.as_str(), "FR");
    assert_eq!(cfg.decryption_keys.len(), 1);
}

#[test]
fn every_problem_is_reported_at_once() {
    let toml = r#"
        [connector]
        entity_id = "ftp://x"
        acs_url = "https://x/acs"
        country = "fr"
        [keys]
        signing = { key = "missing.key", cert = "missing.crt" }
        encryption = []
        signature_algorithm = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
        [organization]
        name = "n"
        display_name = "d"
        url = "https://o"
    "#;
    let settings: Settings = toml_from(toml);
    let err = Config::validate(settings, Path::new(".")).unwrap_err();
    let all = err.0.join("\n");
    for needle in ["entity_id", "connector.country", "signature_algorithm", "missing.key", "keys.encryption"] {
        assert!(all.contains(needle), "{needle} not reported in:\n{all}");
    }
}

#[test]
fn countries_are_validated_with_every_problem_reported() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("docker");
    let mut settings = toml_from(&std::fs::read_to_string(base.join("config.toml")).unwrap());
    let country = |code: &str, url: &str, http: bool, trust: &str| CountrySettings {
        code: code.into(),
        metadata_url: url.into(),
        trust: vec![PathBuf::from(trust)],
        insecure_allow_http: http,
        require_signed_assertion: false,
        allow_sha1_oaep: true,
        insecure_ignore_certificate_validity: false,
        clock_skew_secs: 60,
    };
    let anchor = "../certs/test-pki/idp-metadata-signer.crt.pem";
    settings.countries = vec![
        country("XA", "http://127.0.0.1:8099/metadata", true, anchor),
        country("XB", "http://[::1]:8099/metadata", true, anchor),
        country("ES", "https://eidas.example.es/EidasNode/ServiceMetadata", false, anchor),
    ];
    let cfg = Config::validate(settings.clone(), &base).unwrap();
    assert_eq!(cfg.countries.len(), 3);
    assert_eq!(cfg.country(CountryCode::parse("XA").unwrap()).unwrap().trust.len(), 1);
    assert!(cfg.country(CountryCode::parse("ES").unwrap()).unwrap().settings.allow_sha1_oaep);

    settings.countries = vec![
        country("xa", "https://a", false, anchor),
        country("XB", "http://127.0.0.1/md", false, anchor),
        country("XC", "http://10.0.0.1/md", true, anchor),
        country("XD", "ftp://x/md", false, anchor),
        country("XE", "https://e/md", false, "missing-anchor.pem"),
        country("XE", "https://e/md", false, anchor),
    ];
    let all = Config::validate(settings, &base).unwrap_err().0.join("\n");
    for needle in [
        "countries.code must be two upper-case letters",
        "countries (XB): metadata_url is plain http://",
        "countries (XC): metadata_url is plain http:// to a host that is not loopback",
        "countries (XD): metadata_url must be an https:// URL",
        "missing-anchor.pem",
        "countries (XE): listed twice",
    ] {
        assert!(all.contains(needle), "{needle} not reported in:\n{all}");
    }
}

#[test]
fn debug_output_hides_the_api_tokens_and_the_redis_url() {
    let api = ApiSettings { tokens: vec!["secret-token-123456".into()], ..ApiSettings::default() };
    let store =
        StoreSettings { redis_url: Some("redis://:hunter2@127.0.0.1:6379/0".into()), ..StoreSettings::default() };
    let text = format!("{api:?} {store:?}");
    assert!(!text.contains("secret-token") && !text.contains("hunter2"), "{text}");
    assert!(text.contains("[1 redacted]") && text.contains("[redacted]"), "{text}");
}

#[test]
fn the_peers_schedule_must_be_ordered_and_not_zero() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("docker");
    let mut settings = toml_from(&std::fs::read_to_string(base.join("config.toml")).unwrap());
    settings.peers = PeersSettings {
        metadata_refresh_min_secs: 120,
        metadata_refresh_max_secs: 60,
        metadata_retry_initial_secs: 0,
        metadata_retry_max_secs: 300,
        metadata_rollover_cooldown_secs: 0,
    };
    let all = Config::validate(settings, &base).unwrap_err().0.join("\n");
    for needle in [
        "peers.metadata_refresh_min_secs must be at least 1 and at most metadata_refresh_max_secs",
        "peers.metadata_retry_initial_secs must be at least 1 and at most metadata_retry_max_secs",
        "peers.metadata_rollover_cooldown_secs must be at least 1",
    ] {
        assert!(all.contains(needle), "{needle} not reported in:\n{all}");
    }
}

#[test]
fn unknown_keys_are_refused() {
    let raw = config::Config::builder()
        .add_source(config::File::from_str("[connector]\nentity_idd = \"x\"", config::FileFormat::Toml))
        .build()
        .unwrap();
    assert!(raw.try_deserialize::<Settings>().is_err());
}

fn toml_from(s: &str) -> Settings {
    config::Config::builder()
        .add_source(config::File::from_str(s, config::FileFormat::Toml))
        .build()
        .unwrap()
        .try_deserialize()
        .unwrap()
}

/// The reference configuration with `edit` applied, validated: the problems found.
fn reference_problems(edit: impl FnOnce(&mut Settings)) -> Vec<String> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("docker");
    let mut settings: Settings = toml_from(&std::fs::read_to_string(base.join("config.toml")).unwrap());
    edit(&mut settings);
    Config::validate(settings, &base).err().map(|e| e.0).unwrap_or_default()
}

#[test]
fn plain_http_urls_of_ours_are_accepted_only_to_a_loopback_host_as_parsed() {
    assert!(reference_problems(|s| s.connector.acs_url = "http://127.0.0.1:8080/eidas/acs".into()).is_empty());
    assert!(reference_problems(|s| s.connector.acs_url = "http://localhost:8080/eidas/acs".into()).is_empty());
    for url in ["http://localhost.evil.example/acs", "http://127.0.0.1.evil.example/acs", "http://10.0.0.1/acs"] {
        let problems = reference_problems(|s| s.connector.acs_url = url.into());
        assert!(
            problems.iter().any(|p| p.starts_with("connector.acs_url must be an https URL")),
            "{url}: {problems:?}"
        );
    }
}

#[test]
fn a_metadata_signing_key_must_fit_the_signature_algorithm() {
    let pki = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/test-pki");
    let problems = reference_problems(|s| {
        s.keys.metadata_signing = Some(KeyPairSettings {
            key: pki.join("idp-ec-p256.key.pem"),
            cert: pki.join("idp-ec-p256.crt.pem"),
            passphrase_file: None,
            passphrase_env: None,
        });
    });
    assert_eq!(problems, vec!["keys.metadata_signing: the key type does not fit keys.signature_algorithm"]);
}

#[test]
fn timeouts_of_zero_and_a_status_retention_shorter_than_the_result_are_refused() {
    let problems = reference_problems(|s| {
        s.server.request_timeout_secs = 0;
        s.api.status_retention_secs = 10;
    });
    assert!(problems.iter().any(|p| p.contains("server.request_timeout_secs")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("api.status_retention_secs")), "{problems:?}");
}
