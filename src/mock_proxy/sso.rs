//! The AuthnRequest checks a proxy service runs (`reference/eidas-spec.md` §2.2, §7.3), for the
//! mock's `POST /sso`: decode, read the `Issuer` (to know whose metadata to fetch), verify the
//! enveloped signature against the connector's published signing certificates, then the eIDAS
//! rules. Each refusal is its own [`SsoError`] variant with a stable code and a message that
//! tells the developer what is wrong.
//!
//! Pure: the connector's metadata, our SSO URL and `now` are arguments. Everything after the
//! signature is read from the verified element only.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::connector::ConnectorInfo;
use crate::saml::attributes::{self, PersonKind};
use crate::saml::authn_request::RequestedAttribute;
use crate::saml::{LevelOfAssurance, NameIdFormat, NAMEID_FORMAT_ENTITY, NAME_FORMAT_URI, NS_EIDAS, NS_SAML, NS_SAMLP};
use crate::xmlsec::dom::{Document, Limits, NodeId};
use crate::xmlsec::dsig::{verify_element, DsigError, SignaturePolicy};
use crate::xmlsec::{read_message, XmlError};

/// Oldest acceptable `IssueInstant` (the reference node's default message age).
const MAX_REQUEST_AGE: Duration = Duration::minutes(5);
/// Tolerated clock skew.
const CLOCK_SKEW: Duration = Duration::seconds(60);

/// Why an AuthnRequest is refused, in the order the checks run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SsoError {
    /// No `SAMLRequest` field.
    #[error("no SAMLRequest in the form (HTTP-POST binding: SAMLRequest, RelayState)")]
    MissingSamlRequest,
    /// Not base64 of acceptable XML.
    #[error("SAMLRequest is not base64 of acceptable XML: {0}")]
    Xml(#[source] XmlError),
    /// The document element is not `saml2p:AuthnRequest`.
    #[error("the message is not a saml2p:AuthnRequest")]
    NotAuthnRequest,
    /// No `saml2:Issuer`, or one of another format than entity.
    #[error("the AuthnRequest has no saml2:Issuer of format entity (eIDAS: the connector metadata URL)")]
    Issuer,
    /// The signature is missing or does not verify with the connector's published certificates.
    #[error("the AuthnRequest signature is refused ({code}: {0}); it must verify with a signing certificate of the connector metadata", code = .0.code())]
    Signature(#[source] DsigError),
    /// `Version` is not 2.0.
    #[error("Version is not 2.0")]
    Version,
    /// `Destination` is not our SSO URL.
    #[error("Destination {found:?} is not this proxy service's SSO URL {expected:?}")]
    Destination {
        /// Ours.
        expected: String,
        /// The request's.
        found: Option<String>,
    },
    /// `IssueInstant` missing, unreadable, too old or in the future.
    #[error("IssueInstant {0:?} is not within the last 5 minutes (60 s skew)")]
    IssueInstant(Option<String>),
    /// `ForceAuthn` is not `true` or `IsPassive` is not `false` (eIDAS MF 1.4 §2.4.1; CEF).
    #[error("ForceAuthn must be \"true\" and IsPassive \"false\"")]
    Flags,
    /// `AssertionConsumerServiceURL` differs from the metadata's ACS (eIDAS MF 1.4 §2.4.1).
    #[error("AssertionConsumerServiceURL {found:?} is not the ACS of the connector metadata {expected:?}")]
    AcsMismatch {
        /// The metadata's.
        expected: String,
        /// The request's.
        found: String,
    },
    /// No `eidas:RequestedAttributes`, or an empty one (eIDAS MF 1.4 §2.3.2).
    #[error("no eidas:RequestedAttribute in saml2p:Extensions/eidas:RequestedAttributes")]
    NoRequestedAttributes,
    /// A `RequestedAttribute` without `Name` or with another `NameFormat` than uri.
    #[error("a RequestedAttribute has no Name or a NameFormat other than {NAME_FORMAT_URI}")]
    RequestedAttribute,
    /// Natural and legal person attributes in one request (eIDAS MF 1.4 §2.3.2).
    #[error("natural and legal person attributes are requested together")]
    MixedPersonKinds,
    /// `NameIDPolicy/@Format` is not persistent, transient or unspecified (MF 2.2).
    #[error("NameIDPolicy Format {0:?} is not persistent, transient or unspecified")]
    NameIdFormat(String),
    /// No `RequestedAuthnContext` with a notified LoA, or a comparison the profile forbids.
    #[error("RequestedAuthnContext must ask a notified LoA: Comparison=\"minimum\" with exactly one, or \"exact\" with at least one ({0})")]
    LevelOfAssurance(&'static str),
}

impl SsoError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingSamlRequest => "mock.request.missing",
            Self::Xml(_) => "mock.request.xml",
            Self::NotAuthnRequest => "mock.request.not_authn_request",
            Self::Issuer => "mock.request.issuer",
            Self::Signature(_) => "mock.request.signature",
            Self::Version => "mock.request.version",
            Self::Destination { .. } => "mock.request.destination",
            Self::IssueInstant(_) => "mock.request.issue_instant",
            Self::Flags => "mock.request.flags",
            Self::AcsMismatch { .. } => "mock.request.acs_mismatch",
            Self::NoRequestedAttributes => "mock.request.no_requested_attributes",
            Self::RequestedAttribute => "mock.request.requested_attribute",
            Self::MixedPersonKinds => "mock.request.mixed_person_kinds",
            Self::NameIdFormat(_) => "mock.request.name_id_format",
            Self::LevelOfAssurance(_) => "mock.request.level_of_assurance",
        }
    }
}

