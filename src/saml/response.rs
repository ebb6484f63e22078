//! Validation of an eIDAS SAML Response into an [`Outcome`] (`reference/eidas-spec.md` §2.6,
//! `reference/xmlsec-profile.md` 16–28).
//!
//! The checks run in a fixed, documented order ([`CHECKS`]); each refusal is its own
//! [`ResponseError`] variant with a stable code. A correctly signed non-success status is an
//! outcome, not an error. Data is read only from the verified Response and the verified (or,
//! when the country allows it, unsigned-but-decrypted-from-the-verified-Response) Assertion.
//! Pure: the clock, keys, the pending request and the replay cache are arguments.

mod checks;
mod identity;
mod peek;
mod structure;

use time::{Duration, OffsetDateTime};

pub use self::checks::{validate_response, ReplayGuard};
pub use self::identity::VerifiedIdentity;
pub use self::peek::peek_in_response_to;
use super::attributes::AttributeError;
use super::authn_request::RequestedAttribute;
use super::status::{FailureCode, SamlStatus};
use super::{CountryCode, LevelOfAssurance, NameIdFormat};
use crate::xmlsec::dsig::DsigError;
use crate::xmlsec::keys::{CertValidity, KeyPolicy, PrivateKey, TrustedCert};
use crate::xmlsec::xmlenc::{DecryptionPolicy, EncError};
use crate::xmlsec::XmlError;

/// The order in which the checks run, as printed by `response check --explain`.
pub const CHECKS: [&str; 28] = [
    "parse",
    "response.element",
    "response.signature",
    "response.signing_certificate",
    "response.version",
    "response.destination",
    "response.in_response_to",
    "response.issuer",
    "response.issue_instant",
    "response.status",
    "response.assertion_count",
    "response.no_stray_assertion",
    "assertion.decrypt",
    "assertion.signature",
    "assertion.signing_certificate",
    "assertion.shape",
    "assertion.unique_ids",
    "assertion.fields",
    "assertion.subject_confirmation",
    "assertion.conditions",
    "assertion.audience",
    "replay",
    "country",
    "loa",
    "attributes",
    "person_identifier",
    "name_id_format",
    "identity",
];

/// The request this Response must answer, as stored when it was sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingRequest {
    /// Our AuthnRequest ID.
    pub id: String,
    /// The country asked.
    pub country: String,
    /// The proxy service's entityID the request went to.
    pub proxy_entity_id: String,
    /// The minimum LoA asked.
    pub level_of_assurance: LevelOfAssurance,
    /// The attributes asked (Name URIs) with `isRequired`.
    pub requested_attributes: Vec<RequestedAttribute>,
    /// The NameID format asked.
    pub name_id_format: NameIdFormat,
}

/// The foreign proxy service, from its verified metadata and our per-country configuration.
#[derive(Debug, Clone)]
pub struct Peer {
    /// Its entityID (metadata URL): the expected `Issuer`.
    pub entity_id: String,
    /// The country it serves (configuration), checked against `eidas:NodeCountry` when published.
    pub country: CountryCode,
    /// `eidas:NodeCountry` from its metadata, if published.
    pub node_country: Option<CountryCode>,
    /// Its `use="signing"` certificates from verified metadata.
    pub signing_certs: Vec<TrustedCert>,
    /// The notified LoAs it publishes (`assurance-certification`); empty = not published.
    pub levels_of_assurance: Vec<LevelOfAssurance>,
    /// Its highest announced eIDAS protocol version (`1.4` turns off `rsa-oaep-mgf1p`).
    pub highest_protocol_version: Option<String>,
    /// Require a signed Assertion (per-country configuration; off by default as most
    /// proxies do not sign assertions, eidas-spec fact 11).
    pub require_signed_assertion: bool,
    /// Accept a signature by a published certificate outside its validity period (per-country
    /// relaxation, the reference node's `check.certificate.validity.period=false`). A relaxed
    /// check passes with a note in the trace.
    ///
    /// # Security
    /// The caller must log a warning when it is set.
    pub insecure_ignore_certificate_validity: bool,
    /// Accept `xmlenc11#rsa-oaep` with SHA-1 as OAEP digest or MGF1 hash from this country
    /// (per-country configuration, normally `true`: see [`DecryptionPolicy::allow_sha1_oaep`]).
    /// Each use shows in [`VerifiedIdentity::sha1_oaep`].
    pub allow_sha1_oaep: bool,
}

