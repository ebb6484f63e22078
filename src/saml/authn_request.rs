//! The eIDAS AuthnRequest we send to a foreign proxy service, and its HTTP-POST form
//! (`reference/eidas-spec.md` §1 facts 1–10, §2.2, §7.3).
//!
//! Requests are signed (enveloped, exc-c14n, RSASSA-PSS or ECDSA), carry
//! `ForceAuthn="true"` and `IsPassive="false"`, never `AssertionConsumerServiceURL` nor
//! `ProtocolBinding`, never `eidas:SPType` (it is in our metadata, fact 6), request the
//! minimum data set as required, and ask one notified LoA with `Comparison="minimum"`.
//! Pure: the id, the instant and the key are arguments.

use time::OffsetDateTime;

use super::attributes::{self, PersonKind};
use super::{
    format_instant, LevelOfAssurance, NameIdFormat, NAMEID_FORMAT_ENTITY, NAME_FORMAT_URI, NS_EIDAS, NS_SAML, NS_SAMLP,
};
use crate::xmlsec::dom::is_xml_text;
use crate::xmlsec::dsig::{sign_element, DsigError};
use crate::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm};
use crate::xmlsec::serialize::{escape_attr, to_xml};
use crate::xmlsec::{encode_base64, Document, Element, Node, NodeId};

/// Largest `ProviderName` the reference node accepts (`max.providerName.size`).
const MAX_PROVIDER_NAME_CHARS: usize = 128;
/// Largest `RequesterID` the reference node accepts (`max.requesterId.size`).
const MAX_REQUESTER_ID_CHARS: usize = 1024;

/// Why a request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthnRequestError {
    /// An attribute name that is not in the eIDAS attribute profile.
    #[error("unknown attribute {0}")]
    UnknownAttribute(String),
    /// Natural and legal person attributes in one request (MF 1.4 §2.3.2).
    #[error("natural and legal person attributes cannot be requested together")]
    MixedPersonKinds,
    /// A required attribute the proxy service does not publish (MF 2.3.2).
    #[error("the proxy service does not publish required attribute {0}")]
    AttributeNotSupported(String),
    /// None of the LoAs the proxy service publishes reaches the requested level (CEF 000009).
    #[error("the proxy service publishes no level of assurance reaching {0}")]
    LoaNotSupported(LevelOfAssurance),
    /// A request ID that is not an NCName with at least 128 random bits.
    #[error("invalid request id")]
    InvalidId,
    /// `ProviderName` or `RequesterID` too long or empty.
    #[error("invalid {0}")]
    InvalidValue(&'static str),
    /// Signing failed.
    #[error(transparent)]
    Signature(#[from] DsigError),
}

impl AuthnRequestError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownAttribute(_) => "request.unknown_attribute",
            Self::MixedPersonKinds => "request.mixed_person_kinds",
            Self::AttributeNotSupported(_) => "request.attribute_not_supported",
            Self::LoaNotSupported(_) => "request.loa_not_supported",
            Self::InvalidId => "request.invalid_id",
            Self::InvalidValue(_) => "request.invalid_value",
            Self::Signature(e) => e.code(),
        }
    }
}

/// One attribute to request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequestedAttribute {
    /// The attribute Name URI.
    pub name: String,
    /// `isRequired`.
    pub required: bool,
}

/// What the proxy service's verified metadata tells the builder.
#[derive(Debug, Clone, Default)]
pub struct ProxyCapabilities {
    /// `SingleSignOnService` HTTP-POST location: the request's `Destination`.
    pub sso_post_url: String,
    /// Attribute names the proxy publishes; empty means "not published".
    pub supported_attributes: Vec<String>,
    /// Notified LoAs the proxy publishes; empty means "not published".
    pub levels_of_assurance: Vec<LevelOfAssurance>,
    /// The proxy asks private SPs for `RequesterID` (entity category termsofaccess/requesterid).
    pub requester_id_flag: bool,
}

/// The request to build.
#[derive(Debug, Clone)]
pub struct AuthnRequestParams {
    /// Request ID: `_` + at least 128 random bits (see [`new_request_id`]).
    pub id: String,
    /// `IssueInstant`.
    pub issue_instant: OffsetDateTime,
    /// Our entityID (= our metadata URL): the `Issuer`.
    pub issuer: String,
    /// `ProviderName` (the relying party's display name), optional.
    pub provider_name: Option<String>,
    /// The requested minimum LoA.
    pub level_of_assurance: LevelOfAssurance,
    /// Requested attributes (Name URI or FriendlyName); the minimum data set is always added.
    pub requested_attributes: Vec<RequestedAttribute>,
    /// Non-notified LoA URIs also acceptable (never under `http://eidas.europa.eu/LoA/`);
    /// empty on the FranceConnect+ path.
    pub non_notified_levels: Vec<String>,
    /// `NameIDPolicy/@Format`.
    pub name_id_format: NameIdFormat,
    /// The actual relying party, for private SPs; sent only when the proxy asks for it.
    pub requester_id: Option<String>,
}