/// A received AuthnRequest, parsed but not yet trusted.
pub(crate) struct ReceivedRequest {
    doc: Document,
    /// The `Issuer`: where the connector's metadata is (unless configured otherwise).
    pub issuer: String,
}

/// What the mock answers to: an AuthnRequest whose signature and eIDAS checks passed.
#[derive(Debug, Clone)]
pub(crate) struct CheckedRequest {
    /// `ID`: the Response's `InResponseTo`.
    pub id: String,
    /// `ProviderName`, shown on the login page.
    pub provider_name: Option<String>,
    /// The minimum LoA asked (the lowest notified level listed).
    pub level_of_assurance: LevelOfAssurance,
    /// `NameIDPolicy/@Format`; persistent when absent (as the reference node does).
    pub name_id_format: NameIdFormat,
    /// The requested attributes, in request order.
    pub requested: Vec<RequestedAttribute>,
}

impl CheckedRequest {
    /// True when the request asks at least one attribute of `kind`.
    pub fn asks(&self, kind: PersonKind) -> bool {
        self.requested.iter().any(|r| attributes::by_name(&r.name).is_some_and(|d| d.kind == kind))
    }
}

/// Decodes the `SAMLRequest` field (base64, not deflated) and reads the `Issuer`.
pub(crate) fn receive(saml_request: Option<&str>) -> Result<ReceivedRequest, SsoError> {
    let field = saml_request.map(str::trim).filter(|s| !s.is_empty()).ok_or(SsoError::MissingSamlRequest)?;
    let limits = Limits::default();
    let xml = read_message(field.as_bytes(), &limits).map_err(SsoError::Xml)?;
    let doc = Document::parse(&xml, &limits).map_err(SsoError::Xml)?;
    let root = doc.root();
    if !doc.is(root, NS_SAMLP, "AuthnRequest") {
        return Err(SsoError::NotAuthnRequest);
    }
    // eidas-spec §2.2: the Issuer is the connector metadata URL, Format entity if present.
    let issuer_node = doc.first_child_named(root, NS_SAML, "Issuer").ok_or(SsoError::Issuer)?;
    if doc.attr(issuer_node, "Format").is_some_and(|f| f != NAMEID_FORMAT_ENTITY) {
        return Err(SsoError::Issuer);
    }
    let issuer = doc.simple_text(issuer_node).map_err(|_| SsoError::Issuer)?.trim().to_owned();
    if issuer.is_empty() {
        return Err(SsoError::Issuer);
    }
    Ok(ReceivedRequest { doc, issuer })
}

/// Verifies the signature of `request` against `connector`'s signing certificates and runs
/// the eIDAS checks of a proxy service; `sso_url` is ours.
pub(crate) fn check(
    request: &ReceivedRequest,
    connector: &ConnectorInfo,
    sso_url: &str,
    now: OffsetDateTime,
) -> Result<CheckedRequest, SsoError> {
    let doc = &request.doc;
    // eIDAS IA 3.2.1: the AuthnRequest MUST be signed; CEF checks it with the metadata's cert.
    let verified = verify_element(doc, doc.root(), &connector.signing_certs, &SignaturePolicy::default())
        .map_err(SsoError::Signature)?;
    let root = verified.node();
    // SAML Core 3.2.1.
    if doc.attr(root, "Version") != Some("2.0") {
        return Err(SsoError::Version);
    }
    // SAML Bindings 3.5.5.2; eidas-spec §2.2: Destination is required with the POST binding.
    let destination = doc.attr(root, "Destination").map(str::trim);
    if destination != Some(sso_url) {
        return Err(SsoError::Destination { expected: sso_url.to_owned(), found: destination.map(str::to_owned) });
    }
    let instant = doc.attr(root, "IssueInstant");
    let fresh = instant
        .and_then(|i| OffsetDateTime::parse(i.trim(), &Rfc3339).ok())
        .is_some_and(|i| i <= now + CLOCK_SKEW && i + MAX_REQUEST_AGE + CLOCK_SKEW >= now);
    if !fresh {
        return Err(SsoError::IssueInstant(instant.map(str::to_owned)));
    }
    // eIDAS MF 1.4 §2.4.1; CEF proxy: ForceAuthn present and true, IsPassive present and false.
    if doc.attr(root, "ForceAuthn").map(str::trim) != Some("true")
        || doc.attr(root, "IsPassive").map(str::trim) != Some("false")
    {
        return Err(SsoError::Flags);
    }
    // eIDAS MF 1.4 §2.4.1: if present, compared case-sensitively with the metadata's ACS.
    if let Some(acs) = doc.attr(root, "AssertionConsumerServiceURL") {
        if acs.trim() != connector.acs_url {
            return Err(SsoError::AcsMismatch { expected: connector.acs_url.clone(), found: acs.to_owned() });
        }
    }
    let requested = requested_attributes(doc, root)?;
    let name_id_format = name_id_format(doc, root)?;
    let level_of_assurance = level_of_assurance(doc, root)?;
    let provider_name = doc.attr(root, "ProviderName").map(str::to_owned);
    let id = doc.attr(root, "ID").ok_or(SsoError::Signature(DsigError::Reference))?.to_owned();
    Ok(CheckedRequest { id, provider_name, level_of_assurance, name_id_format, requested })
}

