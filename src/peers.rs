//! The foreign proxy services: for each configured country, its metadata fetched from the
//! configured URL, verified against that country's trust anchors, cached (in memory and,
//! optionally, on disk), refreshed in the background, kept as the last good copy while a
//! refresh fails, and re-fetched once when a Response is signed by a key we do not know
//! (key rollover). The request path reads it through [`Peers::snapshot`], which is sync and
//! cheap.
//!
//! It must never trust a key that is not in verified metadata: nothing is served from a
//! document that failed verification, from an expired copy, or from a URL a message named.
//! No actix types here; `saml/` does the parsing and the signature check, this module does the
//! I/O and the clock.
//!
//! The parts: `fetch` (HTTP with limits), `verify` (entity selection and the
//! [`Peer`]), `cache` (the disk copy), `refresh` (schedule, backoff, rollover).

mod cache;
mod fetch;
mod refresh;
mod verify;

use std::path::PathBuf;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use time::OffsetDateTime;

use crate::clock::Clock;
use crate::config::CountryConfig;
use crate::saml::metadata::{MetadataError, ProxyServiceMetadata};
use crate::saml::response::Peer;
use crate::saml::{CountryCode, LevelOfAssurance};
use crate::xmlsec::keys::CertValidity;

/// Timeouts, limits and the refresh schedule.
#[derive(Debug, Clone)]
pub struct PeersOptions {
    /// Where the last good copy of each country's metadata is kept (`{CODE}.xml` and a
    /// `{CODE}.json` sidecar); `None` keeps nothing on disk.
    pub cache_dir: Option<PathBuf>,
    /// TCP + TLS connection timeout.
    pub connect_timeout: Duration,
    /// Timeout of a whole fetch, body included.
    pub fetch_timeout: Duration,
    /// Largest metadata document accepted, in bytes.
    pub max_metadata_bytes: usize,
    /// Shortest interval between two scheduled refreshes of a country.
    pub min_refresh: Duration,
    /// Longest interval between two scheduled refreshes of a country.
    pub max_refresh: Duration,
    /// First retry delay after a failed refresh (then doubled, with jitter).
    pub retry_initial: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// At most one rollover fetch ([`Peers::refresh_after_unknown_signer`]) per country in this
    /// interval.
    pub rollover_cooldown: Duration,
}

impl Default for PeersOptions {
    fn default() -> Self {
        Self {
            cache_dir: None,
            connect_timeout: Duration::from_secs(5),
            fetch_timeout: Duration::from_secs(10),
            max_metadata_bytes: 1024 * 1024,
            min_refresh: Duration::from_secs(60),
            max_refresh: Duration::from_secs(3600),
            retry_initial: Duration::from_secs(5),
            retry_max: Duration::from_secs(300),
            rollover_cooldown: Duration::from_secs(60),
        }
    }
}

