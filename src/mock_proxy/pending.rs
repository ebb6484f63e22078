//! The AuthnRequests waiting on a login page, in memory, keyed by a random id the page carries
//! in a hidden field (no cookie). An entry lives a short time and is taken once by the answer.
//!
//! Bounded: past the bound, expired entries go first, then the oldest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

use super::connector::ConnectorInfo;
use super::sso::CheckedRequest;

/// A checked AuthnRequest waiting for the developer's choice.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// The request.
    pub request: CheckedRequest,
    /// The connector that sent it.
    pub connector: Arc<ConnectorInfo>,
    /// The binding's `RelayState`, returned verbatim.
    pub relay_state: Option<String>,
    expires: OffsetDateTime,
}

/// The waiting requests.
pub(crate) struct PendingRequests {
    ttl: Duration,
    max: usize,
    entries: Mutex<HashMap<String, Pending>>,
}

impl PendingRequests {
    /// An empty set whose entries live `ttl`, at most `max` at once.
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self { ttl, max, entries: Mutex::new(HashMap::new()) }
    }

    /// Keeps a request; returns its id (43 base64url characters, 256 random bits), or `None`
    /// when the random generator failed.
    pub fn insert(
        &self,
        request: CheckedRequest,
        connector: Arc<ConnectorInfo>,
        relay_state: Option<String>,
        now: OffsetDateTime,
    ) -> Option<String> {
        let id = crate::flow::new_handle().ok()?;
        let mut entries = self.entries.lock().ok()?;
        entries.retain(|_, p| p.expires > now);
        while entries.len() >= self.max {
            let oldest = entries.iter().min_by_key(|(_, p)| p.expires).map(|(k, _)| k.clone())?;
            entries.remove(&oldest);
        }
        entries.insert(id.clone(), Pending { request, connector, relay_state, expires: now + self.ttl });
        Some(id)
    }

    /// The request `id`, still waiting (for re-rendering its page).
    pub fn get(&self, id: &str, now: OffsetDateTime) -> Option<Pending> {
        let entries = self.entries.lock().ok()?;
        entries.get(id).filter(|p| p.expires > now).cloned()
    }

    /// Takes the request `id` out (its answer is being made).
    pub fn take(&self, id: &str, now: OffsetDateTime) -> Option<Pending> {
        let mut entries = self.entries.lock().ok()?;
        entries.remove(id).filter(|p| p.expires > now)
    }
}
