//! Settings: one TOML file (`--config` or `EIDAS_CONNECTOR_CONFIG`), then environment
//! overrides (`EIDAS_CONNECTOR__SECTION__KEY`), validated into typed settings with every
//! problem reported at once. Nothing else in the crate reads configuration.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::saml::{CountryCode, SpType};
use crate::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm, TrustedCert};

pub mod keys;
pub mod live;
mod service;

use self::service::validate_service;
pub use self::service::{ApiSettings, PeersSettings, ServerSettings, StoreSettings};

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
#[derive(Debug, Clone, PartialEq, Deserialize)]
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

/// A private key with its certificate, as file paths; the key may be encrypted (PKCS#8
/// `ENCRYPTED PRIVATE KEY` or legacy PEM), its passphrase then comes from a file or a variable.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPairSettings {
    /// PEM private key (clear or encrypted).
    pub key: PathBuf,
    /// PEM certificate.
    pub cert: PathBuf,
    /// A file holding the key's passphrase (one trailing newline ignored). Secret: never printed.
    #[serde(default)]
    pub passphrase_file: Option<PathBuf>,
    /// The name of an environment variable holding the key's passphrase.
    #[serde(default)]
    pub passphrase_env: Option<String>,
}

/// `[keys]`: our signing and decryption keys.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
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

/// One `[[countries]]` entry: a member state's proxy service and what we accept from it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
    /// The file this was loaded from ([`Config::load`]), read again on a reload.
    pub source: Option<PathBuf>,
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
        let mut config = Self::validate(settings, &base)?;
        config.source = Some(path);
        Ok(config)
    }

    /// Validates settings, collecting every problem.
    pub fn validate(mut settings: Settings, base: &Path) -> Result<Self, ConfigError> {
        // The store's TLS files and the metadata cache folder, like the key paths, are relative
        // to the configuration file's folder.
        let absolute = |p: &mut Option<PathBuf>| {
            if let Some(path) = p.as_mut().filter(|p| p.is_relative()) {
                *path = base.join(&*path);
            }
        };
        absolute(&mut settings.store.redis_tls_ca_file);
        absolute(&mut settings.store.redis_tls_cert_file);
        absolute(&mut settings.store.redis_tls_key_file);
        absolute(&mut settings.server.metadata_cache_dir);
        let mut problems = Vec::new();
        let c = &settings.connector;
        for (name, url) in [
            ("connector.entity_id", &c.entity_id),
            ("connector.acs_url", &c.acs_url),
            ("organization.url", &settings.organization.url),
        ] {
            // Plain http only to a loopback host (the demo, tests): the host is parsed, so
            // `http://localhost.example` is refused.
            let https = url.strip_prefix("https://").is_some_and(|rest| !rest.is_empty());
            if !(https || is_loopback_http(url)) {
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
            keys::load_key_pair(pair, resolve).map_err(|e| problems.push(format!("{what}: {e} ({})", e.code()))).ok()
        };
        let signing_key = load_pair(&settings.keys.signing, "keys.signing", &mut problems);
        let metadata_signing_key =
            settings.keys.metadata_signing.as_ref().and_then(|p| load_pair(p, "keys.metadata_signing", &mut problems));
        // Both signing keys sign with keys.signature_algorithm: each must fit it.
        for (what, key) in [("keys.signing", &signing_key), ("keys.metadata_signing", &metadata_signing_key)] {
            if let (Some(k), Some(a)) = (key, signature_algorithm) {
                let fits = if a.is_rsa() { k.key.rsa().is_ok() } else { k.key.ec_key().is_ok() };
                if !fits {
                    problems.push(format!("{what}: the key type does not fit keys.signature_algorithm"));
                } else if crate::xmlsec::keys::KeyPolicy::default().check(&k.key).is_err() {
                    problems.push(format!("{what}: key below the eIDAS minimum (RSA 3072, allowed curves)"));
                }
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
                source: None,
            }),
            _ => Err(ConfigError(problems)),
        }
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
mod tests;
