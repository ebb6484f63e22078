//! A test double of a foreign eIDAS proxy service (issue 8): what `eidas-connector
//! mock-proxy`, the demo and the tests run in place of a member state with a test country
//! code (`XA`, `XB`, …).
//!
//! It publishes signed proxy-service metadata, checks the connector's AuthnRequest as a proxy
//! service does (signature against the connector's published certificates, Destination,
//! IssueInstant, LoA, NameIDPolicy), lets a developer pick a built-in test identity, a LoA or a
//! refusal on a login page, and answers a signed Response with an encrypted Assertion made by
//! our own XML security core. Every page says it is a TEST. It must never be mistaken for a
//! real proxy service: nobody authenticates, the identities are fixed, and refusal pages show
//! every detail (a developer's tool, not a production page). The tests that prove the
//! connector's validation keep using the independent Python tools.
//!
//! Layout: this file holds the settings and the server builder; `metadata` its metadata,
//! `connector` the connector's metadata it fetches, `sso` the AuthnRequest checks, `pending`
//! the requests waiting on the login page, `identities` the test citizens, `response` the
//! Response, `pages` the HTML, `routes` the handlers.

mod connector;
mod identities;
mod metadata;
mod pages;
mod pending;
mod response;
mod routes;
mod sso;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpServer};

pub use self::identities::{IdentityAttribute, IdentityValue, TestIdentity, IDENTITIES};
use crate::clock::{Clock, SystemClock};
use crate::saml::CountryCode;
use crate::xmlsec::keys::{KeyPolicy, PrivateKey, SignatureAlgorithm};

/// How the mock transports the Assertion's content key to the connector. It must fit the
/// connector's encryption certificate: the mock picks the first published certificate of the
/// matching key type and refuses to answer when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MockKeyTransport {
    /// `xmlenc11#rsa-oaep` with SHA-256 and MGF1-SHA-256, to an RSA certificate.
    RsaOaep,
    /// `xmlenc11#ECDH-ES`, ConcatKDF (SHA-256) and `kw-aes256`, to an EC certificate.
    EcdhEs,
}

impl MockKeyTransport {
    /// Parses `rsa-oaep` or `ecdh-es` (the configuration file's words).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "rsa-oaep" => Some(Self::RsaOaep),
            "ecdh-es" => Some(Self::EcdhEs),
            _ => None,
        }
    }
}

/// What a mock proxy service is: its country, where it is reached, its keys.
#[derive(Debug)]
pub struct MockProxySettings {
    /// The country it plays (`eidas:NodeCountry`, first part of its PersonIdentifiers).
    pub country: CountryCode,
    /// Its origin as the browser and the connector reach it, e.g. `http://127.0.0.1:8099`:
    /// the entityID is `{public_url}/metadata`, the SSO URL `{public_url}/sso`.
    pub public_url: String,
    /// Signs its Responses; its certificate is published as `use="signing"` (and, since the
    /// mock never decrypts anything, as `use="encryption"` too).
    pub signing_key: PrivateKey,
    /// The Response signature method (RSA-PSS or ECDSA); it must fit `signing_key`.
    pub signature_algorithm: SignatureAlgorithm,
    /// Signs its metadata (RSA-PSS SHA-256 for an RSA key, ECDSA SHA-256 for an EC key); its
    /// certificate is the trust anchor the connector configures for the country.
    pub metadata_signing_key: PrivateKey,
    /// How the Assertion's key reaches the connector; must fit the connector's encryption key.
    pub key_transport: MockKeyTransport,
    /// Where to fetch the connector's metadata; `None`: the AuthnRequest's `Issuer` (then only
    /// an `https` URL, or `http` to a loopback address).
    pub connector_metadata_url: Option<String>,
    /// `validUntil` of its metadata = now + this; it is re-signed at half this time.
    pub metadata_valid_secs: u64,
    /// The name shown on its pages and in its metadata's `Organization`.
    pub display_name: String,
}

impl MockProxySettings {
    /// Its entityID, metadata URL and the `Issuer` of its Responses.
    pub fn entity_id(&self) -> String {
        format!("{}/metadata", self.origin())
    }

    /// Its HTTP-POST SingleSignOnService URL (the `Destination` the AuthnRequest must carry).
    pub fn sso_url(&self) -> String {
        format!("{}/sso", self.origin())
    }

    fn origin(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// Every problem of the settings, empty when they are usable.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if url::Url::parse(self.origin()).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
            problems.push(format!("public_url {:?} is not an http(s) URL", self.public_url));
        }
        if self.signing_key.cert.is_none() || self.metadata_signing_key.cert.is_none() {
            problems.push("the signing and metadata-signing keys need their certificates".into());
        }
        let fits = if self.signature_algorithm.is_rsa() {
            self.signing_key.key.rsa().is_ok()
        } else {
            self.signing_key.key.ec_key().is_ok()
        };
        if !fits {
            problems.push("the signing key does not fit signature_algorithm".into());
        }
        let policy = KeyPolicy::default();
        if policy.check(&self.signing_key.key).is_err() || policy.check(&self.metadata_signing_key.key).is_err() {
            problems.push("a key is below the eIDAS minimum (RSA 3072, allowed curves)".into());
        }
        if self.metadata_valid_secs < 60 {
            problems.push("metadata_valid_secs must be at least 60".into());
        }
        if let Some(url) = &self.connector_metadata_url {
            if url::Url::parse(url).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
                problems.push(format!("connector_metadata_url {url:?} is not an http(s) URL"));
            }
        }
        problems
    }
}

/// How long a login page waits for its answer.
const PENDING_TTL: time::Duration = time::Duration::minutes(10);
/// At most this many AuthnRequests wait at once (oldest expire first).
const MAX_PENDING: usize = 10_000;
/// How long a fetched connector metadata is reused.
const CONNECTOR_METADATA_TTL: time::Duration = time::Duration::minutes(3);
/// Timeout of the connector-metadata fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// What every handler gets.
struct MockState {
    settings: MockProxySettings,
    clock: Arc<dyn Clock>,
    metadata: metadata::MetadataCache,
    connectors: connector::ConnectorCache,
    pending: pending::PendingRequests,
}

/// Builds the mock proxy service on `listener`: `GET /metadata`, `POST /sso`,
/// `GET /sso/login`, `POST /sso/answer`, `GET /healthz` and an index page at `/`. The server
/// runs once awaited (or spawned) on a Tokio runtime.
///
/// Fails with `InvalidInput` when the settings are not usable (every problem in the message).
pub fn build_server(settings: MockProxySettings, listener: TcpListener) -> std::io::Result<actix_web::dev::Server> {
    build_server_with_clock(settings, listener, Arc::new(SystemClock))
}

/// [`build_server`] with a given clock.
pub fn build_server_with_clock(
    settings: MockProxySettings,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
) -> std::io::Result<actix_web::dev::Server> {
    let problems = settings.problems();
    if !problems.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("invalid mock proxy settings: {}", problems.join("; ")),
        ));
    }
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("eidas-connector-mock-proxy/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(std::io::Error::other)?;
    let state = web::Data::new(MockState {
        settings,
        clock,
        metadata: metadata::MetadataCache::default(),
        connectors: connector::ConnectorCache::new(client, CONNECTOR_METADATA_TTL),
        pending: pending::PendingRequests::new(PENDING_TTL, MAX_PENDING),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(routes::form_config())
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "no-referrer"))
                    .add(("Cache-Control", "no-store")),
            )
            .configure(routes::configure)
    })
    .workers(2)
    .listen(listener)?
    .run();
    Ok(server)
}

#[cfg(test)]
mod tests;
