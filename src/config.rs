//! Settings: one TOML file (`--config` or `EIDAS_CONNECTOR_CONFIG`), then environment
//! overrides (`EIDAS_CONNECTOR__SECTION__KEY`), validated into typed settings with every
//! problem reported at once. Nothing else in the crate reads configuration.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::saml::{CountryCode, SpType};
use crate::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm, TrustedCert};

/// Every problem found in a configuration, reported together.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

impl ConfigError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        "config.invalid"
    }
}

/// `[connector]`: who we are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorSettings {
    /// Our entityID = the HTTPS URL of our metadata (keep the production one to stay trusted).
    pub entity_id: String,
    /// Our Assertion Consumer Service URL (HTTP-POST).
    pub acs_url: String,
    /// Our country (`eidas:NodeCountry`).
    pub country: String,
    /// `eidas:SPType`, published in our metadata only.
    #[serde(default = "default_sp_type")]
    pub sp_type: SpType,
    /// How long our metadata is valid (`validUntil` = now + this), seconds.
    #[serde(default = "default_metadata_valid_secs")]
    pub metadata_valid_secs: u64,
    /// Protocol versions we announce.
    #[serde(default = "default_protocol_versions")]
    pub protocol_versions: Vec<String>,
    /// `ProviderName` sent to proxy services when the hub does not give one.
    #[serde(default)]
    pub provider_name: Option<String>,
}

fn default_sp_type() -> SpType {
    SpType::Public
}
fn default_metadata_valid_secs() -> u64 {
    86_400
}
fn default_protocol_versions() -> Vec<String> {
    ["1.4", "1.3", "1.2", "1.1"].iter().map(|s| (*s).to_owned()).collect()
}

/// A private key with its certificate, as file paths.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPairSettings {
    /// PEM private key.
    pub key: PathBuf,
    /// PEM certificate.
    pub cert: PathBuf,
}

/// `[keys]`: our signing and decryption keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySettings {
    /// Signs AuthnRequests and metadata.
    pub signing: KeyPairSettings,
    /// Signs our metadata, when kept apart from the request-signing key (as the French
    /// production node does: CN=eIDAS-metadata). Defaults to `signing`.
    #[serde(default)]
    pub metadata_signing: Option<KeyPairSettings>,
    /// The next signing certificate, published ahead of a rollover.
    #[serde(default)]
    pub next_signing_cert: Option<PathBuf>,
    /// Decryption keys (current first; during a rollover, also the next one).
    pub encryption: Vec<KeyPairSettings>,
    /// Signature method URI for what we sign.
    #[serde(default = "default_signature_algorithm")]
    pub signature_algorithm: String,
}

fn default_signature_algorithm() -> String {
    SignatureAlgorithm::RsaPssSha256.uri().to_owned()
}

/// `[organization]` of our metadata.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationSettings {
    /// `OrganizationName`.
    pub name: String,
    /// `OrganizationDisplayName`.
    pub display_name: String,
    /// `OrganizationURL`.
    pub url: String,
    /// `xml:lang` of the organization names.
    #[serde(default = "default_lang")]
    pub lang: String,
}

fn default_lang() -> String {
    "fr".to_owned()
}

/// One `[[contacts]]` entry of our metadata.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSettings {
    /// `support` or `technical`.
    pub contact_type: String,
    /// `Company`.
    #[serde(default)]
    pub company: Option<String>,
    /// `GivenName`.
    #[serde(default)]
    pub given_name: Option<String>,
    /// `SurName`.
    #[serde(default)]
    pub surname: Option<String>,
    /// `EmailAddress`.
    #[serde(default)]
    pub email: Option<String>,
    /// `TelephoneNumber`.
    #[serde(default)]
    pub phone: Option<String>,
}

/// `[server]`: the two listeners and the HTTP limits.
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Clone, Deserialize)]
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
#[derive(Clone, Deserialize)]
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

/// One `[[countries]]` entry: a member state's proxy service and what we accept from it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountrySettings {
    /// ISO 3166 alpha-2 code as used by eIDAS (`EL` for Greece); the test codes `XA`..`XZ` too.
    pub code: String,
    /// Where its proxy-service metadata is fetched (its entityID); HTTPS.
    pub metadata_url: String,
    /// PEM files of the country's metadata-signing trust anchors (IA 6.3; exchanged bilaterally
    /// or through the MDSL).
    pub trust: Vec<PathBuf>,
    /// Accept a plain `http://` metadata URL, for loopback addresses only (tests, demo).
    #[serde(default)]
    pub insecure_allow_http: bool,
    /// Require the Assertion itself to be signed (most proxy services sign only the Response).
    #[serde(default)]
    pub require_signed_assertion: bool,
    /// Accept `xmlenc11#rsa-oaep` with SHA-1 digest or MGF1-SHA1, OpenSAML's and the reference
    /// node's default (OAEP does not rest on collision resistance). Set `false` to refuse it.
    #[serde(default = "default_true")]
    pub allow_sha1_oaep: bool,
    /// Accept a trust anchor or published signing certificate outside its validity period (the
    /// reference node's `check.certificate.validity.period=false`), for a node whose
    /// self-signed certificate has expired. Logged as a warning; shown by `--explain`.
    #[serde(default)]
    pub insecure_ignore_certificate_validity: bool,
    /// Tolerated clock skew with this country's node, seconds.
    #[serde(default = "default_clock_skew_secs")]
    pub clock_skew_secs: u64,
}

