//! `eidas-connector mock-proxy --config FILE`: runs the test proxy service
//! ([`crate::mock_proxy`]) until SIGTERM or SIGINT.
//!
//! Its configuration is its own small TOML file (reference: `docker/mock-proxy.toml`), read
//! with unknown keys refused and every problem reported at once; relative paths are resolved
//! against the file's folder. It holds no protocol logic.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::CommandError;
use crate::mock_proxy::{build_server, MockKeyTransport, MockProxySettings};
use crate::saml::CountryCode;
use crate::xmlsec::keys::{PrivateKey, SignatureAlgorithm};

/// `mock-proxy`.
#[derive(Debug, clap::Args)]
pub struct MockProxyArgs {
    /// Configuration file (TOML), e.g. `docker/mock-proxy.toml`.
    #[arg(long, env = "EIDAS_MOCK_PROXY_CONFIG")]
    pub config: PathBuf,
}

/// A key and its certificate, as PEM file paths.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFiles {
    /// PEM private key.
    pub key: PathBuf,
    /// PEM certificate.
    pub cert: PathBuf,
}

/// The configuration file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockProxyFile {
    /// Address to listen on, e.g. `127.0.0.1:8099`.
    pub listen: String,
    /// The country played (a test code such as `XA`).
    pub country: String,
    /// Its origin as browsers and the connector reach it, e.g. `http://127.0.0.1:8099`.
    pub public_url: String,
    /// The name on its pages and in its metadata.
    #[serde(default = "default_display_name")]
    pub display_name: String,
    /// `validUntil` of its metadata = now + this, in seconds.
    #[serde(default = "default_metadata_valid_secs")]
    pub metadata_valid_secs: u64,
    /// The Response signature method URI (RSA-PSS or ECDSA; it must fit `signing`).
    #[serde(default = "default_signature_algorithm")]
    pub signature_algorithm: String,
    /// `rsa-oaep` or `ecdh-es`: it must fit the connector's encryption certificate.
    #[serde(default = "default_key_transport")]
    pub key_transport: String,
    /// Where to fetch the connector metadata; absent: the AuthnRequest's Issuer.
    #[serde(default)]
    pub connector_metadata_url: Option<String>,
    /// Signs Responses.
    pub signing: KeyFiles,
    /// Signs its metadata (the connector's trust anchor for the country).
    pub metadata_signing: KeyFiles,
}

fn default_display_name() -> String {
    "Simulated member state".into()
}
fn default_metadata_valid_secs() -> u64 {
    86_400
}
fn default_signature_algorithm() -> String {
    SignatureAlgorithm::RsaPssSha256.uri().into()
}
fn default_key_transport() -> String {
    "rsa-oaep".into()
}

/// A loaded configuration: where to listen and the settings.
#[derive(Debug)]
pub struct MockProxyConfig {
    /// The listen address.
    pub listen: String,
    /// The settings for [`build_server`].
    pub settings: MockProxySettings,
}

fn invalid(problems: Vec<String>) -> CommandError {
    CommandError::new("config.invalid", format!("invalid mock proxy configuration:\n  - {}", problems.join("\n  - ")))
}

/// Reads and checks `path`; every problem is reported at once.
pub fn load_config(path: &Path) -> Result<MockProxyConfig, CommandError> {
    let file: MockProxyFile = config::Config::builder()
        .add_source(config::File::from(path).format(config::FileFormat::Toml))
        .build()
        .and_then(config::Config::try_deserialize)
        .map_err(|e| invalid(vec![format!("{}: {e}", path.display())]))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    settings_from(&file, &base).map(|settings| MockProxyConfig { listen: file.listen.clone(), settings })
}