/// Why building [`Peers`] failed, or why one fetch of a country's metadata failed, in the
/// order the checks run.
#[derive(Debug, thiserror::Error)]
pub enum PeersError {
    /// The same country is configured twice.
    #[error("country {0} is configured twice")]
    DuplicateCountry(CountryCode),
    /// The metadata URL is not a URL.
    #[error("country {0}: the metadata URL cannot be parsed")]
    InvalidUrl(CountryCode),
    /// The metadata URL is not HTTPS (plain HTTP only with `insecure_allow_http`, to loopback).
    #[error("country {0}: the metadata URL must be https (plain http only to loopback with insecure_allow_http)")]
    InsecureUrl(CountryCode),
    /// The HTTP client could not be built (TLS backend).
    #[error("cannot build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
    /// No connection to the metadata host.
    #[error("cannot connect to the metadata host")]
    Connect(#[source] reqwest::Error),
    /// The fetch took longer than `connect_timeout` or `fetch_timeout`.
    #[error("metadata fetch timed out")]
    Timeout(#[source] reqwest::Error),
    /// The host answered with a status other than 2xx (redirects are not followed).
    #[error("metadata host answered HTTP {0}")]
    HttpStatus(u16),
    /// The document is larger than `max_metadata_bytes`.
    #[error("metadata larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// Any other transport failure (reset connection, broken chunked body, TLS).
    #[error("metadata fetch failed")]
    Transport(#[source] reqwest::Error),
    /// The document was refused by [`crate::saml::metadata::parse_proxy_metadata`].
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// No verified entity is the configured one (entityID = metadata URL, or the only entity
    /// of the country).
    #[error("no entity of the metadata is the country's proxy service")]
    NoMatchingEntity,
    /// The selected entity publishes another `eidas:NodeCountry`.
    #[error("metadata NodeCountry {published} differs from the configured {configured}")]
    CountryMismatch {
        /// The configured country.
        configured: CountryCode,
        /// What the metadata says.
        published: CountryCode,
    },
}

impl PeersError {
    /// Stable code for logs and [`CountryStatus::last_error`]; a refused document keeps the
    /// [`MetadataError`] code (`metadata.signature`, `metadata.expired`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Self::DuplicateCountry(_) => "peers.duplicate_country",
            Self::InvalidUrl(_) => "peers.invalid_url",
            Self::InsecureUrl(_) => "peers.insecure_url",
            Self::HttpClient(_) => "peers.http_client",
            Self::Connect(_) => "peers.fetch_connect",
            Self::Timeout(_) => "peers.fetch_timeout",
            Self::HttpStatus(_) => "peers.fetch_http_status",
            Self::TooLarge { .. } => "peers.metadata_too_large",
            Self::Transport(_) => "peers.fetch_failed",
            Self::Metadata(e) => e.code(),
            Self::NoMatchingEntity => "peers.metadata_no_matching_entity",
            Self::CountryMismatch { .. } => "peers.metadata_country_mismatch",
        }
    }

    /// The code of the underlying XML or signature error of a refused document
    /// (`sig.digest_mismatch`), when there is one.
    pub fn cause_code(&self) -> Option<&'static str> {
        match self {
            Self::Metadata(e) => e.cause_code(),
            _ => None,
        }
    }

    /// The [`CountryStatus::reason`] a country without a valid copy shows after this error.
    fn reason(&self) -> &'static str {
        match self {
            Self::DuplicateCountry(_)
            | Self::InvalidUrl(_)
            | Self::InsecureUrl(_)
            | Self::HttpClient(_)
            | Self::Connect(_)
            | Self::Timeout(_)
            | Self::HttpStatus(_)
            | Self::TooLarge { .. }
            | Self::Transport(_) => REASON_FETCH_FAILED,
            Self::Metadata(MetadataError::Expired { .. }) => REASON_EXPIRED,
            Self::Metadata(_) | Self::NoMatchingEntity | Self::CountryMismatch { .. } => REASON_INVALID,
        }
    }
}

/// No metadata was loaded yet (startup).
pub const REASON_NOT_LOADED: &str = "metadata_not_loaded";
/// The last fetch failed (connection, timeout, HTTP status, size) and no valid copy is left.
pub const REASON_FETCH_FAILED: &str = "metadata_fetch_failed";
/// The last document was refused (signature, content, entity) and no valid copy is left.
pub const REASON_INVALID: &str = "metadata_invalid";
/// The copy we have, or the document served, is past its `validUntil`.
pub const REASON_EXPIRED: &str = "metadata_expired";
/// The country is not in the configuration.
pub const REASON_NOT_CONFIGURED: &str = "country_not_configured";

/// A country cannot be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("country {code} is unavailable: {reason}")]
pub struct Unavailable {
    /// The country.
    pub code: CountryCode,
    /// Stable reason: `country_not_configured`, `metadata_not_loaded`, `metadata_fetch_failed`,
    /// `metadata_invalid` or `metadata_expired`.
    pub reason: &'static str,
}

/// Where a snapshot's document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Fetched from the metadata URL.
    Network,
    /// The last good copy from `cache_dir`, verified again at startup.
    DiskCache,
}

