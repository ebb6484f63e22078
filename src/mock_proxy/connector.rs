//! The connector as the mock proxy service sees it: its SP metadata, fetched from the
//! configured URL or the AuthnRequest's `Issuer`, read through the hardened parser and cached
//! a few minutes. What the mock uses: the ACS URL, the request-signing certificates, the
//! encryption certificates and `eidas:NodeCountry`.
//!
//! The metadata signature is not checked: the mock holds no trust anchor for the connector
//! (a real proxy service does; this is a test tool). It must never fetch a URL that is neither
//! configured nor `https` / loopback `http`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::saml::metadata::BINDING_POST;
use crate::saml::{CountryCode, NS_EIDAS, NS_MD, NS_SAMLP};
use crate::xmlsec::dom::{Document, Limits, NodeId};
use crate::xmlsec::keys::TrustedCert;
use crate::xmlsec::{XmlError, NS_DS};

/// The largest connector metadata the mock reads.
const MAX_METADATA_BYTES: usize = 1 << 20;

/// What the mock takes from the connector's metadata.
#[derive(Debug, Clone)]
pub(crate) struct ConnectorInfo {
    /// Its entityID (= the AuthnRequest `Issuer`, the Assertion's `Audience`).
    pub entity_id: String,
    /// The HTTP-POST AssertionConsumerService (`isDefault` first).
    pub acs_url: String,
    /// `eidas:NodeCountry` of the SPSSODescriptor: the `DD` of `CC/DD/…` identifiers.
    pub node_country: CountryCode,
    /// `KeyDescriptor use="signing"` (or without use) certificates: they sign AuthnRequests.
    pub signing_certs: Vec<TrustedCert>,
    /// `KeyDescriptor use="encryption"` (or without use) certificates.
    pub encryption_certs: Vec<TrustedCert>,
}

/// Why the connector's metadata is not usable, in the order the checks run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectorError {
    /// The URL to fetch is neither configured nor `https` / loopback `http`.
    #[error("will not fetch the connector metadata from {0:?}: not https nor http to a loopback address (set connector_metadata_url)")]
    UrlNotAllowed(String),
    /// The GET failed.
    #[error("cannot fetch the connector metadata from {url}: {cause}")]
    Fetch {
        /// The URL.
        url: String,
        /// The transport error.
        cause: String,
    },
    /// The GET answered another status than 200.
    #[error("the connector metadata URL {url} answered HTTP {status}")]
    HttpStatus {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// Larger than 1 MiB.
    #[error("the connector metadata is larger than 1 MiB")]
    TooLarge,
    /// Refused by the hardened parser.
    #[error("the connector metadata is not acceptable XML: {0}")]
    Xml(#[source] XmlError),
    /// The document element is not an `md:EntityDescriptor`.
    #[error("the connector metadata is not an md:EntityDescriptor")]
    NotEntityDescriptor,
    /// `entityID` is not the AuthnRequest `Issuer`.
    #[error("the connector metadata entityID {found:?} is not the AuthnRequest Issuer {expected:?}")]
    EntityIdMismatch {
        /// The Issuer.
        expected: String,
        /// The entityID.
        found: String,
    },
    /// `validUntil` is missing, unreadable or past.
    #[error("the connector metadata has no validUntil in the future")]
    Expired,
    /// No SAML 2.0 `md:SPSSODescriptor`.
    #[error("the connector metadata has no SPSSODescriptor: not a connector (SP) metadata")]
    NotSp,
    /// No HTTP-POST AssertionConsumerService.
    #[error("the connector metadata has no HTTP-POST AssertionConsumerService")]
    NoAcs,
    /// No `eidas:NodeCountry` (eIDAS MF 1.4: MUST) or not two upper-case letters.
    #[error("the connector metadata has no valid eidas:NodeCountry")]
    NodeCountry,
    /// A certificate does not decode.
    #[error("the connector metadata holds an unreadable certificate")]
    Certificate,
    /// No request-signing certificate.
    #[error("the connector metadata publishes no signing certificate")]
    NoSigningCert,
    /// No encryption certificate.
    #[error("the connector metadata publishes no encryption certificate")]
    NoEncryptionCert,
}

impl ConnectorError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UrlNotAllowed(_) => "mock.connector.url_not_allowed",
            Self::Fetch { .. } => "mock.connector.fetch",
            Self::HttpStatus { .. } => "mock.connector.http_status",
            Self::TooLarge => "mock.connector.too_large",
            Self::Xml(_) => "mock.connector.xml",
            Self::NotEntityDescriptor => "mock.connector.not_entity_descriptor",
            Self::EntityIdMismatch { .. } => "mock.connector.entity_id_mismatch",
            Self::Expired => "mock.connector.expired",
            Self::NotSp => "mock.connector.not_sp",
            Self::NoAcs => "mock.connector.no_acs",
            Self::NodeCountry => "mock.connector.node_country",
            Self::Certificate => "mock.connector.certificate",
            Self::NoSigningCert => "mock.connector.no_signing_cert",
            Self::NoEncryptionCert => "mock.connector.no_encryption_cert",
        }
    }

    /// True when fetching failed (the connector is down, not wrong).
    pub fn is_transport(&self) -> bool {
        matches!(self, Self::Fetch { .. } | Self::HttpStatus { .. })
    }
}

