//! The use cases of the connector (DESIGN §2): the hub starts a cross-border authentication,
//! the browser is sent to the chosen country's proxy service, the Response comes back to the
//! ACS, and the hub consumes the result once.
//!
//! `flow` takes the store, the peers, our keys and a clock, and returns typed outcomes that
//! `routes` maps to JSON, HTML or redirects. It knows no HTTP types and parses no XML itself
//! (the `saml` layer does). CPU-heavy crypto (signing, validation) runs on the blocking pool
//! so that it never stalls the I/O of other requests.

mod acs;
mod finish;
mod record;
mod start;
pub mod types;

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

pub use self::acs::{AcsForm, AcsOutcome};
pub use self::record::{RequestRecord, RequestStatus};
pub use self::start::{
    check_start_request, choose_locale, choose_page_locale, parse_locale, BrowserStart, CountryChoice,
};
use crate::clock::Clock;
use crate::config::live::LiveConfig;
use crate::peers::Peers;
use crate::saml::CountryCode;
use crate::store::{Store, StoreError};
use crate::telemetry::Metrics;

/// Why a use case refused, in the words of the API contract (DESIGN §2.1). Each variant has
/// a stable `code()`; `routes` chooses the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// The body is not what the contract says (a field missing, of the wrong form or too long).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// `level_of_assurance` is `low`, unknown, or not offered by the country.
    #[error("level of assurance not supported: {0}")]
    LoaNotSupported(String),
    /// An attribute name outside the eIDAS attribute profile.
    #[error("unknown attribute {0}")]
    UnknownAttribute(String),
    /// Natural and legal person attributes in one request (MF 1.4 §2.3.2).
    #[error("natural and legal person attributes cannot be requested together")]
    MixedPersonKinds,
    /// A required attribute the country's proxy service does not publish.
    #[error("the proxy service does not provide attribute {0}")]
    AttributeNotSupported(String),
    /// `return_url` is not under one of the configured `api.return_urls`.
    #[error("return_url is not allowed")]
    ReturnUrlNotAllowed,
    /// The country is not configured.
    #[error("country {0} is not configured")]
    CountryUnknown(String),
    /// The country is configured but its metadata is missing, invalid or expired.
    #[error("country {country} is unavailable ({reason})")]
    CountryUnavailable {
        /// The country.
        country: CountryCode,
        /// A stable reason (`metadata_expired`, …).
        reason: &'static str,
    },
    /// No such request (never started, or forgotten after its retention).
    #[error("request not found")]
    RequestNotFound,
    /// No such result: never issued, already consumed, or expired.
    #[error("response handle not found")]
    ResponseHandleNotFound,
    /// The browser start handle is unknown or expired.
    #[error("start handle not found")]
    StartHandleNotFound,
    /// The request is no longer pending (completed, consumed, cancelled or expired).
    #[error("request is {0}")]
    NotPending(RequestStatus),
    /// The shared store did not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something of ours failed (signing, serialization); details are logged, never shown.
    #[error("technical error: {0}")]
    Technical(String),
}

impl FlowError {
    /// Stable code (the problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::LoaNotSupported(_) => "loa_not_supported",
            Self::UnknownAttribute(_) => "unknown_attribute",
            Self::MixedPersonKinds => "attributes_mixed_person_kinds",
            Self::AttributeNotSupported(_) => "attribute_not_supported",
            Self::ReturnUrlNotAllowed => "return_url_not_allowed",
            Self::CountryUnknown(_) => "country_unknown",
            Self::CountryUnavailable { .. } => "country_unavailable",
            Self::RequestNotFound => "request_not_found",
            Self::ResponseHandleNotFound => "response_handle_not_found",
            Self::StartHandleNotFound => "start_handle_not_found",
            Self::NotPending(_) => "request_not_pending",
            Self::Store(e) => e.code(),
            Self::Technical(_) => "technical_error",
        }
    }
}

/// The durations of the flow.
#[derive(Debug, Clone, Copy)]
pub struct Ttls {
    /// A started request waits this long for the citizen.
    pub request: Duration,
    /// A result waits this long for the hub (personal data: short).
    pub response: Duration,
    /// A finished request's status stays visible this long (no personal data).
    pub status_retention: Duration,
    /// Accepted Response and Assertion IDs are remembered this long beyond the last instant
    /// the Response could be accepted (NotOnOrAfter + the country's skew): anti-replay.
    pub replay: Duration,
}

/// Everything the use cases need, built once at startup.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Shared state.
    pub store: Arc<dyn Store>,
    /// The member states' proxy services.
    pub peers: Peers,
    /// Our configuration, keys included; its keys are replaced on a reload. Take one
    /// snapshot per use case (`config.current()`) and keep it to the end of the request.
    pub config: Arc<LiveConfig>,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    /// The origin the browser sees (`https://connector.example.fr`).
    pub public_base_url: String,
    /// The durations.
    pub ttls: Ttls,
}

impl Flow {
    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// `duration` as the store's TTL (at least one millisecond).
    fn ttl(duration: Duration) -> std::time::Duration {
        std::time::Duration::from_millis(u64::try_from(duration.whole_milliseconds()).unwrap_or(1).max(1))
    }
}

/// A fresh opaque handle: 256 bits from the OS CSPRNG, base64url without padding (DESIGN §2.2:
/// at least 128 bits).
pub fn new_handle() -> Result<String, FlowError> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes).map_err(|_| FlowError::Technical("random generator".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// True for what [`new_handle`] makes: 43 base64url characters. Anything else is refused before
/// touching the store.
pub fn is_handle(s: &str) -> bool {
    s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Lower-case hex SHA-256 (binding cookies are stored hashed).
fn sha256_hex(data: &[u8]) -> String {
    openssl::sha::sha256(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs CPU-heavy work (signing, validation) on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, FlowError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| FlowError::Technical("blocking task failed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_256_bit_base64url_and_recognised() {
        let a = new_handle().unwrap();
        let b = new_handle().unwrap();
        assert_ne!(a, b);
        assert!(is_handle(&a), "{a}");
        assert!(!is_handle("short"));
        assert!(!is_handle(&format!("{}=", &a[..42])));
    }
}