fn default_true() -> bool {
    true
}
fn default_clock_skew_secs() -> u64 {
    60
}

/// A validated `[[countries]]` entry with its trust anchors loaded.
#[derive(Debug, Clone)]
pub struct CountryConfig {
    /// The country.
    pub code: CountryCode,
    /// The settings as written.
    pub settings: CountrySettings,
    /// The metadata-signing trust anchors.
    pub trust: Vec<TrustedCert>,
}

/// The configuration file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Who we are.
    pub connector: ConnectorSettings,
    /// Our keys.
    pub keys: KeySettings,
    /// Our organization.
    pub organization: OrganizationSettings,
    /// Our contacts (support and technical).
    #[serde(default)]
    pub contacts: Vec<ContactSettings>,
    /// The member states whose citizens we accept.
    #[serde(default)]
    pub countries: Vec<CountrySettings>,
    /// The listeners.
    #[serde(default)]
    pub server: ServerSettings,
    /// The metadata refresh schedule.
    #[serde(default)]
    pub peers: PeersSettings,
    /// The hub's API access.
    #[serde(default)]
    pub api: ApiSettings,
    /// Shared state.
    #[serde(default)]
    pub store: StoreSettings,
}

/// Validated configuration with keys loaded.
#[derive(Debug)]
pub struct Config {
    /// The settings as read.
    pub settings: Settings,
    /// Our country.
    pub country: CountryCode,
    /// Our signing key with its certificate.
    pub signing_key: PrivateKey,
    /// The metadata signing key with its certificate, when apart from `signing_key`.
    pub metadata_signing_key: Option<PrivateKey>,
    /// The next signing certificate.
    pub next_signing_cert: Option<openssl::x509::X509>,
    /// Our decryption keys with their certificates.
    pub decryption_keys: Vec<PrivateKey>,
    /// Signature method.
    pub signature_algorithm: SignatureAlgorithm,
    /// Digest method (the signature method's hash).
    pub digest_algorithm: DigestAlgorithm,
    /// The member states, validated, in configuration order.
    pub countries: Vec<CountryConfig>,
}

