//! SAML metadata in and out (eIDAS MF 1.4 §2.1, 3.3, 3.4, 4.1, 4.2; IA 6;
//! `reference/eidas-spec.md` §6): [`parse_proxy_metadata`] verifies and reads a foreign
//! proxy service's metadata into [`ProxyServiceMetadata`]; [`build_connector_metadata`]
//! builds and signs ours.
//!
//! Reading follows xmlsec-profile 14–15: the signature is checked against the trust anchors
//! the caller configured for that country, and data is read only from the verified element.
//! The only way around that is the named [`MetadataOptions::insecure_allow_unsigned`].
//! This module is pure: it never fetches, caches, logs or reads the clock (`now`, trust
//! anchors and keys are arguments), so the caller logs the `insecure_*` warnings and decides
//! when to refresh (`valid_until`, `cache_duration`).

pub(crate) mod elements;
mod read;
mod write;

use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::Id;
use time::{Duration, OffsetDateTime};

use super::{CountryCode, LevelOfAssurance};
use crate::xmlsec::dsig::DsigError;
use crate::xmlsec::keys::{CertValidity, DigestAlgorithm, KeyPolicy, SignatureAlgorithm, TrustedCert};
use crate::xmlsec::XmlError;

pub use read::{parse_proxy_metadata, parse_proxy_metadata_detailed, parse_xsd_duration};
pub use write::{
    build_connector_metadata, ConnectorMetadataConfig, ConnectorMetadataKeys, ContactPerson, Organization,
};