/// eIDAS MF 1.4 §2.3.2: `saml2p:Extensions/eidas:RequestedAttributes`, non-empty, each with a
/// Name and NameFormat uri; never natural and legal person attributes together.
fn requested_attributes(doc: &Document, root: NodeId) -> Result<Vec<RequestedAttribute>, SsoError> {
    let list = doc
        .first_child_named(root, NS_SAMLP, "Extensions")
        .and_then(|e| doc.first_child_named(e, NS_EIDAS, "RequestedAttributes"))
        .ok_or(SsoError::NoRequestedAttributes)?;
    let mut out = Vec::new();
    for a in doc.children_named(list, NS_EIDAS, "RequestedAttribute") {
        let name = doc.attr(a, "Name").map(str::trim).filter(|n| !n.is_empty());
        let (Some(name), Some(NAME_FORMAT_URI)) = (name, doc.attr(a, "NameFormat")) else {
            return Err(SsoError::RequestedAttribute);
        };
        let required = matches!(doc.attr(a, "isRequired").map(str::trim), Some("true" | "1"));
        out.push(RequestedAttribute { name: name.to_owned(), required });
    }
    if out.is_empty() {
        return Err(SsoError::NoRequestedAttributes);
    }
    let kinds = |k: PersonKind| out.iter().any(|r| attributes::by_name(&r.name).is_some_and(|d| d.kind == k));
    if kinds(PersonKind::Natural) && kinds(PersonKind::Legal) {
        return Err(SsoError::MixedPersonKinds);
    }
    Ok(out)
}

/// eidas-spec §2.5: persistent, transient or unspecified; persistent when absent (CEF).
fn name_id_format(doc: &Document, root: NodeId) -> Result<NameIdFormat, SsoError> {
    let format = doc.first_child_named(root, NS_SAMLP, "NameIDPolicy").and_then(|p| doc.attr(p, "Format"));
    match format {
        None => Ok(NameIdFormat::Persistent),
        Some(f) => NameIdFormat::from_uri(f.trim()).ok_or_else(|| SsoError::NameIdFormat(f.to_owned())),
    }
}

/// eidas-spec §4 (CEF `EidasRequestedAuthContextValidator`): `minimum` with exactly one
/// notified level, or `exact` listing acceptable levels; the lowest notified one is asked.
fn level_of_assurance(doc: &Document, root: NodeId) -> Result<LevelOfAssurance, SsoError> {
    let context = doc
        .first_child_named(root, NS_SAMLP, "RequestedAuthnContext")
        .ok_or(SsoError::LevelOfAssurance("no RequestedAuthnContext"))?;
    let refs: Vec<String> = doc
        .children_named(context, NS_SAML, "AuthnContextClassRef")
        .filter_map(|c| doc.simple_text(c).ok())
        .map(|t| t.trim().to_owned())
        .collect();
    let notified: Vec<LevelOfAssurance> = refs.iter().filter_map(|r| LevelOfAssurance::from_uri(r)).collect();
    match doc.attr(context, "Comparison").map(str::trim) {
        Some("minimum") if refs.len() != 1 => Err(SsoError::LevelOfAssurance("minimum lists more than one level")),
        Some("minimum" | "exact") => {
            notified.into_iter().min().ok_or(SsoError::LevelOfAssurance("no notified level is listed"))
        }
        Some(_) => Err(SsoError::LevelOfAssurance("Comparison is neither minimum nor exact")),
        None => Err(SsoError::LevelOfAssurance("no Comparison (CEF reads it as exact: send it)")),
    }
}
