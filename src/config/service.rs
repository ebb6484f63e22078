//! The service's sections of the configuration: `[server]`, `[api]`, `[store]` and `[peers]`
//! (the operator commands ignore them), and their checks.

use std::path::PathBuf;

use serde::Deserialize;

use super::{is_loopback_http, Settings};

/// `[server]`: the two listeners and the HTTP limits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Public listener (browsers and member states, behind the internet-facing proxy).
    #[serde(default = "default_public_listen")]
    pub public_listen: String,
    /// Internal listener (the hub's JSON API and `/metrics`; never exposed).
    #[serde(default = "default_internal_listen")]
    pub internal_listen: String,
    /// Our public origin as the browser sees it (`https://connector.example.fr`); default: the
    /// origin of `connector.acs_url`.
    #[serde(default)]
    pub public_base_url: Option<String>,
    /// Worker threads per listener (default: the number of cores).
    #[serde(default)]
    pub workers: Option<usize>,
    /// Largest `SAMLResponse` form accepted at the ACS, bytes (larger → 413).
    #[serde(default = "default_max_form_bytes")]
    pub max_form_bytes: usize,
    /// Largest JSON body accepted by the internal API, bytes (larger → 413).
    #[serde(default = "default_max_json_bytes")]
    pub max_json_bytes: usize,
    /// Time allowed to read a request, seconds.
    #[serde(default = "default_request_timeout_secs")]
    pub request_timeout_secs: u64,
    /// On SIGTERM, time left to in-flight requests before the process exits, seconds.
    #[serde(default = "default_shutdown_timeout_secs")]
    pub shutdown_timeout_secs: u64,
    /// Where the last good copy of each country's metadata is kept (survives a restart).
    #[serde(default)]
    pub metadata_cache_dir: Option<PathBuf>,
}

fn default_public_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_internal_listen() -> String {
    "127.0.0.1:8081".into()
}
fn default_max_form_bytes() -> usize {
    512 * 1024
}
fn default_max_json_bytes() -> usize {
    64 * 1024
}
fn default_request_timeout_secs() -> u64 {
    10
}
fn default_shutdown_timeout_secs() -> u64 {
    20
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            public_listen: default_public_listen(),
            internal_listen: default_internal_listen(),
            public_base_url: None,
            workers: None,
            max_form_bytes: default_max_form_bytes(),
            max_json_bytes: default_max_json_bytes(),
            request_timeout_secs: default_request_timeout_secs(),
            shutdown_timeout_secs: default_shutdown_timeout_secs(),
            metadata_cache_dir: None,
        }
    }
}

/// `[peers]`: when the member states' metadata is fetched again. A refresh that fails keeps the
/// last good copy until its own `validUntil`; these keys only say how often to try.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeersSettings {
    /// Shortest interval between two scheduled refreshes of a country, seconds.
    #[serde(default = "default_metadata_refresh_min_secs")]
    pub metadata_refresh_min_secs: u64,
    /// Longest interval between two scheduled refreshes of a country, seconds (sooner when the
    /// metadata's `validUntil` or `cacheDuration` says so).
    #[serde(default = "default_metadata_refresh_max_secs")]
    pub metadata_refresh_max_secs: u64,
    /// First retry delay after a failed fetch, seconds (then doubled, with jitter).
    #[serde(default = "default_metadata_retry_initial_secs")]
    pub metadata_retry_initial_secs: u64,
    /// Longest retry delay after failed fetches, seconds.
    #[serde(default = "default_metadata_retry_max_secs")]
    pub metadata_retry_max_secs: u64,
    /// At most one extra fetch per country in this interval when a Response is signed by a key
    /// the metadata does not publish (key rollover), seconds.
    #[serde(default = "default_metadata_rollover_cooldown_secs")]
    pub metadata_rollover_cooldown_secs: u64,
}

fn default_metadata_refresh_min_secs() -> u64 {
    60
}
fn default_metadata_refresh_max_secs() -> u64 {
    3600
}
fn default_metadata_retry_initial_secs() -> u64 {
    5
}
fn default_metadata_retry_max_secs() -> u64 {
    300
}
fn default_metadata_rollover_cooldown_secs() -> u64 {
    60
}

impl Default for PeersSettings {
    fn default() -> Self {
        Self {
            metadata_refresh_min_secs: default_metadata_refresh_min_secs(),
            metadata_refresh_max_secs: default_metadata_refresh_max_secs(),
            metadata_retry_initial_secs: default_metadata_retry_initial_secs(),
            metadata_retry_max_secs: default_metadata_retry_max_secs(),
            metadata_rollover_cooldown_secs: default_metadata_rollover_cooldown_secs(),
        }
    }
}

/// `[api]`: who may call the internal API and where users may be sent back. `Debug` hides the
/// tokens.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSettings {
    /// Bearer tokens of the hub (several during a rotation). Secrets: never printed.
    #[serde(default)]
    pub tokens: Vec<String>,
    /// Allow-list: a `return_url` must be under one of these (same origin, path prefix).
    #[serde(default)]
    pub return_urls: Vec<String>,
    /// How long a started request waits for the citizen, seconds.
    #[serde(default = "default_request_ttl_secs")]
    pub request_ttl_secs: u64,
    /// How long a result waits for the hub's consume call, seconds (personal data: short).
    #[serde(default = "default_response_ttl_secs")]
    pub response_ttl_secs: u64,
    /// How long a finished request's status (no personal data) stays visible, seconds.
    #[serde(default = "default_status_retention_secs")]
    pub status_retention_secs: u64,
}