/// Entity attribute listing the eIDAS protocol versions an entity supports (eIDAS MF 1.4, eidas-spec §6.1).
pub const ATTR_PROTOCOL_VERSION: &str = "http://eidas.europa.eu/entity-attributes/protocol-version";
/// Entity attribute naming the software of a node (eIDAS MF 1.4, eidas-spec §6.1).
pub const ATTR_APPLICATION_IDENTIFIER: &str = "http://eidas.europa.eu/entity-attributes/application-identifier";
/// Entity attribute listing the LoAs a proxy service supports (eIDAS MF 1.4, eidas-spec §6.1; SAML2 IAP).
pub const ATTR_ASSURANCE_CERTIFICATION: &str = "urn:oasis:names:tc:SAML:attribute:assurance-certification";
/// Entity attribute carrying entity categories (REFEDS/MACE-Dir).
pub const ATTR_ENTITY_CATEGORY: &str = "http://macedir.org/entity-category";
/// The entity category by which a proxy asks for `RequesterID` from private-sector SPs
/// (eidas-spec fact 10).
pub const CATEGORY_REQUESTER_ID: &str = "http://eidas.europa.eu/entity-attributes/termsofaccess/requesterid";
/// The SAML HTTP-POST binding.
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// The SAML HTTP-Redirect binding.
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/// Why metadata was refused (or could not be built), in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// The document was refused by the hardened parser (checklist 1–5).
    #[error("metadata is not acceptable XML: {0}")]
    Xml(#[source] XmlError),
    /// The document element is neither `md:EntityDescriptor` nor `md:EntitiesDescriptor`.
    #[error("not a SAML metadata document")]
    NotMetadata,
    /// Neither the document nor the entity carries a signature.
    #[error("metadata is not signed")]
    Unsigned,
    /// The signature did not verify against the configured trust anchors.
    #[error("metadata signature refused: {0}")]
    Signature(#[source] DsigError),
    /// Neither the entity nor any enclosing `EntitiesDescriptor` has a `validUntil`.
    #[error("metadata has no validUntil")]
    MissingValidUntil,
    /// `validUntil` (of the entity or of an enclosing group) is not in the future.
    #[error("metadata expired at {valid_until}")]
    Expired {
        /// The earliest `validUntil` on the path to the entity.
        valid_until: OffsetDateTime,
    },
    /// The entity has no SAML 2.0 `md:IDPSSODescriptor`: it is not a proxy service.
    #[error("no IDPSSODescriptor: not a proxy service")]
    NoIdp,
    /// A required part is missing or has a value we cannot read.
    #[error("malformed metadata: {0}")]
    Malformed(&'static str),
    /// Our connector metadata cannot be built from the configuration and keys given.
    #[error("cannot build connector metadata: {0}")]
    InvalidConfig(&'static str),
    /// Signing our connector metadata failed.
    #[error("cannot sign connector metadata: {0}")]
    Signing(#[source] DsigError),
    /// The trust anchor that verified the signature is outside its validity period
    /// (eIDAS IA 6.3; CEF `check.certificate.validity.period`). Relaxed per country by
    /// [`MetadataOptions::insecure_ignore_certificate_validity`].
    #[error("metadata trust anchor {subject} is {validity:?} (not after {not_after})")]
    TrustAnchorNotValid {
        /// Expired or not yet valid.
        validity: CertValidity,
        /// The anchor's subject, for the operator.
        subject: String,
        /// The anchor's `notAfter`.
        not_after: OffsetDateTime,
    },
}

impl MetadataError {
    /// Stable code for logs and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Xml(_) | Self::Malformed(_) => "metadata.malformed",
            Self::NotMetadata => "metadata.not_metadata",
            Self::Unsigned => "metadata.unsigned",
            Self::Signature(_) => "metadata.signature",
            Self::MissingValidUntil => "metadata.no_valid_until",
            Self::Expired { .. } => "metadata.expired",
            Self::NoIdp => "metadata.no_idp",
            Self::InvalidConfig(_) => "metadata.invalid_config",
            Self::Signing(_) => "metadata.signing_failed",
            Self::TrustAnchorNotValid { validity: CertValidity::NotYetValid, .. } => {
                "metadata.trust_anchor_not_yet_valid"
            }
            Self::TrustAnchorNotValid { .. } => "metadata.trust_anchor_expired",
        }
    }

    /// The code of the underlying XML or signature error (`"sig.invalid"`, `"xml.doctype_forbidden"`),
    /// when there is one.
    pub fn cause_code(&self) -> Option<&'static str> {
        match self {
            Self::Xml(e) => Some(e.code()),
            Self::Signature(e) | Self::Signing(e) => Some(e.code()),
            _ => None,
        }
    }
}

/// What [`parse_proxy_metadata`] accepts beyond the profile. Every `insecure_*` switch is off
/// by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataOptions {
    /// Accept an unsigned document, or unsigned entities in an unsigned aggregate.
    /// Accepted entities then have `signed == false`. A signature that is present but does
    /// not verify is still refused.
    ///
    /// # Security
    /// Anyone on the path can then choose the keys we trust for that country. For tests and
    /// bilaterally exchanged files only; the caller must log a warning when it is set.
    pub insecure_allow_unsigned: bool,
    /// Accept a metadata signature made with an RSA-2048 key (CR 1.4 requires ≥ 3072; the
    /// German middleware's test metadata uses 2048).
    ///
    /// # Security
    /// Weakens the crypto profile; the caller must log a warning when it is set.
    pub insecure_allow_rsa_2048: bool,
    /// Tolerance on each end of a certificate's validity period (default 60 s).
    pub clock_skew: Duration,
    /// Accept a trust anchor outside its validity period (the reference node's
    /// `check.certificate.validity.period=false`), for a country whose published self-signed
    /// certificate has expired. The entity then reports it in
    /// [`ProxyServiceMetadata::trust_anchor_validity`].
    ///
    /// # Security
    /// An expired anchor may have been retired for a reason; the caller must log a warning.
    pub insecure_ignore_certificate_validity: bool,
}

impl Default for MetadataOptions {
    fn default() -> Self {
        Self {
            insecure_allow_unsigned: false,
            insecure_allow_rsa_2048: false,
            clock_skew: Duration::seconds(60),
            insecure_ignore_certificate_validity: false,
        }
    }
}

impl MetadataOptions {
    /// The key-strength floor for the metadata signer.
    pub(crate) fn key_policy(&self) -> KeyPolicy {
        if self.insecure_allow_rsa_2048 {
            KeyPolicy { min_rsa_bits: 2048 }
        } else {
            KeyPolicy::default()
        }
    }
}

/// The outcome of reading a metadata document: the accepted proxy services, and the entities
/// of an aggregate that were left out, with the reason.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ParsedMetadata {
    /// Accepted proxy services, in document order.
    pub entities: Vec<ProxyServiceMetadata>,
    /// Entities of an aggregate that were refused; the others are still usable.
    pub skipped: Vec<SkippedEntity>,
}

/// An entity of an aggregate that was refused.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SkippedEntity {
    /// Index of the `EntityDescriptor` among all of the document's, in document order.
    pub position: usize,
    /// Its `entityID` as written (unverified: for logs only).
    pub entity_id: Option<String>,
    /// Why it was refused.
    #[serde(serialize_with = "serialize_error")]
    pub error: MetadataError,
}