/// Reads the connector's `md:EntityDescriptor`, whose `entityID` must be `expected_entity_id`.
pub(crate) fn parse_connector_metadata(
    xml: &[u8],
    expected_entity_id: &str,
    now: OffsetDateTime,
) -> Result<ConnectorInfo, ConnectorError> {
    let doc = Document::parse(xml, &Limits::metadata()).map_err(ConnectorError::Xml)?;
    let root = doc.root();
    if !doc.is(root, NS_MD, "EntityDescriptor") {
        return Err(ConnectorError::NotEntityDescriptor);
    }
    // eIDAS MF 1.4 (eidas-spec §6.1): the entityID is the metadata URL, the Issuer of requests.
    let entity_id = doc.attr(root, "entityID").map(str::trim).unwrap_or_default();
    if entity_id != expected_entity_id {
        return Err(ConnectorError::EntityIdMismatch {
            expected: expected_entity_id.to_owned(),
            found: entity_id.to_owned(),
        });
    }
    // eIDAS MF 1.4 (eidas-spec §6.1): validUntil MUST be present; SAML Metadata 2.3.2.
    let valid_until = doc.attr(root, "validUntil").and_then(|v| OffsetDateTime::parse(v.trim(), &Rfc3339).ok());
    if valid_until.is_none_or(|v| v <= now) {
        return Err(ConnectorError::Expired);
    }
    let sp = doc
        .children_named(root, NS_MD, "SPSSODescriptor")
        .find(|d| {
            doc.attr(*d, "protocolSupportEnumeration")
                .is_some_and(|p| p.split_ascii_whitespace().any(|x| x == NS_SAMLP))
        })
        .ok_or(ConnectorError::NotSp)?;
    // SAML Metadata 2.4.4: the default endpoint first (CEF requires isDefault on the ACS).
    let mut acs: Vec<NodeId> = doc
        .children_named(sp, NS_MD, "AssertionConsumerService")
        .filter(|a| doc.attr(*a, "Binding") == Some(BINDING_POST))
        .collect();
    acs.sort_by_key(|a| doc.attr(*a, "isDefault").map(str::trim) != Some("true"));
    let acs_url = acs
        .first()
        .and_then(|a| doc.attr(*a, "Location"))
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .ok_or(ConnectorError::NoAcs)?;
    // eIDAS MF 1.4 (eidas-spec §6.1): NodeCountry in the role's md:Extensions.
    let node_country = doc
        .first_child_named(sp, NS_MD, "Extensions")
        .and_then(|e| doc.first_child_named(e, NS_EIDAS, "NodeCountry"))
        .and_then(|c| doc.simple_text(c).ok())
        .and_then(|t| CountryCode::parse(t.trim()))
        .ok_or(ConnectorError::NodeCountry)?;
    let signing_certs = certificates(&doc, sp, "signing")?;
    let encryption_certs = certificates(&doc, sp, "encryption")?;
    if signing_certs.is_empty() {
        return Err(ConnectorError::NoSigningCert);
    }
    if encryption_certs.is_empty() {
        return Err(ConnectorError::NoEncryptionCert);
    }
    Ok(ConnectorInfo { entity_id: entity_id.to_owned(), acs_url, node_country, signing_certs, encryption_certs })
}