/// A country's proxy service from verified metadata that was valid when read.
///
/// Only [`Peers`] makes one (the fields are public for reading; a private field keeps
/// construction here).
#[derive(Debug, Clone)]
pub struct PeerSnapshot {
    /// The country.
    pub code: CountryCode,
    /// The selected entity of the verified document.
    pub metadata: ProxyServiceMetadata,
    /// What Response validation needs, from the metadata and the country's settings.
    pub peer: Peer,
    /// When the document was fetched.
    pub fetched_at: OffsetDateTime,
    /// Where it came from.
    pub source: Source,
    clock_skew: time::Duration,
}

impl PeerSnapshot {
    /// The tolerated clock skew with this country's node (`clock_skew_secs`), for the
    /// `ResponsePolicy`.
    pub fn clock_skew(&self) -> time::Duration {
        self.clock_skew
    }

    /// True while `now` is before the document's `validUntil`.
    pub fn is_valid_at(&self, now: OffsetDateTime) -> bool {
        now < self.metadata.valid_until
    }

    /// SHA-256 fingerprints of the Response-signing certificates, sorted.
    fn signing_fingerprints(&self) -> Vec<&str> {
        let mut f: Vec<&str> = self.metadata.signing_certs.iter().map(|c| c.sha256_fingerprint.as_str()).collect();
        f.sort_unstable();
        f
    }
}

/// A country's state for operators and the country list (`/api/v1/countries`, `/readyz`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CountryStatus {
    /// The country.
    pub code: CountryCode,
    /// True when [`Peers::snapshot`] would answer.
    pub available: bool,
    /// When unavailable: `metadata_not_loaded`, `metadata_fetch_failed`, `metadata_invalid` or
    /// `metadata_expired`.
    pub reason: Option<&'static str>,
    /// The code of the last failed attempt ([`PeersError::code`], no details); `None` after a
    /// success. It may be set while available (a failed refresh with a good copy kept).
    pub last_error: Option<String>,
    /// When the copy we hold (valid or expired) was fetched.
    #[serde(with = "time::serde::rfc3339::option")]
    pub fetched_at: Option<OffsetDateTime>,
    /// The `validUntil` of the copy we hold (valid or expired).
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_until: Option<OffsetDateTime>,
    /// When the last fetch was attempted.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_attempt: Option<OffsetDateTime>,
    /// The published LoAs (empty when unavailable).
    pub levels_of_assurance: Vec<LevelOfAssurance>,
    /// The published attribute names (empty when unavailable).
    pub supported_attributes: Vec<String>,
    /// Where the trust anchor's validity period stood when the copy was verified (not `valid`
    /// only under `insecure_ignore_certificate_validity`).
    pub trust_anchor_validity: Option<CertValidity>,
}

/// Every configured country's proxy service. Cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct Peers {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    opts: PeersOptions,
    clock: Arc<dyn Clock>,
    /// In configuration order.
    countries: Vec<Country>,
}

/// One configured country and what we know of it.
#[derive(Debug)]
struct Country {
    config: CountryConfig,
    url: reqwest::Url,
    state: RwLock<State>,
    /// Serializes the fetches of this country (scheduled, startup and rollover), so an older
    /// answer never lands after a newer one.
    fetch_lock: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct State {
    /// The last verified copy; kept after it expires for the status, never served then.
    current: Option<Arc<PeerSnapshot>>,
    last_attempt: Option<OffsetDateTime>,
    /// `(code, reason)` of the last attempt when it failed.
    last_failure: Option<(&'static str, &'static str)>,
    /// Failed attempts in a row (the retry backoff).
    failures: u32,
    /// When the last rollover fetch was allowed.
    last_rollover: Option<OffsetDateTime>,
}

impl Country {
    fn read(&self) -> RwLockReadGuard<'_, State> {
        // The state is only ever assigned whole fields: a poisoned lock still holds a usable one.
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The snapshot when valid at `now`, else why not.
    fn snapshot_at(&self, now: OffsetDateTime) -> Result<Arc<PeerSnapshot>, &'static str> {
        let state = self.read();
        match (&state.current, state.last_failure) {
            // SAML Metadata 2.3.2; CEF `isValid()` (eidas-spec §6.3): used until validUntil only.
            (Some(s), _) if s.is_valid_at(now) => Ok(Arc::clone(s)),
            (Some(_), _) => Err(REASON_EXPIRED),
            (None, Some((_, reason))) => Err(reason),
            (None, None) => Err(REASON_NOT_LOADED),
        }
    }
}