/// A certificate published in metadata, with a summary for logs and the CLI.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MetadataCert {
    /// The certificate and its key.
    #[serde(skip)]
    pub cert: TrustedCert,
    /// Subject DN, `CN=…,O=…`.
    pub subject: String,
    /// End of validity.
    #[serde(serialize_with = "serialize_instant")]
    pub not_after: OffsetDateTime,
    /// `RSA`, `EC` or `other`.
    pub key_type: &'static str,
    /// Key size in bits (modulus for RSA, field size for EC).
    pub key_bits: u32,
    /// EC curve name (`prime256v1`, `brainpoolP256r1`, …).
    pub curve: Option<&'static str>,
    /// SHA-256 of the DER certificate, lower-case hex.
    pub sha256_fingerprint: String,
}

impl MetadataCert {
    pub(crate) fn new(cert: TrustedCert) -> Self {
        let subject = cert
            .cert
            .subject_name()
            .entries()
            .filter_map(|e| {
                let key = e.object().nid().short_name().unwrap_or("?");
                e.data().to_string().ok().map(|v| format!("{key}={v}"))
            })
            .collect::<Vec<_>>()
            .join(",");
        let not_after = asn1_to_offset(cert.cert.not_after()).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let (key_type, curve) = match cert.key.id() {
            Id::RSA => ("RSA", None),
            Id::EC => ("EC", cert.key.ec_key().ok().and_then(|k| k.group().curve_name()).and_then(curve_name)),
            _ => ("other", None),
        };
        let key_bits = cert.key.bits();
        let sha256_fingerprint = cert
            .cert
            .digest(MessageDigest::sha256())
            .map(|d| d.iter().map(|b| format!("{b:02x}")).collect())
            .unwrap_or_default();
        Self { cert, subject, not_after, key_type, key_bits, curve, sha256_fingerprint }
    }
}

fn curve_name(nid: Nid) -> Option<&'static str> {
    nid.short_name().ok()
}

pub(crate) fn asn1_to_offset(t: &openssl::asn1::Asn1TimeRef) -> Option<OffsetDateTime> {
    let epoch = openssl::asn1::Asn1Time::from_unix(0).ok()?;
    let diff = epoch.diff(t).ok()?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// An `alg:SigningMethod` or `alg:DigestMethod` published by an entity (SAML2AlgSup).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlgorithmSupport {
    /// The algorithm URI as published.
    pub algorithm: String,
    /// `MinKeySize`, in bits.
    pub min_key_size: Option<u32>,
    /// `MaxKeySize`, in bits.
    pub max_key_size: Option<u32>,
    /// True when our crypto profile allows the algorithm (CR 1.4: RSA-PSS, ECDSA, SHA-2 ≥ 256).
    /// Peers also advertise PKCS#1 v1.5 and SHA-1: never pick from their list blindly.
    pub allowed: bool,
}

impl AlgorithmSupport {
    /// The signature algorithm, when it is one our profile allows.
    pub fn signature_algorithm(&self) -> Option<SignatureAlgorithm> {
        SignatureAlgorithm::from_uri(&self.algorithm)
    }

    /// The digest algorithm, when it is one our profile allows.
    pub fn digest_algorithm(&self) -> Option<DigestAlgorithm> {
        DigestAlgorithm::from_uri(&self.algorithm).filter(|d| d.is_strong())
    }
}

