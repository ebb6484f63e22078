//! Shared fixtures of the `peers` unit tests (the committed metadata vectors at their NOW), and
//! the tests of what [`Peers::snapshot`] and [`Peers::statuses`] say.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::macros::datetime;
use time::OffsetDateTime;

use super::verify::verify_document;
use super::*;
use crate::clock::ManualClock;
use crate::config::CountrySettings;
use crate::xmlsec::keys::TrustedCert;

/// The vectors' validation instant (`tests/vectors/saml_gen/scenario.py`).
pub(crate) const NOW: OffsetDateTime = datetime!(2026-11-25 10:00:30 UTC);
/// The vectors' proxy entityID.
pub(crate) const URL: &str = "https://eidas.example.es/EidasNode/ServiceMetadata";
/// Their `validUntil`.
pub(crate) const VALID_UNTIL: OffsetDateTime = datetime!(2027-11-25 00:00 UTC);

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A metadata vector of `tests/vectors/saml/`.
pub(crate) fn vector(file: &str) -> Vec<u8> {
    std::fs::read(repo("tests/vectors/saml").join(file)).unwrap()
}

/// A country trusting the vectors' metadata signer.
pub(crate) fn country(code: &str, url: &str) -> CountryConfig {
    let trust = TrustedCert::from_pem(&std::fs::read(repo("certs/test-pki/idp-metadata-signer.crt.pem")).unwrap());
    CountryConfig {
        code: CountryCode::parse(code).unwrap(),
        settings: CountrySettings {
            code: code.into(),
            metadata_url: url.into(),
            trust: vec![PathBuf::from("certs/test-pki/idp-metadata-signer.crt.pem")],
            insecure_allow_http: false,
            require_signed_assertion: false,
            allow_sha1_oaep: true,
            insecure_ignore_certificate_validity: false,
            clock_skew_secs: 60,
        },
        trust: trust.unwrap(),
    }
}

/// `Peers` for ES (the vectors' URL) and PT (never loaded), on a clock stopped at [`NOW`].
pub(crate) fn peers(cache_dir: Option<&Path>) -> (Peers, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(NOW));
    let opts = PeersOptions { cache_dir: cache_dir.map(Path::to_path_buf), ..PeersOptions::default() };
    let countries = vec![country("ES", URL), country("PT", "https://eidas.example.pt/md")];
    (Peers::new(countries, opts, clock.clone()).unwrap(), clock)
}

/// Installs `file` as ES's current copy, as a successful refresh at `fetched_at` would.
pub(crate) fn install(p: &Peers, file: &str, fetched_at: OffsetDateTime) {
    let es = p.country(CountryCode::parse("ES").unwrap()).unwrap();
    let s = verify_document(&vector(file), &es.config, fetched_at, fetched_at, Source::Network).unwrap();
    let mut state = es.write();
    state.current = Some(Arc::new(s));
    state.last_attempt = Some(fetched_at);
}

/// A fresh folder under the system temp dir, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> Self {
        let mut rnd = [0u8; 8];
        openssl::rand::rand_bytes(&mut rnd).unwrap();
        let name: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
        let dir = std::env::temp_dir().join(format!("eidas-peers-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn code(s: &str) -> CountryCode {
    CountryCode::parse(s).unwrap()
}

#[test]
fn snapshot_of_a_country_not_configured_is_refused() {
    let (p, _) = peers(None);
    let e = p.snapshot(code("DE")).unwrap_err();
    assert_eq!((e.code, e.reason), (code("DE"), "country_not_configured"));
    assert!(!p.is_configured(code("DE")));
    assert!(p.is_configured(code("PT")));
}

#[test]
fn before_any_load_every_country_is_not_loaded() {
    let (p, _) = peers(None);
    assert_eq!(p.snapshot(code("ES")).unwrap_err().reason, "metadata_not_loaded");
    let statuses = p.statuses();
    let codes: Vec<_> = statuses.iter().map(|s| s.code.to_string()).collect();
    assert_eq!(codes, ["ES", "PT"], "configuration order");
    assert!(statuses.iter().all(|s| !s.available && s.reason == Some("metadata_not_loaded") && s.last_error.is_none()));
}

#[test]
fn a_valid_copy_is_served_and_reported_until_its_valid_until() {
    let (p, clock) = peers(None);
    install(&p, "proxy-metadata.xml", NOW);
    let s = p.snapshot(code("ES")).unwrap();
    assert_eq!((s.code, s.source, s.fetched_at), (code("ES"), Source::Network, NOW));
    let status = p.statuses().into_iter().next().unwrap();
    assert!(status.available && status.reason.is_none());
    assert_eq!(status.valid_until, Some(VALID_UNTIL));
    assert_eq!(status.levels_of_assurance, [LevelOfAssurance::Substantial, LevelOfAssurance::High]);
    assert_eq!(status.supported_attributes.len(), 7);
    assert_eq!(status.trust_anchor_validity, Some(CertValidity::Valid));

    clock.set(VALID_UNTIL - time::Duration::seconds(1));
    assert!(p.snapshot(code("ES")).is_ok());
    clock.set(VALID_UNTIL);
    assert_eq!(p.snapshot(code("ES")).unwrap_err().reason, "metadata_expired");
    let status = p.statuses().into_iter().next().unwrap();
    assert_eq!((status.available, status.reason), (false, Some("metadata_expired")));
    assert!(status.levels_of_assurance.is_empty(), "nothing published is reported from an expired copy");
    assert_eq!(status.valid_until, Some(VALID_UNTIL), "but when it expired is");
}

#[test]
fn a_failure_is_reported_beside_the_copy_kept() {
    let (p, _) = peers(None);
    install(&p, "proxy-metadata.xml", NOW);
    let es = p.country(code("ES")).unwrap();
    es.write().last_failure = Some(("peers.fetch_http_status", REASON_FETCH_FAILED));
    let status = p.statuses().into_iter().next().unwrap();
    assert!(status.available);
    assert_eq!(status.last_error.as_deref(), Some("peers.fetch_http_status"));
    let pt = p.country(code("PT")).unwrap();
    pt.write().last_failure = Some(("metadata.signature", REASON_INVALID));
    assert_eq!(p.snapshot(code("PT")).unwrap_err().reason, "metadata_invalid");
}

#[test]
fn configuration_mistakes_are_refused_at_construction() {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(NOW));
    let new = |countries| Peers::new(countries, PeersOptions::default(), clock.clone()).map(|_| ()).unwrap_err().code();
    assert_eq!(new(vec![country("ES", URL), country("ES", URL)]), "peers.duplicate_country");
    assert_eq!(new(vec![country("ES", "not a url")]), "peers.invalid_url");
    assert_eq!(new(vec![country("ES", "http://127.0.0.1/md")]), "peers.insecure_url");
    let mut remote_http = country("ES", "http://eidas.example.es/md");
    remote_http.settings.insecure_allow_http = true;
    assert_eq!(new(vec![remote_http]), "peers.insecure_url");
}