impl Peer {
    /// The proxy service its verified metadata describes, serving `country`, with the policy of
    /// a country's default settings (`[[countries]]` in the configuration): no signed Assertion
    /// required, no relaxation of certificate validity, SHA-1 OAEP accepted. The one mapping
    /// from metadata; callers set the three policy fields from their settings.
    pub fn from_metadata(metadata: &super::metadata::ProxyServiceMetadata, country: CountryCode) -> Self {
        Self {
            entity_id: metadata.entity_id.clone(),
            country,
            node_country: metadata.node_country,
            signing_certs: metadata.signing_keys(),
            levels_of_assurance: metadata.levels_of_assurance.clone(),
            highest_protocol_version: metadata.highest_protocol_version().map(str::to_owned),
            require_signed_assertion: false,
            insecure_ignore_certificate_validity: false,
            allow_sha1_oaep: true,
        }
    }
}

/// Knobs of the validation.
#[derive(Debug, Clone)]
pub struct ResponsePolicy {
    /// Tolerated clock skew on every time check (default 60 s, the reference node's NotBefore allowance).
    pub clock_skew: Duration,
    /// Oldest acceptable `IssueInstant` (default 5 min).
    pub max_message_age: Duration,
    /// Key strength for signatures.
    pub keys: KeyPolicy,
    /// Decryption algorithm policy.
    pub decryption: DecryptionPolicy,
    /// Limits for the Response and for the decrypted Assertion.
    pub limits: crate::xmlsec::Limits,
}

impl Default for ResponsePolicy {
    fn default() -> Self {
        Self {
            clock_skew: Duration::seconds(60),
            max_message_age: Duration::minutes(5),
            keys: KeyPolicy::default(),
            decryption: DecryptionPolicy::default(),
            limits: crate::xmlsec::Limits::default(),
        }
    }
}

/// Everything the validation needs besides the message.
#[derive(Debug)]
pub struct ResponseContext<'a> {
    /// Now.
    pub now: OffsetDateTime,
    /// Our entityID: the expected `Audience`.
    pub entity_id: &'a str,
    /// Our ACS URL: the expected `Destination` and `Recipient`.
    pub acs_url: &'a str,
    /// Our country (`connector.country`): the destination `DD` that every unique identifier
    /// `CC/DD/…` must name (eIDAS AP 1.4 §2.2.1).
    pub our_country: CountryCode,
    /// The request answered.
    pub pending: &'a PendingRequest,
    /// The proxy service.
    pub peer: &'a Peer,
    /// Our decryption keys (current and next).
    pub decryption_keys: &'a [PrivateKey],
    /// Policy.
    pub policy: &'a ResponsePolicy,
}

/// The result of a valid Response.
#[derive(Debug)]
pub enum Outcome {
    /// The citizen was authenticated.
    Authenticated(Box<VerifiedIdentity>),
    /// The proxy service answered with a signed non-success status.
    Failed {
        /// The SAML status as received.
        status: SamlStatus,
        /// Its classification for the hub.
        code: FailureCode,
    },
}

/// One line of `--explain`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckResult {
    /// Check name (one of [`CHECKS`]).
    pub check: &'static str,
    /// Passed or not.
    pub passed: bool,
    /// The error code when not.
    pub code: Option<String>,
    /// Set when the check passed only because a per-country setting relaxed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relaxed: Option<&'static str>,
}