/// A fresh request or assertion ID: `_` + 32 bytes (256 bits) from the OS CSPRNG, hex
/// (xmlsec-profile 31).
pub fn new_request_id() -> Result<String, AuthnRequestError> {
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes).map_err(|_| AuthnRequestError::InvalidId)?;
    Ok(format!("_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// The attribute list actually sent: named ones resolved to URIs, the minimum data set of
/// the person kind added as required, attributes the proxy does not publish dropped
/// (optional) or refused (required).
pub fn resolve_requested_attributes(
    requested: &[RequestedAttribute],
    proxy: &ProxyCapabilities,
) -> Result<Vec<RequestedAttribute>, AuthnRequestError> {
    let mut out: Vec<RequestedAttribute> = Vec::new();
    let mut kind: Option<PersonKind> = None;
    for r in requested {
        let def = attributes::by_name(&r.name)
            .or_else(|| attributes::by_friendly_name(&r.name))
            .ok_or_else(|| AuthnRequestError::UnknownAttribute(r.name.clone()))?;
        // eIDAS MF 1.4 §2.3.2: never natural and legal person attributes together.
        match kind {
            Some(k) if k != def.kind => return Err(AuthnRequestError::MixedPersonKinds),
            _ => kind = Some(def.kind),
        }
        push(&mut out, def.name, r.required);
    }
    for def in attributes::minimum_data_set(kind.unwrap_or(PersonKind::Natural)) {
        if def.mandatory {
            push(&mut out, def.name, true);
        }
    }
    if !proxy.supported_attributes.is_empty() {
        let published = |n: &str| proxy.supported_attributes.iter().any(|s| s == n);
        if let Some(missing) = out.iter().find(|a| a.required && !published(&a.name)) {
            return Err(AuthnRequestError::AttributeNotSupported(missing.name.clone()));
        }
        // eIDAS MF 2.3.2: only published attributes may be requested.
        out.retain(|a| published(&a.name));
    }
    Ok(out)
}

fn push(out: &mut Vec<RequestedAttribute>, name: &str, required: bool) {
    match out.iter_mut().find(|a| a.name == name) {
        Some(a) => a.required |= required,
        None => out.push(RequestedAttribute { name: name.to_owned(), required }),
    }
}

/// Builds and signs the AuthnRequest; returns the XML to post.
pub fn build_authn_request(
    params: &AuthnRequestParams,
    proxy: &ProxyCapabilities,
    key: &PrivateKey,
    algorithm: SignatureAlgorithm,
    digest: DigestAlgorithm,
) -> Result<String, AuthnRequestError> {
    // xmlsec-profile 31: an NCName with at least 128 random bits (hex: 32 characters).
    if !params.id.starts_with('_') || params.id.len() < 33 || !crate::xmlsec::dom::is_ncname(&params.id) {
        return Err(AuthnRequestError::InvalidId);
    }
    // eIDAS-Node 000009: refuse to send what the proxy cannot satisfy.
    if !proxy.levels_of_assurance.is_empty()
        && !proxy.levels_of_assurance.iter().any(|l| *l >= params.level_of_assurance)
    {
        return Err(AuthnRequestError::LoaNotSupported(params.level_of_assurance));
    }
    // eIDAS MF 3.1: non-notified levels MUST NOT use the notified prefix; no duplicates.
    for (i, uri) in params.non_notified_levels.iter().enumerate() {
        if uri.starts_with("http://eidas.europa.eu/LoA/")
            || uri.trim().is_empty()
            || !is_xml_text(uri)
            || params.non_notified_levels.iter().take(i).any(|u| u == uri)
        {
            return Err(AuthnRequestError::InvalidValue("non-notified level of assurance"));
        }
    }
    let attrs = resolve_requested_attributes(&params.requested_attributes, proxy)?;
    let mut doc = Document::new(
        Element::new(Some(NS_SAMLP), Some("saml2p"), "AuthnRequest")
            .with_ns(Some("saml2p"), NS_SAMLP)
            .with_ns(Some("saml2"), NS_SAML)
            .with_ns(Some("eidas"), NS_EIDAS)
            .with_attr("Consent", "urn:oasis:names:tc:SAML:2.0:consent:unspecified")
            .with_attr("Destination", &proxy.sso_post_url)
            // eIDAS MF 1.4 §2.4.1: ForceAuthn MUST be true; CEF requires both flags present.
            .with_attr("ForceAuthn", "true")
            .with_attr("ID", &params.id)
            .with_attr("IsPassive", "false")
            .with_attr("IssueInstant", &format_instant(params.issue_instant))
            .with_attr("Version", "2.0"),
    );
    let root = doc.root();
    if let Some(name) = &params.provider_name {
        if name.trim().is_empty() || name.chars().count() > MAX_PROVIDER_NAME_CHARS || !is_xml_text(name) {
            return Err(AuthnRequestError::InvalidValue("ProviderName"));
        }
        if let Some(e) = doc.element_mut(root) {
            e.set_attr("ProviderName", name);
        }
    }
    let issuer = append(&mut doc, root, NS_SAML, "saml2", "Issuer", &[("Format", NAMEID_FORMAT_ENTITY)]);
    doc.append(issuer, Node::Text(params.issuer.clone()));
    let ext = append(&mut doc, root, NS_SAMLP, "saml2p", "Extensions", &[]);
    let ras = append(&mut doc, ext, NS_EIDAS, "eidas", "RequestedAttributes", &[]);
    for a in &attrs {
        let friendly = attributes::by_name(&a.name).map_or("", |d| d.friendly_name);
        let required = if a.required { "true" } else { "false" };
        append(
            &mut doc,
            ras,
            NS_EIDAS,
            "eidas",
            "RequestedAttribute",
            &[("FriendlyName", friendly), ("Name", &a.name), ("NameFormat", NAME_FORMAT_URI), ("isRequired", required)],
        );
    }
    append(
        &mut doc,
        root,
        NS_SAMLP,
        "saml2p",
        "NameIDPolicy",
        &[("AllowCreate", "true"), ("Format", params.name_id_format.uri())],
    );
    // eIDAS MF 1.4 §2.4.1 / fact 7: a notified LoA goes with Comparison="minimum" and one
    // ClassRef; with non-notified levels, Comparison="exact" lists every acceptable URI: the
    // requested notified level, all higher notified levels, then the non-notified ones.
    let (comparison, class_refs): (&str, Vec<String>) = if params.non_notified_levels.is_empty() {
        ("minimum", vec![params.level_of_assurance.uri().to_owned()])
    } else {
        let notified = [LevelOfAssurance::Low, LevelOfAssurance::Substantial, LevelOfAssurance::High]
            .into_iter()
            .filter(|l| *l >= params.level_of_assurance)
            .map(|l| l.uri().to_owned());
        ("exact", notified.chain(params.non_notified_levels.iter().cloned()).collect())
    };
    let rac = append(&mut doc, root, NS_SAMLP, "saml2p", "RequestedAuthnContext", &[("Comparison", comparison)]);
    for uri in class_refs {
        let class = append(&mut doc, rac, NS_SAML, "saml2", "AuthnContextClassRef", &[]);
        doc.append(class, Node::Text(uri));
    }
    // Fact 10: Scoping/RequesterID only when the proxy asks for it; it comes last (schema order).
    if let (true, Some(rid)) = (proxy.requester_id_flag, &params.requester_id) {
        if rid.trim().is_empty() || rid.chars().count() > MAX_REQUESTER_ID_CHARS || !is_xml_text(rid) {
            return Err(AuthnRequestError::InvalidValue("RequesterID"));
        }
        let scoping = append(&mut doc, root, NS_SAMLP, "saml2p", "Scoping", &[]);
        let r = append(&mut doc, scoping, NS_SAMLP, "saml2p", "RequesterID", &[]);
        doc.append(r, Node::Text(rid.clone()));
    }
    sign_element(&mut doc, root, key, algorithm, digest)?;
    Ok(to_xml(&doc))
}

fn append(doc: &mut Document, parent: NodeId, ns: &str, prefix: &str, local: &str, attrs: &[(&str, &str)]) -> NodeId {
    let mut e = Element::new(Some(ns), Some(prefix), local);
    for (k, v) in attrs {
        e.set_attr(k, v);
    }
    doc.append(parent, Node::Element(e))
}

/// The HTTP-POST binding form that the browser submits to the proxy service
/// (xmlsec-profile 32: every interpolated value is escaped, RelayState included).
pub fn render_post_form(action: &str, saml_request_xml: &str, relay_state: &str) -> String {
    let mut a = String::new();
    escape_attr(action, &mut a);
    let mut r = String::new();
    escape_attr(relay_state, &mut r);
    let mut s = String::new();
    escape_attr(&encode_base64(saml_request_xml.as_bytes()), &mut s);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Redirecting to your country's eID service</title></head>\n\
<body onload=\"document.forms[0].submit()\">\n<form method=\"post\" action=\"{a}\">\n\
<input type=\"hidden\" name=\"SAMLRequest\" value=\"{s}\">\n<input type=\"hidden\" name=\"RelayState\" value=\"{r}\">\n\
<noscript><p>JavaScript is off: press the button to continue.</p><button type=\"submit\">Continue</button></noscript>\n\
</form>\n</body>\n</html>\n"
    )
}

#[cfg(test)]
mod tests;
