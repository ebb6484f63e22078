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
    /// Where the last good copy of each country's metadata is kept (survives a restart);
    /// relative to the config file's folder.
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
            .field("redis_tls_ca_file", &self.redis_tls_ca_file)
            .field("redis_tls_cert_file", &self.redis_tls_cert_file)
            .field("redis_tls_key_file", &self.redis_tls_key_file)
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
    /// `rediss://` only: PEM file of the CA certificate(s) that the Redis server's certificate
    /// must chain to, instead of the system trust store (a private CA). Relative to the config file's folder.
    #[serde(default)]
    pub redis_tls_ca_file: Option<PathBuf>,
    /// `rediss://` only, for a Redis that requires client certificates (`tls-auth-clients
    /// yes`): our PEM certificate (chain), with `redis_tls_key_file`. Relative to the config file's folder.
    #[serde(default)]
    pub redis_tls_cert_file: Option<PathBuf>,
    /// Its private key: an unencrypted PKCS#8 PEM file (`BEGIN PRIVATE KEY`; convert another
    /// form with `openssl pkcs8 -topk8 -nocrypt`). Relative to the config file's folder. A secret: never printed.
    #[serde(default)]
    pub redis_tls_key_file: Option<PathBuf>,
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
            redis_tls_ca_file: None,
            redis_tls_cert_file: None,
            redis_tls_key_file: None,
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
    // 0 would turn the timeouts off (actix-web): a slow client could hold a connection forever.
    if server.request_timeout_secs == 0 || server.shutdown_timeout_secs == 0 {
        problems.push("server.request_timeout_secs and server.shutdown_timeout_secs must be at least 1".into());
    }
    if api.status_retention_secs < api.response_ttl_secs {
        problems.push("api.status_retention_secs must be at least api.response_ttl_secs".into());
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
    validate_redis_tls(store, problems);
}

/// The `store.redis_tls_*` files: only with a `rediss://` URL, certificate and key together,
/// absolute (`Config::validate` has resolved relative ones against the file's folder), readable
/// and of the right kind (read again when the store is opened).
fn validate_redis_tls(store: &StoreSettings, problems: &mut Vec<String>) {
    let files = [
        ("store.redis_tls_ca_file", &store.redis_tls_ca_file),
        ("store.redis_tls_cert_file", &store.redis_tls_cert_file),
        ("store.redis_tls_key_file", &store.redis_tls_key_file),
    ];
    if files.iter().all(|(_, f)| f.is_none()) {
        return;
    }
    let tls_url = store.redis_url.as_deref().is_some_and(|u| u.starts_with("rediss://"));
    if store.backend != "redis" || !tls_url {
        problems.push("store.redis_tls_* files need store.backend = \"redis\" and a rediss:// redis_url".into());
    }
    if store.redis_tls_cert_file.is_some() != store.redis_tls_key_file.is_some() {
        problems.push("store.redis_tls_cert_file and store.redis_tls_key_file go together (mutual TLS)".into());
    }
    for (name, file) in files {
        let Some(path) = file else { continue };
        if !path.is_absolute() {
            problems.push(format!("{name} must be an absolute path (got {})", path.display()));
            continue;
        }
        match std::fs::read(path) {
            Err(e) => problems.push(format!("{name}: {}: {e}", path.display())),
            Ok(pem) if name == "store.redis_tls_key_file" => {
                if !pem.windows(27).any(|w| w == b"-----BEGIN PRIVATE KEY-----") {
                    problems.push(format!(
                        "{name}: {}: not an unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY); convert it with \
                         `openssl pkcs8 -topk8 -nocrypt`",
                        path.display()
                    ));
                }
            }
            Ok(pem) => {
                if openssl::x509::X509::stack_from_pem(&pem).map_or(true, |certs| certs.is_empty()) {
                    problems.push(format!("{name}: {}: not a PEM certificate", path.display()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls_problems(store: &StoreSettings) -> String {
        let mut problems = Vec::new();
        validate_redis_tls(store, &mut problems);
        problems.join("\n")
    }

    fn cert_file(name: &str) -> PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/test-pki").join(name)
    }

    fn rediss() -> StoreSettings {
        StoreSettings {
            backend: "redis".into(),
            redis_url: Some("rediss://:hunter2@redis.example.org:6380/0".into()),
            ..StoreSettings::default()
        }
    }

    #[test]
    fn redis_tls_files_are_accepted_with_a_rediss_url_when_present_and_of_the_right_kind() {
        let store = StoreSettings { redis_tls_ca_file: Some(cert_file("idp-metadata-signer.crt.pem")), ..rediss() };
        assert_eq!(tls_problems(&store), "");
        assert_eq!(tls_problems(&StoreSettings::default()), "", "no TLS file: nothing to check");
    }

    #[test]
    fn a_missing_redis_tls_ca_file_is_reported_with_its_path() {
        let missing = std::env::temp_dir().join("no-such-redis-ca.pem");
        let store = StoreSettings { redis_tls_ca_file: Some(missing.clone()), ..rediss() };
        let problems = tls_problems(&store);
        assert!(problems.starts_with("store.redis_tls_ca_file: "), "{problems}");
        assert!(problems.contains(&missing.display().to_string()), "{problems}");
    }

    #[test]
    fn redis_tls_files_need_a_rediss_url_absolute_paths_and_cert_and_key_together() {
        let store = StoreSettings {
            redis_url: Some("redis://127.0.0.1:6379/0".into()),
            redis_tls_cert_file: Some(PathBuf::from("client.crt.pem")),
            ..rediss()
        };
        let problems = tls_problems(&store);
        for needle in ["need store.backend = \"redis\" and a rediss://", "go together", "must be an absolute path"] {
            assert!(problems.contains(needle), "{needle} not in {problems}");
        }
        assert!(!problems.contains("hunter2"), "{problems}");
    }

    #[test]
    fn a_redis_tls_key_that_is_not_pkcs8_or_a_ca_file_that_is_not_a_certificate_is_refused() {
        let dir = std::env::temp_dir().join(format!("redis-tls-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let garbage = dir.join("garbage.pem");
        std::fs::write(&garbage, "not a PEM file").unwrap();
        let rsa = dir.join("rsa.key.pem");
        let key = openssl::rsa::Rsa::generate(2048).unwrap().private_key_to_pem().unwrap();
        std::fs::write(&rsa, key).unwrap();
        let store = StoreSettings {
            redis_tls_ca_file: Some(garbage),
            redis_tls_cert_file: Some(cert_file("idp-metadata-signer.crt.pem")),
            redis_tls_key_file: Some(rsa),
            ..rediss()
        };
        let problems = tls_problems(&store);
        assert!(
            problems.contains("store.redis_tls_ca_file: ") && problems.contains("not a PEM certificate"),
            "{problems}"
        );
        assert!(problems.contains("store.redis_tls_key_file: ") && problems.contains("PKCS#8"), "{problems}");
        assert!(!problems.contains("BEGIN RSA"), "key material echoed: {problems}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn debug_names_the_tls_files_but_never_the_password() {
        let store = StoreSettings { redis_tls_key_file: Some(PathBuf::from("/run/secrets/redis.key")), ..rediss() };
        let text = format!("{store:?}");
        assert!(text.contains("/run/secrets/redis.key") && !text.contains("hunter2"), "{text}");
    }
}