impl Peers {
    /// Builds the HTTP client and an empty state for each country (nothing is fetched yet:
    /// call [`Peers::load_cache`], [`Peers::refresh_all`], then [`Peers::spawn_refresh`]).
    ///
    /// One client for all: connect and total timeouts, no redirects, HTTPS only unless a
    /// country has `insecure_allow_http` (each URL is checked again before each fetch).
    pub fn new(countries: Vec<CountryConfig>, opts: PeersOptions, clock: Arc<dyn Clock>) -> Result<Self, PeersError> {
        let mut list: Vec<Country> = Vec::with_capacity(countries.len());
        for config in countries {
            if list.iter().any(|c| c.config.code == config.code) {
                return Err(PeersError::DuplicateCountry(config.code));
            }
            let url =
                reqwest::Url::parse(&config.settings.metadata_url).map_err(|_| PeersError::InvalidUrl(config.code))?;
            fetch::check_url(&url, config.settings.insecure_allow_http)
                .map_err(|()| PeersError::InsecureUrl(config.code))?;
            warn_relaxations(&config);
            list.push(Country {
                config,
                url,
                state: RwLock::new(State::default()),
                fetch_lock: tokio::sync::Mutex::new(()),
            });
        }
        let allow_http = list.iter().any(|c| c.config.settings.insecure_allow_http);
        let client = fetch::build_client(&opts, allow_http)?;
        Ok(Self { inner: Arc::new(Inner { client, opts, clock, countries: list }) })
    }

    /// The verified proxy service of `code`, only while its metadata is valid at the clock's
    /// now. Sync and cheap: for the request path.
    pub fn snapshot(&self, code: CountryCode) -> Result<Arc<PeerSnapshot>, Unavailable> {
        let country = self.country(code).ok_or(Unavailable { code, reason: REASON_NOT_CONFIGURED })?;
        country.snapshot_at(self.inner.clock.now()).map_err(|reason| Unavailable { code, reason })
    }

    /// Every configured country, in configuration order.
    pub fn statuses(&self) -> Vec<CountryStatus> {
        let now = self.inner.clock.now();
        self.inner.countries.iter().map(|c| status(c, now)).collect()
    }

    /// True when `code` is in the configuration (available or not).
    pub fn is_configured(&self, code: CountryCode) -> bool {
        self.country(code).is_some()
    }

    fn country(&self, code: CountryCode) -> Option<&Country> {
        self.inner.countries.iter().find(|c| c.config.code == code)
    }
}

fn status(country: &Country, now: OffsetDateTime) -> CountryStatus {
    let available = country.snapshot_at(now);
    let state = country.read();
    let current = state.current.as_deref();
    let valid = available.as_ref().ok().map(|s| &s.metadata);
    CountryStatus {
        code: country.config.code,
        available: available.is_ok(),
        reason: available.as_ref().err().copied(),
        last_error: state.last_failure.map(|(code, _)| code.to_owned()),
        fetched_at: current.map(|s| s.fetched_at),
        valid_until: current.map(|s| s.metadata.valid_until),
        last_attempt: state.last_attempt,
        levels_of_assurance: valid.map(|m| m.levels_of_assurance.clone()).unwrap_or_default(),
        supported_attributes: valid.map(|m| m.supported_attributes.clone()).unwrap_or_default(),
        trust_anchor_validity: current.and_then(|s| s.metadata.trust_anchor_validity),
    }
}

/// STYLE: anything that weakens security logs a warning.
fn warn_relaxations(config: &CountryConfig) {
    let country = config.code.as_str();
    if config.settings.insecure_allow_http {
        tracing::warn!(country, setting = "insecure_allow_http", "metadata fetched over plain http (loopback only)");
    }
    if config.settings.insecure_ignore_certificate_validity {
        tracing::warn!(
            country,
            setting = "insecure_ignore_certificate_validity",
            "certificate validity periods are not enforced for this country"
        );
    }
}

#[cfg(test)]
mod tests;