/// The settings `file` describes; relative paths are resolved against `base`.
pub fn settings_from(file: &MockProxyFile, base: &Path) -> Result<MockProxySettings, CommandError> {
    let mut problems = Vec::new();
    let country = CountryCode::parse(&file.country);
    if country.is_none() {
        problems.push(format!("country must be two upper-case letters (got {:?})", file.country));
    }
    let signature_algorithm = SignatureAlgorithm::from_uri(&file.signature_algorithm);
    if signature_algorithm.is_none() {
        problems.push(format!("signature_algorithm {:?} is not an RSA-PSS or ECDSA URI", file.signature_algorithm));
    }
    let key_transport = MockKeyTransport::from_name(&file.key_transport);
    if key_transport.is_none() {
        problems.push(format!("key_transport must be \"rsa-oaep\" or \"ecdh-es\" (got {:?})", file.key_transport));
    }
    let mut load = |what: &str, files: &KeyFiles| -> Option<PrivateKey> {
        let read = |p: &Path| {
            let path = base.join(p);
            std::fs::read(&path).map_err(|e| format!("{what}: {}: {e}", path.display()))
        };
        let loaded = read(&files.key).and_then(|key| {
            let cert = read(&files.cert)?;
            PrivateKey::from_pem(&key, Some(&cert)).map_err(|e| format!("{what}: {e}"))
        });
        loaded.map_err(|e| problems.push(e)).ok()
    };
    let signing_key = load("signing", &file.signing);
    let metadata_signing_key = load("metadata_signing", &file.metadata_signing);
    if file.listen.parse::<std::net::SocketAddr>().is_err() {
        problems.push(format!("listen {:?} is not an address:port", file.listen));
    }
    match (country, signature_algorithm, key_transport, signing_key, metadata_signing_key) {
        (
            Some(country),
            Some(signature_algorithm),
            Some(key_transport),
            Some(signing_key),
            Some(metadata_signing_key),
        ) if problems.is_empty() => {
            let settings = MockProxySettings {
                country,
                public_url: file.public_url.trim_end_matches('/').to_owned(),
                signing_key,
                signature_algorithm,
                metadata_signing_key,
                key_transport,
                connector_metadata_url: file.connector_metadata_url.clone(),
                metadata_valid_secs: file.metadata_valid_secs,
                display_name: file.display_name.clone(),
            };
            let more = settings.problems();
            if more.is_empty() {
                Ok(settings)
            } else {
                Err(invalid(more))
            }
        }
        _ => Err(invalid(problems)),
    }
}

/// Runs the mock proxy service until SIGTERM or SIGINT.
pub fn mock_proxy(args: &MockProxyArgs) -> Result<(), CommandError> {
    crate::telemetry::init_logging();
    let MockProxyConfig { listen, settings } = load_config(&args.config)?;
    let listener =
        TcpListener::bind(&listen).map_err(|e| CommandError::new("startup.listen", format!("{listen}: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::new("startup.runtime", e.to_string()))?;
    runtime.block_on(async {
        let (entity_id, sso_url) = (settings.entity_id(), settings.sso_url());
        let server = build_server(settings, listener).map_err(|e| CommandError::new("startup.config", e.to_string()))?;
        tracing::warn!(%entity_id, %sso_url, listen = %listen, "TEST mock proxy service listening: not a real member state");
        server.await.map_err(|e| CommandError::new("serve.io", e.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_configuration_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docker/mock-proxy.toml");
        let config = load_config(&path).unwrap();
        assert_eq!(config.settings.country.as_str(), "XA");
        assert_eq!(config.settings.entity_id(), "http://127.0.0.1:8099/metadata");
        assert_eq!(config.settings.key_transport, MockKeyTransport::RsaOaep);
    }

    #[test]
    fn a_configuration_with_an_unknown_key_or_bad_values_reports_every_problem() {
        let dir = std::env::temp_dir().join(format!("mock-proxy-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let unknown = dir.join("unknown.toml");
        std::fs::write(&unknown, "listen = \"127.0.0.1:1\"\ncountri = \"XA\"\n").unwrap();
        let e = load_config(&unknown).unwrap_err();
        assert_eq!(e.code, "config.invalid");
        assert!(e.detail.contains("countri"), "{}", e.detail);

        let bad = dir.join("bad.toml");
        std::fs::write(
            &bad,
            "listen = \"nowhere\"\ncountry = \"xa\"\npublic_url = \"http://127.0.0.1:1\"\n\
             signature_algorithm = \"http://www.w3.org/2000/09/xmldsig#rsa-sha1\"\nkey_transport = \"rsa-1_5\"\n\
             signing = { key = \"missing.key\", cert = \"missing.crt\" }\n\
             metadata_signing = { key = \"missing.key\", cert = \"missing.crt\" }\n",
        )
        .unwrap();
        let e = load_config(&bad).unwrap_err();
        for needle in ["country", "signature_algorithm", "key_transport", "signing: ", "metadata_signing", "listen"] {
            assert!(e.detail.contains(needle), "{needle} not in {}", e.detail);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