impl Config {
    /// Loads `path` (or `EIDAS_CONNECTOR_CONFIG`), applies environment overrides, validates
    /// and loads keys. Relative key paths are resolved against the file's folder.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => std::env::var_os("EIDAS_CONNECTOR_CONFIG").map(PathBuf::from).ok_or_else(|| {
                ConfigError(vec!["no configuration file: pass --config or set EIDAS_CONNECTOR_CONFIG".into()])
            })?,
        };
        let raw = config::Config::builder()
            .add_source(config::File::from(path.as_path()).format(config::FileFormat::Toml))
            .add_source(
                config::Environment::with_prefix("EIDAS_CONNECTOR")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("api.tokens")
                    .with_list_parse_key("api.return_urls")
                    .with_list_parse_key("connector.protocol_versions"),
            )
            .build()
            .map_err(|e| ConfigError(vec![format!("{}: {e}", path.display())]))?;
        let settings: Settings =
            raw.try_deserialize().map_err(|e| ConfigError(vec![format!("{}: {e}", path.display())]))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::validate(settings, &base)
    }

    /// Validates settings, collecting every problem.
    pub fn validate(settings: Settings, base: &Path) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let c = &settings.connector;
        for (name, url) in [
            ("connector.entity_id", &c.entity_id),
            ("connector.acs_url", &c.acs_url),
            ("organization.url", &settings.organization.url),
        ] {
            if !url.starts_with("https://")
                && !url.starts_with("http://localhost")
                && !url.starts_with("http://127.0.0.1")
            {
                problems.push(format!("{name} must be an https URL (got {url:?})"));
            }
        }
        let country = CountryCode::parse(&c.country);
        if country.is_none() {
            problems.push(format!("connector.country must be two upper-case letters (got {:?})", c.country));
        }
        if c.metadata_valid_secs < 3600 || c.metadata_valid_secs > 30 * 86_400 {
            problems.push("connector.metadata_valid_secs must be between 3600 and 2592000".into());
        }
        if c.protocol_versions.is_empty() {
            problems.push("connector.protocol_versions must not be empty".into());
        }
        for contact in &settings.contacts {
            if !matches!(contact.contact_type.as_str(), "support" | "technical") {
                problems.push(format!(
                    "contacts.contact_type must be support or technical (got {:?})",
                    contact.contact_type
                ));
            }
            if contact.email.as_deref().is_none_or(|e| !e.contains('@')) {
                problems.push(format!("contacts ({}): email is required", contact.contact_type));
            }
        }
        for wanted in ["support", "technical"] {
            if !settings.contacts.iter().any(|c| c.contact_type == wanted) {
                problems.push(format!("contacts: a {wanted} contact is required (eIDAS metadata)"));
            }
        }
        let signature_algorithm = SignatureAlgorithm::from_uri(&settings.keys.signature_algorithm);
        if signature_algorithm.is_none() {
            problems.push(format!(
                "keys.signature_algorithm is not an allowed method: {}",
                settings.keys.signature_algorithm
            ));
        }
        let resolve = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
        let read = |p: &Path, problems: &mut Vec<String>| -> Option<Vec<u8>> {
            std::fs::read(resolve(p)).map_err(|e| problems.push(format!("{}: {e}", resolve(p).display()))).ok()
        };
        let load_pair = |pair: &KeyPairSettings, what: &str, problems: &mut Vec<String>| -> Option<PrivateKey> {
            let key = read(&pair.key, problems)?;
            let cert = read(&pair.cert, problems)?;
            match PrivateKey::from_pem(&key, Some(&cert)) {
                Ok(k)
                    if k.cert
                        .as_ref()
                        .and_then(|c| c.public_key().ok())
                        .is_some_and(|p| crate::xmlsec::keys::same_public_key(&p, &k.key)) =>
                {
                    Some(k)
                }
                Ok(_) => {
                    problems.push(format!("{what}: the certificate does not match the key"));
                    None
                }
                Err(e) => {
                    problems.push(format!("{what}: {e}"));
                    None
                }
            }
        };
        let signing_key = load_pair(&settings.keys.signing, "keys.signing", &mut problems);
        let metadata_signing_key =
            settings.keys.metadata_signing.as_ref().and_then(|p| load_pair(p, "keys.metadata_signing", &mut problems));
        if let (Some(k), Some(a)) = (&signing_key, signature_algorithm) {
            let fits = if a.is_rsa() { k.key.rsa().is_ok() } else { k.key.ec_key().is_ok() };
            if !fits {
                problems.push("keys.signing: the key type does not fit keys.signature_algorithm".into());
            } else if crate::xmlsec::keys::KeyPolicy::default().check(&k.key).is_err() {
                problems.push("keys.signing: key below the eIDAS minimum (RSA 3072, allowed curves)".into());
            }
        }
        let next_signing_cert = settings.keys.next_signing_cert.as_ref().and_then(|p| {
            let pem = read(p, &mut problems)?;
            openssl::x509::X509::from_pem(&pem)
                .map_err(|_| problems.push("keys.next_signing_cert: not a PEM certificate".into()))
                .ok()
        });
        if settings.keys.encryption.is_empty() {
            problems.push("keys.encryption must list at least one key".into());
        }
        let decryption_keys: Vec<PrivateKey> =
            settings.keys.encryption.iter().filter_map(|p| load_pair(p, "keys.encryption", &mut problems)).collect();
        validate_service(&settings, &mut problems);
        let mut countries: Vec<CountryConfig> = Vec::new();
        for entry in &settings.countries {
            let at = format!("countries ({})", entry.code);
            let Some(code) = CountryCode::parse(&entry.code) else {
                problems.push(format!("countries.code must be two upper-case letters (got {:?})", entry.code));
                continue;
            };
            if countries.iter().any(|c| c.code == code) {
                problems.push(format!("{at}: listed twice"));
            }
            if let Err(why) = check_metadata_url(&entry.metadata_url, entry.insecure_allow_http) {
                problems.push(format!("{at}: metadata_url {why}"));
            }
            if entry.trust.is_empty() {
                problems.push(format!("{at}: trust must list at least one metadata-signing certificate"));
            }
            if entry.clock_skew_secs > 600 {
                problems.push(format!("{at}: clock_skew_secs must be at most 600"));
            }
            let mut trust = Vec::new();
            for path in &entry.trust {
                if let Some(pem) = read(path, &mut problems) {
                    match TrustedCert::from_pem(&pem) {
                        Ok(certs) => trust.extend(certs),
                        Err(e) => problems.push(format!("{at}: {}: {e}", resolve(path).display())),
                    }
                }
            }
            countries.push(CountryConfig { code, settings: entry.clone(), trust });
        }
        match (problems.is_empty(), country, signing_key, signature_algorithm) {
            (true, Some(country), Some(signing_key), Some(signature_algorithm)) => Ok(Self {
                settings,
                country,
                signing_key,
                metadata_signing_key,
                next_signing_cert,
                decryption_keys,
                digest_algorithm: signature_algorithm.digest(),
                signature_algorithm,
                countries,
            }),
            _ => Err(ConfigError(problems)),
        }
    }
}