/// Why a Response is refused, in the order the checks run.
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    /// The message does not parse under the hardened parser.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The document element is not a `saml2p:Response`.
    #[error("not a SAML Response")]
    NotAResponse,
    /// The Response signature is missing or invalid (SAML WebSSO, eIDAS IA 3.2.2.2).
    #[error("response signature: {0}")]
    Signature(DsigError),
    /// The published certificate that verified the Response (or Assertion) signature is
    /// outside its validity period.
    #[error("signing certificate is {0:?}")]
    SigningCertificate(CertValidity),
    /// `Version` is not 2.0, or `ID`/`IssueInstant` missing.
    #[error("version or required attribute")]
    Version,
    /// `Destination` missing or not our ACS URL.
    #[error("destination mismatch")]
    DestinationMismatch,
    /// `InResponseTo` missing or not the pending request (unsolicited).
    #[error("InResponseTo mismatch")]
    InResponseToMismatch,
    /// `Issuer` missing, of another format, or not the proxy asked.
    #[error("issuer mismatch")]
    IssuerMismatch,
    /// `IssueInstant` too old or in the future.
    #[error("issue instant out of range")]
    Stale,
    /// Malformed `Status`.
    #[error("malformed status")]
    Status,
    /// Not exactly one EncryptedAssertion, or a plaintext Assertion as a child of the Response.
    #[error("assertion count")]
    AssertionCount,
    /// A plaintext `saml2:Assertion`, or another `saml2:EncryptedAssertion`, anywhere else in
    /// the Response (in `Extensions`, in `StatusDetail`, at any depth). Same code as
    /// [`Self::AssertionCount`]: the same rule (xmlsec-profile 17), found by the deep walk of
    /// `response.no_stray_assertion`.
    #[error("assertion outside the EncryptedAssertion")]
    StrayAssertion,
    /// Decryption refused.
    #[error("decryption: {0}")]
    Decryption(EncError),
    /// The decrypted content is not one `saml2:Assertion`.
    #[error("encrypted content is not an assertion")]
    NotAnAssertion,
    /// The Assertion signature is invalid, or missing where required.
    #[error("assertion signature: {0}")]
    AssertionSignature(DsigError),
    /// The Assertion's children are not the `saml:AssertionType` sequence, or it holds a nested
    /// `saml2:Assertion`. Same code as [`Self::AssertionStructure`]; the detail names the defect.
    #[error("assertion shape: {0}")]
    AssertionShape(&'static str),
    /// An `ID` (or XML-Sig/XML-Enc `Id`) value of the decrypted Assertion also occurs in the
    /// Response, e.g. an Assertion ID equal to the Response ID.
    #[error("an ID occurs in both the Response and the Assertion")]
    DuplicateId,
    /// Required Assertion fields missing or wrong (Version, ID, Issuer, Subject, statements, Advice).
    #[error("assertion structure: {0}")]
    AssertionStructure(&'static str),
    /// No bearer SubjectConfirmation matching Recipient, InResponseTo and NotOnOrAfter.
    #[error("subject confirmation")]
    SubjectConfirmation,
    /// Outside the Conditions time window.
    #[error("conditions time window")]
    Expired,
    /// Our entityID is not an Audience.
    #[error("audience mismatch")]
    AudienceMismatch,
    /// The Response or Assertion ID was seen before.
    #[error("replay")]
    Replay,
    /// The proxy's NodeCountry is not the country asked.
    #[error("country mismatch")]
    CountryMismatch,
    /// The LoA is missing, unknown, below the request or not published by the proxy.
    #[error("level of assurance: {0}")]
    Loa(&'static str),
    /// Attribute profile violation (values, representatives, required ones missing).
    #[error("attributes: {0}")]
    Attributes(AttributeError),
    /// Required attributes missing.
    #[error("required attribute missing")]
    AttributesMissing,
    /// Representation attributes (not supported).
    #[error("representation attributes are not supported")]
    Representative,
    /// PersonIdentifier (or a LegalPersonIdentifier) malformed, of another issuing country, or
    /// made for another destination country than ours.
    #[error("person identifier")]
    PersonIdentifier,
    /// NameID format differs from the request.
    #[error("NameID format")]
    NameIdFormat,
}

impl ResponseError {
    /// Stable code.
    pub fn code(&self) -> String {
        match self {
            Self::Xml(e) => e.code().to_owned(),
            Self::NotAResponse => "saml.not_a_response".into(),
            Self::Signature(e) => e.code().to_owned(),
            Self::SigningCertificate(CertValidity::NotYetValid) => "saml.signing_certificate_not_yet_valid".into(),
            Self::SigningCertificate(_) => "saml.signing_certificate_expired".into(),
            Self::Version => "saml.version".into(),
            Self::DestinationMismatch => "saml.destination_mismatch".into(),
            Self::InResponseToMismatch => "saml.in_response_to_mismatch".into(),
            Self::IssuerMismatch => "saml.issuer_mismatch".into(),
            Self::Stale => "saml.stale".into(),
            Self::Status => "saml.status".into(),
            Self::AssertionCount | Self::StrayAssertion => "saml.assertion_count".into(),
            Self::Decryption(e) => e.code().to_owned(),
            Self::NotAnAssertion => "saml.not_an_assertion".into(),
            Self::AssertionSignature(e) => format!("saml.assertion_{}", e.code().replace('.', "_")),
            Self::AssertionShape(_) | Self::AssertionStructure(_) => "saml.assertion_structure".into(),
            Self::DuplicateId => "saml.duplicate_id".into(),
            Self::SubjectConfirmation => "saml.subject_confirmation".into(),
            Self::Expired => "saml.expired".into(),
            Self::AudienceMismatch => "saml.audience_mismatch".into(),
            Self::Replay => "saml.replay".into(),
            Self::CountryMismatch => "saml.country_mismatch".into(),
            Self::Loa(_) => "saml.loa".into(),
            Self::Attributes(e) => e.code().to_owned(),
            Self::AttributesMissing => "saml.attributes_missing".into(),
            Self::Representative => "saml.representative_attributes".into(),
            Self::PersonIdentifier => "saml.person_identifier".into(),
            Self::NameIdFormat => "saml.name_id_format".into(),
        }
    }

    /// The failure code the hub receives (DESIGN §2.1): signature, decryption and correlation
    /// problems are `invalid_response`, with no detail (no oracle).
    pub fn failure_code(&self) -> FailureCode {
        match self {
            Self::Expired | Self::Stale => FailureCode::Expired,
            Self::Loa(_) => FailureCode::LoaNotMet,
            Self::AttributesMissing => FailureCode::AttributesMissing,
            _ => FailureCode::InvalidResponse,
        }
    }
}