/// Certificates of the role's KeyDescriptors with `use` = `usage`, or without a use (SAML
/// Metadata 2.4.1.1), in document order.
fn certificates(doc: &Document, role: NodeId, usage: &str) -> Result<Vec<TrustedCert>, ConnectorError> {
    let mut out = Vec::new();
    for kd in doc.children_named(role, NS_MD, "KeyDescriptor") {
        if doc.attr(kd, "use").is_some_and(|u| u.trim() != usage) {
            continue;
        }
        for ki in doc.children_named(kd, NS_DS, "KeyInfo") {
            for xd in doc.children_named(ki, NS_DS, "X509Data") {
                for xc in doc.children_named(xd, NS_DS, "X509Certificate") {
                    let text = doc.simple_text(xc).map_err(|_| ConnectorError::Certificate)?;
                    out.push(TrustedCert::from_base64_der(&text).map_err(|_| ConnectorError::Certificate)?);
                }
            }
        }
    }
    Ok(out)
}

/// `https://…`, or `http://` to a loopback host.
fn fetch_allowed(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else { return false };
    match u.scheme() {
        "https" => u.host().is_some(),
        "http" => match u.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// (URL, expected entityID) → (when fetched, what it said).
type Entries = HashMap<(String, String), (OffsetDateTime, Arc<ConnectorInfo>)>;

/// Connector metadata by (URL, expected entityID), kept `ttl`.
pub(crate) struct ConnectorCache {
    client: reqwest::Client,
    ttl: Duration,
    entries: Mutex<Entries>,
}

impl ConnectorCache {
    /// An empty cache fetching with `client`.
    pub fn new(client: reqwest::Client, ttl: Duration) -> Self {
        Self { client, ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// The connector metadata at `url` whose entityID is `entity_id`: from the cache when
    /// fetched less than `ttl` ago (unless `fresh`), else fetched now. `configured` says the URL
    /// comes from the settings, not from a message. Returns the info and whether it was cached.
    pub async fn get(
        &self,
        url: &str,
        entity_id: &str,
        configured: bool,
        fresh: bool,
        now: OffsetDateTime,
    ) -> Result<(Arc<ConnectorInfo>, bool), ConnectorError> {
        let key = (url.to_owned(), entity_id.to_owned());
        if !fresh {
            if let Ok(entries) = self.entries.lock() {
                if let Some((at, info)) = entries.get(&key) {
                    if now - *at < self.ttl && *at <= now {
                        return Ok((Arc::clone(info), true));
                    }
                }
            }
        }
        // eidas-spec §6.3: a proxy fetches the Issuer URL; this one only from https or loopback.
        if !configured && !fetch_allowed(url) {
            return Err(ConnectorError::UrlNotAllowed(url.to_owned()));
        }
        let body = self.fetch(url).await?;
        let info = Arc::new(parse_connector_metadata(&body, entity_id, now)?);
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (at, _)| now - *at < self.ttl);
            entries.insert(key, (now, Arc::clone(&info)));
        }
        Ok((info, false))
    }

    async fn fetch(&self, url: &str) -> Result<Vec<u8>, ConnectorError> {
        let fail = |e: reqwest::Error| ConnectorError::Fetch { url: url.to_owned(), cause: e.to_string() };
        let mut res = self.client.get(url).send().await.map_err(fail)?;
        if !res.status().is_success() {
            return Err(ConnectorError::HttpStatus { url: url.to_owned(), status: res.status().as_u16() });
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(fail)? {
            if body.len().saturating_add(chunk.len()) > MAX_METADATA_BYTES {
                return Err(ConnectorError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_is_fetched_only_over_https_or_from_loopback() {
        for url in ["https://connector.example/eidas/metadata", "http://127.0.0.1:8080/md", "http://localhost/md"] {
            assert!(fetch_allowed(url), "{url}");
        }
        for url in ["http://10.0.0.1/md", "http://connector.example/md", "file:///etc/passwd", "garbage"] {
            assert!(!fetch_allowed(url), "{url}");
        }
    }
}
