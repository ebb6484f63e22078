//! Shared state with a time to live: pending requests, single-use handles and the replay
//! cache (DESIGN §3). Two backends behind one [`Store`] trait: [`memory::MemoryStore`] (the
//! default, one instance, bounded) and [`redis::RedisStore`] (several instances behind a load
//! balancer). One contract test suite runs against both.
//!
//! The store keeps opaque bytes; `flow` decides what they mean. It never keeps anything
//! without a TTL, and its single-use reads are atomic (`GETDEL`), so that two instances
//! racing on one handle cannot both get it.

use std::time::Duration;

pub mod memory;
pub mod redis;

/// The longest TTL a backend keeps: longer ones are shortened to it (so that no entry lives
/// practically forever and deadlines cannot overflow). The shortest is one millisecond.
pub const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// `ttl` clamped to `1 ms ..= MAX_TTL`.
fn clamp_ttl(ttl: Duration) -> Duration {
    ttl.clamp(Duration::from_millis(1), MAX_TTL)
}

/// What a key holds. Each kind has its own key space (`eidas:{kind}:{key}` in Redis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A request started by the hub, by `request_id` (no personal data).
    Request,
    /// The browser start handle → `request_id`.
    StartHandle,
    /// Our AuthnRequest ID (the Response's `InResponseTo`) → `request_id`.
    SamlRequest,
    /// A validated outcome (personal data) by `response_handle`, until consumed.
    ResponseHandle,
    /// Response and Assertion IDs already accepted (anti-replay).
    Replay,
}

impl Kind {
    /// The key-space name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::StartHandle => "start",
            Self::SamlRequest => "saml",
            Self::ResponseHandle => "response",
            Self::Replay => "replay",
        }
    }
}

/// A store that cannot answer. The flow turns it into a 503 `store_unavailable`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backend is unreachable or failed (Redis down, timeout, protocol error).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The memory store is full (a flood); nothing was written.
    #[error("store full")]
    Full,
}

impl StoreError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "store_unavailable",
            Self::Full => "store_full",
        }
    }
}

/// Key-value storage with a TTL on every entry.
///
/// Every method is atomic on its own. TTLs are clamped to `1 ms ..=` [`MAX_TTL`]; an entry
/// is never returned after its TTL.
#[async_trait::async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Writes `value` under `key`, replacing any previous value, for `ttl`.
    async fn put(&self, kind: Kind, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError>;
    /// Writes `value` only if `key` is absent (`SET NX PX`): `true` when written, `false` when
    /// the key already existed (the replay cache's "seen before").
    async fn put_new(&self, kind: Kind, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError>;
    /// Reads `key`.
    async fn get(&self, kind: Kind, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Reads and deletes `key` in one atomic step (`GETDEL`): of two concurrent callers, at
    /// most one gets the value.
    async fn take(&self, kind: Kind, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Deletes `key`; `true` when it existed.
    async fn delete(&self, kind: Kind, key: &str) -> Result<bool, StoreError>;
    /// Checks that the backend answers (readiness).
    async fn ping(&self) -> Result<(), StoreError>;
    /// The backend's name for logs and `/readyz` (`memory`, `redis`).
    fn backend(&self) -> &'static str;
}