/// The checks of `[server]`, `[api]`, `[store]` and `[peers]` (the service's sections; the
/// operator commands ignore them).
fn validate_service(settings: &Settings, problems: &mut Vec<String>) {
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

/// `http://` to localhost, 127.0.0.0/8 or [::1] (tests and the demo).
pub fn is_loopback_http(url: &str) -> bool {
    check_metadata_url(url, true).is_ok() && url.starts_with("http://")
}

/// A metadata URL must be HTTPS; plain HTTP only with `insecure_allow_http` and a loopback host.
fn check_metadata_url(url: &str, insecure_allow_http: bool) -> Result<(), &'static str> {
    if let Some(rest) = url.strip_prefix("https://") {
        return if rest.is_empty() { Err("has no host") } else { Ok(()) };
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err("must be an https:// URL");
    };
    if !insecure_allow_http {
        return Err("is plain http:// (set insecure_allow_http, loopback only)");
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err("is plain http:// to a host that is not loopback (insecure_allow_http is for loopback only)")
    }
}

impl Config {
    /// The settings of `code`, when it is configured.
    pub fn country(&self, code: CountryCode) -> Option<&CountryConfig> {
        self.countries.iter().find(|c| c.code == code)
    }

    /// The key our metadata is signed with.
    pub fn metadata_signer(&self) -> &PrivateKey {
        self.metadata_signing_key.as_ref().unwrap_or(&self.signing_key)
    }

    /// Our signed metadata, valid from `now` (what `GET /eidas/metadata` serves and
    /// `metadata print` prints): the current and next signing certificates, every decryption
    /// certificate.
    pub fn build_metadata(&self, now: time::OffsetDateTime) -> Result<String, crate::saml::metadata::MetadataError> {
        use crate::saml::metadata::{build_connector_metadata, ConnectorMetadataKeys, MetadataError};
        let mut request_certs: Vec<openssl::x509::X509> = self.signing_key.cert.iter().cloned().collect();
        request_certs.extend(self.next_signing_cert.iter().cloned());
        let encryption_certs: Vec<openssl::x509::X509> =
            self.decryption_keys.iter().filter_map(|k| k.cert.clone()).collect();
        let keys = ConnectorMetadataKeys {
            metadata_signer: self.metadata_signer(),
            signature_algorithm: self.signature_algorithm,
            digest_algorithm: self.digest_algorithm,
            request_signing_certs: &request_certs,
            encryption_certs: &encryption_certs,
        };
        let id = crate::saml::authn_request::new_request_id().map_err(|_| MetadataError::InvalidConfig("id"))?;
        build_connector_metadata(&self.metadata_config(), &keys, now, &id)
    }

    /// Our metadata settings for [`crate::saml::metadata::build_connector_metadata`].
    pub fn metadata_config(&self) -> crate::saml::metadata::ConnectorMetadataConfig {
        use crate::saml::metadata::{ConnectorMetadataConfig, ContactPerson, Organization};
        let s = &self.settings;
        let contact = |kind: &str| {
            s.contacts.iter().find(|c| c.contact_type == kind).map_or_else(
                || ContactPerson { company: None, given_name: None, surname: None, email: String::new(), phone: None },
                |c| ContactPerson {
                    company: c.company.clone(),
                    given_name: c.given_name.clone(),
                    surname: c.surname.clone(),
                    email: c.email.clone().unwrap_or_default(),
                    phone: c.phone.clone(),
                },
            )
        };
        let organization = Organization {
            name: s.organization.name.clone(),
            display_name: s.organization.display_name.clone(),
            url: s.organization.url.clone(),
            lang: s.organization.lang.clone(),
        };
        let mut cfg = ConnectorMetadataConfig::new(
            s.connector.entity_id.clone(),
            s.connector.acs_url.clone(),
            self.country,
            organization,
            contact("support"),
            contact("technical"),
        );
        cfg.sp_type = s.connector.sp_type;
        cfg.valid_for = time::Duration::seconds(i64::try_from(s.connector.metadata_valid_secs).unwrap_or(86_400));
        cfg.protocol_versions = s.connector.protocol_versions.clone();
        cfg
    }
}

#[cfg(test)]
mod tests {
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
}
