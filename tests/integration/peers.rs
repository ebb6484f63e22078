//! Issue 7 point 3: the `peers` module over real HTTP on loopback. A proxy's metadata is
//! fetched from [`MetadataServer`], verified against the country's trust anchor
//! (`certs/test-pki/idp-metadata-signer.crt.pem`), kept while valid when refreshes fail,
//! cached on disk, and fetched again once on key rollover.
//!
//! The documents are the committed vectors (python-xmlsec; entityID
//! `https://eidas.example.es/EidasNode/ServiceMetadata`, so served on loopback they are selected
//! as the only entity of ES) or, where the entityID must be the loopback URL or the signing
//! certificate must change, made at test time by `tests/oracles/sign_metadata.py`
//! (python-xmlsec, never our signer). The clock is stopped at the vectors' NOW.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eidas_connector::clock::ManualClock;
use eidas_connector::config::{CountryConfig, CountrySettings};
use eidas_connector::peers::{Peers, PeersOptions, Source};
use eidas_connector::saml::{CountryCode, LevelOfAssurance};
use eidas_connector::xmlsec::keys::TrustedCert;
use time::macros::datetime;
use time::OffsetDateTime;

use crate::metadata_server::{MetadataServer, Serve};
use crate::support::{oracle, python, repo_file};

const NOW: OffsetDateTime = datetime!(2026-11-25 10:00:30 UTC);
const VALID_UNTIL: OffsetDateTime = datetime!(2027-11-25 00:00 UTC);
const VECTOR_ENTITY_ID: &str = "https://eidas.example.es/EidasNode/ServiceMetadata";

fn es() -> CountryCode {
    CountryCode::parse("ES").unwrap()
}

fn vector(file: &str) -> Vec<u8> {
    std::fs::read(repo_file(&format!("tests/vectors/saml/{file}"))).unwrap()
}

/// ES with its metadata at `url` (plain http: loopback only), trusting the vectors' signer.
fn country(url: &str) -> CountryConfig {
    let anchor = repo_file("certs/test-pki/idp-metadata-signer.crt.pem");
    CountryConfig {
        code: es(),
        settings: CountrySettings {
            code: "ES".into(),
            metadata_url: url.into(),
            trust: vec![anchor.clone()],
            insecure_allow_http: true,
            require_signed_assertion: false,
            allow_sha1_oaep: true,
            insecure_ignore_certificate_validity: false,
            clock_skew_secs: 60,
        },
        trust: TrustedCert::from_pem(&std::fs::read(anchor).unwrap()).unwrap(),
    }
}

/// Short timeouts and retries so that the tests run in seconds.
fn options(cache_dir: Option<&Path>) -> PeersOptions {
    PeersOptions {
        cache_dir: cache_dir.map(Path::to_path_buf),
        connect_timeout: Duration::from_secs(2),
        fetch_timeout: Duration::from_secs(3),
        retry_initial: Duration::from_millis(50),
        retry_max: Duration::from_millis(200),
        ..PeersOptions::default()
    }
}

fn peers_for(url: &str, opts: PeersOptions) -> (Peers, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(NOW));
    (Peers::new(vec![country(url)], opts, clock.clone()).unwrap(), clock)
}

/// `(available, reason, last_error)` of ES.
fn es_status(peers: &Peers) -> (bool, Option<&'static str>, Option<String>) {
    let s = peers.statuses().into_iter().next().unwrap();
    (s.available, s.reason, s.last_error)
}

/// `(available, reason, last_error)` as expected.
fn expect(
    available: bool,
    reason: Option<&'static str>,
    last_error: Option<&str>,
) -> (bool, Option<&'static str>, Option<String>) {
    (available, reason, last_error.map(str::to_owned))
}

/// Metadata signed by python-xmlsec for `url`; `None` (skipped) without the Python oracles.
fn signed_metadata(url: &str, extra: &[&str]) -> Option<Vec<u8>> {
    let py = python()?;
    let mut args = vec!["--entity-id", url, "--sso-url", "http://127.0.0.1:9/sso"];
    args.extend_from_slice(extra);
    let (ok, out, err) = oracle(&py, "sign_metadata.py", &args);
    assert!(ok, "sign_metadata.py failed: {err}");
    Some(out)
}