/// What we use from a proxy service's verified metadata (eidas-spec §6.3).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProxyServiceMetadata {
    /// `entityID`: the metadata URL, and the `Issuer` of its Responses.
    pub entity_id: String,
    /// Index of the entity among the `EntityDescriptor`s of an aggregate; `None` for a
    /// single-entity document.
    pub position: Option<usize>,
    /// True when a signature covering the entity verified; false only through
    /// [`MetadataOptions::insecure_allow_unsigned`].
    pub signed: bool,
    /// `eidas:NodeCountry` of the `IDPSSODescriptor` (eIDAS MF 1.4, eidas-spec §6.1; fact 29) or of the
    /// entity. Older middleware metadata has none.
    pub node_country: Option<CountryCode>,
    /// `SingleSignOnService` for the HTTP-POST binding.
    pub sso_post_url: Option<String>,
    /// `SingleSignOnService` for the HTTP-Redirect binding (CEF: a GET of the non-deflated XML).
    pub sso_redirect_url: Option<String>,
    /// Certificates that sign Responses (`KeyDescriptor use="signing"`, or no `use`).
    pub signing_certs: Vec<MetadataCert>,
    /// Encryption certificates (`KeyDescriptor use="encryption"`, or no `use`).
    pub encryption_certs: Vec<MetadataCert>,
    /// WantAuthnRequestsSigned (MF: MUST be true).
    pub want_authn_requests_signed: bool,
    /// Notified LoAs published in `assurance-certification`, lowest first.
    pub levels_of_assurance: Vec<LevelOfAssurance>,
    /// Other `assurance-certification` values (non-notified URIs, NL's bare `High`, …).
    pub unrecognized_loa: Vec<String>,
    /// Names of the attributes the proxy supports (`IDPSSODescriptor/saml2:Attribute/@Name`).
    pub supported_attributes: Vec<String>,
    /// `protocol-version` values, as published.
    pub protocol_versions: Vec<String>,
    /// `application-identifier` (opaque).
    pub application_identifier: Option<String>,
    /// The entity category asking private-sector SPs for `RequesterID` (eidas-spec fact 10).
    pub requester_id_flag: bool,
    /// `alg:SigningMethod`s of the entity and of its `IDPSSODescriptor`.
    pub signing_methods: Vec<AlgorithmSupport>,
    /// `alg:DigestMethod`s of the entity and of its `IDPSSODescriptor`.
    pub digest_methods: Vec<AlgorithmSupport>,
    /// `EncryptionMethod` algorithms of the encryption `KeyDescriptor`s.
    pub encryption_methods: Vec<String>,
    /// `NameIDFormat`s, as published.
    pub name_id_formats: Vec<String>,
    /// The earliest `validUntil` of the entity and its enclosing groups.
    #[serde(serialize_with = "serialize_instant")]
    pub valid_until: OffsetDateTime,
    /// The shortest `cacheDuration` of the entity and its enclosing groups (serialized in seconds).
    #[serde(serialize_with = "serialize_duration_secs")]
    pub cache_duration: Option<Duration>,
    /// Where the instant of reading fell in the validity period of the trust anchor that
    /// verified this entity: `valid`, or expired / not yet valid when that was tolerated by
    /// [`MetadataOptions::insecure_ignore_certificate_validity`]. `None` when unsigned.
    pub trust_anchor_validity: Option<CertValidity>,
}

impl ProxyServiceMetadata {
    /// The highest published protocol version, compared numerically per component
    /// (`1.4` > `1.2`). Values that are not dotted numbers are ignored. `None` when none is
    /// published (CEF then treats the peer as interoperable with any version).
    pub fn highest_protocol_version(&self) -> Option<&str> {
        self.protocol_versions
            .iter()
            .filter_map(|v| version_key(v).map(|k| (k, v.as_str())))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, v)| v)
    }

    /// True when `loa` is one of the published notified LoAs (eidas-spec fact 18).
    pub fn publishes(&self, loa: LevelOfAssurance) -> bool {
        self.levels_of_assurance.contains(&loa)
    }

    /// The keys a Response from this proxy must be signed with (eidas-spec fact 12).
    pub fn signing_keys(&self) -> Vec<TrustedCert> {
        self.signing_certs.iter().map(|c| c.cert.clone()).collect()
    }

    /// When a copy fetched at `fetched_at` must be refreshed: the earlier of `validUntil` and
    /// `fetched_at + cacheDuration`.
    pub fn refresh_before(&self, fetched_at: OffsetDateTime) -> OffsetDateTime {
        match self.cache_duration.and_then(|d| fetched_at.checked_add(d)) {
            Some(t) if t < self.valid_until => t,
            _ => self.valid_until,
        }
    }
}

/// `1.2` → `[1, 2]`; `None` when a component is not a number.
fn version_key(v: &str) -> Option<Vec<u32>> {
    v.trim().split('.').map(|p| p.parse::<u32>().ok()).collect()
}

fn serialize_instant<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::saml::format_instant(*t))
}

fn serialize_duration_secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.whole_seconds()),
        None => s.serialize_none(),
    }
}

fn serialize_error<S: serde::Serializer>(e: &MetadataError, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("MetadataError", 3)?;
    st.serialize_field("code", e.code())?;
    st.serialize_field("cause_code", &e.cause_code())?;
    st.serialize_field("message", &e.to_string())?;
    st.end()
}