impl std::fmt::Debug for ApiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiSettings")
            .field("tokens", &format_args!("[{} redacted]", self.tokens.len()))
            .field("return_urls", &self.return_urls)
            .field("request_ttl_secs", &self.request_ttl_secs)
            .field("response_ttl_secs", &self.response_ttl_secs)
            .field("status_retention_secs", &self.status_retention_secs)
            .finish()
    }
}

impl std::fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSettings")
            .field("backend", &self.backend)
            .field("redis_url", &self.redis_url.as_ref().map(|_| "[redacted]"))
            .field("key_prefix", &self.key_prefix)
            .field("op_timeout_ms", &self.op_timeout_ms)
            .field("max_entries", &self.max_entries)
            .finish()
    }
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            tokens: Vec::new(),
            return_urls: Vec::new(),
            request_ttl_secs: default_request_ttl_secs(),
            response_ttl_secs: default_response_ttl_secs(),
            status_retention_secs: default_status_retention_secs(),
        }
    }
}

fn default_request_ttl_secs() -> u64 {
    600
}
fn default_response_ttl_secs() -> u64 {
    300
}
fn default_status_retention_secs() -> u64 {
    3600
}

/// `[store]`: where pending requests, results and the replay cache live. `Debug` hides the
/// Redis URL (it may hold a password).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// `memory` (one instance) or `redis` (several instances).
    #[serde(default = "default_backend")]
    pub backend: String,
    /// `redis://[:password@]host:port/db` or `rediss://…` (TLS). The password is never printed.
    #[serde(default)]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key.
    #[serde(default = "default_key_prefix")]
    pub key_prefix: String,
    /// Time allowed to one Redis operation, milliseconds.
    #[serde(default = "default_op_timeout_ms")]
    pub op_timeout_ms: u64,
    /// Bound of the memory store (entries); past it new requests get 503 `store_full`.
    #[serde(default = "default_max_entries")]
    pub max_entries: usize,
}

fn default_backend() -> String {
    "memory".into()
}
fn default_key_prefix() -> String {
    "eidas:".into()
}
fn default_op_timeout_ms() -> u64 {
    1000
}
fn default_max_entries() -> usize {
    200_000
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            backend: default_backend(),
            redis_url: None,
            key_prefix: default_key_prefix(),
            op_timeout_ms: default_op_timeout_ms(),
            max_entries: default_max_entries(),
        }
    }
}

/// The checks of `[server]`, `[api]`, `[store]` and `[peers]` (the service's sections; the
/// operator commands ignore them).
pub(super) fn validate_service(settings: &Settings, problems: &mut Vec<String>) {
    let (server, api, store, peers) = (&settings.server, &settings.api, &settings.store, &settings.peers);
    for (name, addr) in
        [("server.public_listen", &server.public_listen), ("server.internal_listen", &server.internal_listen)]
    {
        if addr.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!("{name} must be IP:PORT (got {addr:?})"));
        }
    }
    if let Some(base) = &server.public_base_url {
        if !(base.starts_with("https://") || is_loopback_http(base)) || base.ends_with('/') {
            problems
                .push(format!("server.public_base_url must be an https origin without a trailing / (got {base:?})"));
        }
    }
    if server.max_form_bytes < 16 * 1024 || server.max_json_bytes < 1024 {
        problems.push("server.max_form_bytes must be at least 16384 and server.max_json_bytes at least 1024".into());
    }
    for (i, token) in api.tokens.iter().enumerate() {
        if token.len() < 16 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            problems.push(format!("api.tokens[{i}] must be at least 16 printable characters without spaces"));
        }
    }
    for url in &api.return_urls {
        if !(url.starts_with("https://") || is_loopback_http(url)) {
            problems.push(format!("api.return_urls: {url:?} must be an https URL (http only on loopback)"));
        }
    }
    if api.request_ttl_secs < 60 || api.response_ttl_secs < 10 || api.response_ttl_secs > 3600 {
        problems.push("api.request_ttl_secs must be at least 60, api.response_ttl_secs within 10..=3600".into());
    }
    if peers.metadata_refresh_min_secs == 0 || peers.metadata_refresh_min_secs > peers.metadata_refresh_max_secs {
        problems
            .push("peers.metadata_refresh_min_secs must be at least 1 and at most metadata_refresh_max_secs".into());
    }
    if peers.metadata_retry_initial_secs == 0 || peers.metadata_retry_initial_secs > peers.metadata_retry_max_secs {
        problems
            .push("peers.metadata_retry_initial_secs must be at least 1 and at most metadata_retry_max_secs".into());
    }
    // The cooldown bounds what a stream of forged Responses can make us fetch.
    if peers.metadata_rollover_cooldown_secs == 0 {
        problems.push("peers.metadata_rollover_cooldown_secs must be at least 1".into());
    }
    match store.backend.as_str() {
        "memory" => {}
        "redis" => match store.redis_url.as_deref() {
            Some(u) if u.starts_with("redis://") || u.starts_with("rediss://") => {}
            _ => problems
                .push("store.redis_url must be a redis:// or rediss:// URL when store.backend = \"redis\"".into()),
        },
        other => problems.push(format!("store.backend must be memory or redis (got {other:?})")),
    }
}