/// A fresh folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let mut rnd = [0u8; 8];
        openssl::rand::rand_bytes(&mut rnd).unwrap();
        let dir = std::env::temp_dir()
            .join(format!("eidas-peers-{}", rnd.iter().map(|b| format!("{b:02x}")).collect::<String>()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn metadata_fetched_over_http_and_verified_makes_the_country_available() {
    let server = MetadataServer::start(Serve::Body(vector("proxy-metadata.xml"))).await;
    let (peers, _) = peers_for(&server.url(), options(None));
    assert_eq!(es_status(&peers), expect(false, Some("metadata_not_loaded"), None));

    peers.refresh_all().await;

    let s = peers.snapshot(es()).unwrap();
    assert_eq!(s.source, Source::Network);
    assert_eq!(s.fetched_at, NOW);
    // Served at another address than its entityID: selected as the only entity of ES, and
    // Responses are expected from the entityID.
    assert_eq!(s.peer.entity_id, VECTOR_ENTITY_ID);
    assert_eq!(s.peer.signing_certs.len(), 1);
    let status = peers.statuses().into_iter().next().unwrap();
    assert!(status.available && status.reason.is_none() && status.last_error.is_none());
    assert_eq!(status.levels_of_assurance, [LevelOfAssurance::Substantial, LevelOfAssurance::High]);
    assert!(status
        .supported_attributes
        .iter()
        .any(|a| a == "http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier"));
    assert_eq!((status.fetched_at, status.valid_until, status.last_attempt), (Some(NOW), Some(VALID_UNTIL), Some(NOW)));
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn tampered_metadata_leaves_the_country_unavailable_as_invalid() {
    let server = MetadataServer::start(Serve::Body(vector("proxy-metadata-tampered.xml"))).await;
    let (peers, _) = peers_for(&server.url(), options(None));
    peers.refresh_all().await;
    assert_eq!(es_status(&peers), expect(false, Some("metadata_invalid"), Some("metadata.signature")));
    assert_eq!(peers.snapshot(es()).unwrap_err().reason, "metadata_invalid");
}

#[tokio::test]
async fn expired_metadata_leaves_the_country_unavailable_as_expired() {
    let server = MetadataServer::start(Serve::Body(vector("proxy-metadata-expired.xml"))).await;
    let (peers, _) = peers_for(&server.url(), options(None));
    peers.refresh_all().await;
    assert_eq!(es_status(&peers), expect(false, Some("metadata_expired"), Some("metadata.expired")));
}

#[tokio::test]
async fn a_country_whose_server_is_down_at_startup_becomes_available_after_the_retry() {
    let mut server = MetadataServer::start(Serve::Body(vector("proxy-metadata.xml"))).await;
    server.stop().await;
    let (peers, _) = peers_for(&server.url(), options(None));
    peers.refresh_all().await;
    assert_eq!(es_status(&peers), expect(false, Some("metadata_fetch_failed"), Some("peers.fetch_connect")));

    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let refresher = peers.spawn_refresh(shutdown);
    server.restart().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while peers.snapshot(es()).is_err() {
        assert!(Instant::now() < deadline, "still unavailable: {:?}", es_status(&peers));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(es_status(&peers), expect(true, None, None));

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), refresher).await.expect("the refresh loop stops").unwrap();
}

#[tokio::test]
async fn the_background_loop_refreshes_a_good_copy_on_schedule_and_keeps_it_when_a_refresh_fails() {
    let server = MetadataServer::start(Serve::Body(vector("proxy-metadata.xml"))).await;
    let opts = PeersOptions {
        min_refresh: Duration::from_millis(100),
        max_refresh: Duration::from_millis(150),
        ..options(None)
    };
    let (peers, _) = peers_for(&server.url(), opts);
    peers.refresh_all().await;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let refresher = peers.spawn_refresh(shutdown);
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.requests() < 3 {
        assert!(Instant::now() < deadline, "no scheduled refresh: {} requests", server.requests());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.serve(Serve::Body(vector("proxy-metadata-tampered.xml")));
    while es_status(&peers).2.is_none() {
        assert!(Instant::now() < deadline, "the tampered document was not fetched");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(es_status(&peers), expect(true, None, Some("metadata.signature")));
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), refresher).await.expect("the refresh loop stops").unwrap();
}

#[tokio::test]
async fn the_last_good_copy_is_kept_while_refreshes_fail_until_its_valid_until() {
    let mut server = MetadataServer::start(Serve::Body(vector("proxy-metadata.xml"))).await;
    let (peers, clock) = peers_for(&server.url(), options(None));
    peers.refresh_all().await;
    assert!(peers.snapshot(es()).is_ok());

    for (serve, code) in [
        (Serve::Status(500), "peers.fetch_http_status"),
        (Serve::Status(302), "peers.fetch_http_status"), // redirects are not followed
        (Serve::Body(b"<html>maintenance</html>".to_vec()), "metadata.not_metadata"),
        (Serve::Body(b"\x00\x01 garbage".to_vec()), "metadata.malformed"),
        (Serve::Body(vector("proxy-metadata-tampered.xml")), "metadata.signature"),
        (Serve::Body(vector("proxy-metadata-expired.xml")), "metadata.expired"),
    ] {
        server.serve(serve);
        peers.refresh_all().await;
        assert_eq!(es_status(&peers), expect(true, None, Some(code)));
        let kept = peers.snapshot(es()).unwrap();
        assert_eq!((kept.fetched_at, kept.source), (NOW, Source::Network), "{code}");
    }
    server.stop().await;
    peers.refresh_all().await;
    assert_eq!(es_status(&peers), expect(true, None, Some("peers.fetch_connect")));

    clock.set(VALID_UNTIL);
    assert_eq!(peers.snapshot(es()).unwrap_err().reason, "metadata_expired");
    assert_eq!(es_status(&peers), expect(false, Some("metadata_expired"), Some("peers.fetch_connect")));
}

#[tokio::test]
async fn a_slow_server_fails_the_fetch_within_the_timeout() {
    let server = MetadataServer::start(Serve::Slow(Duration::from_secs(10), vector("proxy-metadata.xml"))).await;
    let opts = PeersOptions { fetch_timeout: Duration::from_millis(500), ..options(None) };
    let (peers, _) = peers_for(&server.url(), opts);
    let started = Instant::now();
    peers.refresh_all().await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(450) && took < Duration::from_secs(3), "took {took:?}");
    assert_eq!(es_status(&peers), expect(false, Some("metadata_fetch_failed"), Some("peers.fetch_timeout")));
}

#[tokio::test]
async fn oversized_metadata_is_refused_as_too_large_with_or_without_a_content_length() {
    let body = vector("proxy-metadata.xml");
    let server = MetadataServer::start(Serve::Body(body.clone())).await;
    let opts = PeersOptions { max_metadata_bytes: body.len() - 1, ..options(None) };
    let (peers, _) = peers_for(&server.url(), opts);
    peers.refresh_all().await;
    assert_eq!(es_status(&peers), expect(false, Some("metadata_fetch_failed"), Some("peers.metadata_too_large")));
    server.serve(Serve::BodyUntilClose(body.clone()));
    peers.refresh_all().await;
    assert_eq!(es_status(&peers), expect(false, Some("metadata_fetch_failed"), Some("peers.metadata_too_large")));

    // At the limit exactly, it is read.
    let opts = PeersOptions { max_metadata_bytes: body.len(), ..options(None) };
    let (peers, _) = peers_for(&server.url(), opts);
    peers.refresh_all().await;
    assert_eq!(es_status(&peers), expect(true, None, None));
}

#[tokio::test]
async fn the_disk_cache_makes_the_country_available_when_the_server_is_down_at_startup() {
    let dir = TempDir::new();
    let mut server = MetadataServer::start(Serve::Body(vector("proxy-metadata.xml"))).await;
    let (first, _) = peers_for(&server.url(), options(Some(&dir.0)));
    first.refresh_all().await;
    assert!(first.snapshot(es()).is_ok());
    assert_eq!(std::fs::read(dir.0.join("ES.xml")).unwrap(), vector("proxy-metadata.xml"));
    server.stop().await;

    let (second, clock) = peers_for(&server.url(), options(Some(&dir.0)));
    clock.set(NOW + time::Duration::hours(2));
    second.load_cache().await;
    let s = second.snapshot(es()).unwrap();
    assert_eq!((s.source, s.fetched_at), (Source::DiskCache, NOW));
    second.refresh_all().await;
    assert_eq!(es_status(&second), expect(true, None, Some("peers.fetch_connect")));
    assert_eq!(second.snapshot(es()).unwrap().source, Source::DiskCache);

    // Past its validUntil, the cached copy is not used.
    let (third, clock) = peers_for(&server.url(), options(Some(&dir.0)));
    clock.set(VALID_UNTIL);
    third.load_cache().await;
    assert_eq!(es_status(&third), expect(false, Some("metadata_not_loaded"), None));
}

#[tokio::test]
async fn a_corrupt_or_tampered_disk_cache_is_ignored() {
    let dir = TempDir::new();
    let server = MetadataServer::start(Serve::Body(vector("proxy-metadata.xml"))).await;
    let (first, _) = peers_for(&server.url(), options(Some(&dir.0)));
    first.refresh_all().await;
    assert!(dir.0.join("ES.json").is_file());

    for corrupt in [b"<md:EntityDescriptor".to_vec(), vector("proxy-metadata-tampered.xml")] {
        std::fs::write(dir.0.join("ES.xml"), corrupt).unwrap();
        let (peers, _) = peers_for(&server.url(), options(Some(&dir.0)));
        peers.load_cache().await;
        assert_eq!(es_status(&peers), expect(false, Some("metadata_not_loaded"), None));
    }
    std::fs::write(dir.0.join("ES.json"), b"not json").unwrap();
    std::fs::write(dir.0.join("ES.xml"), vector("proxy-metadata.xml")).unwrap();
    let (peers, _) = peers_for(&server.url(), options(Some(&dir.0)));
    peers.load_cache().await;
    assert_eq!(es_status(&peers), expect(false, Some("metadata_not_loaded"), None));
}

#[tokio::test]
async fn key_rollover_fetches_once_per_cooldown_and_returns_the_new_signing_certificate() {
    let server = MetadataServer::start(Serve::Status(503)).await;
    let Some(before) = signed_metadata(&server.url(), &[]) else { return };
    let Some(after) = signed_metadata(&server.url(), &["--signing-cert", "idp-ec-p256"]) else { return };
    server.serve(Serve::Body(before));
    let (peers, clock) = peers_for(&server.url(), options(None));
    peers.refresh_all().await;
    let old = peers.snapshot(es()).unwrap();
    assert_eq!(old.metadata.signing_certs.first().unwrap().key_type, "RSA");
    assert_eq!(server.requests(), 1);

    server.serve(Serve::Body(after));
    let new = peers.refresh_after_unknown_signer(es()).await.expect("the new signing certificate");
    assert_eq!(new.metadata.signing_certs.first().unwrap().key_type, "EC");
    assert_eq!(new.peer.signing_certs.len(), 1);
    assert!(Arc::ptr_eq(&new, &peers.snapshot(es()).unwrap()));
    assert_eq!(server.requests(), 2);

    // Within the cooldown: no fetch, nothing new.
    assert!(peers.refresh_after_unknown_signer(es()).await.is_none());
    assert_eq!(server.requests(), 2);

    // After it: one fetch, but the certificates did not change.
    clock.advance(time::Duration::seconds(61));
    assert!(peers.refresh_after_unknown_signer(es()).await.is_none());
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn the_entity_named_by_the_url_is_selected_and_a_foreign_node_country_refused() {
    let server = MetadataServer::start(Serve::Status(503)).await;
    let Some(own) = signed_metadata(&server.url(), &[]) else { return };
    let Some(foreign) = signed_metadata(&server.url(), &["--country", "PT"]) else { return };

    server.serve(Serve::Body(own));
    let (peers, _) = peers_for(&server.url(), options(None));
    peers.refresh_all().await;
    let s = peers.snapshot(es()).unwrap();
    assert_eq!(s.peer.entity_id, server.url());
    assert_eq!(s.metadata.sso_post_url.as_deref(), Some("http://127.0.0.1:9/sso"));

    server.serve(Serve::Body(foreign));
    let (peers, _) = peers_for(&server.url(), options(None));
    peers.refresh_all().await;
    assert_eq!(es_status(&peers), expect(false, Some("metadata_invalid"), Some("peers.metadata_country_mismatch")));
}
