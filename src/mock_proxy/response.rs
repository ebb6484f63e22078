//! The mock proxy service's SAML Response (`reference/eidas-spec.md` §2.3–2.5): a signed
//! `saml2p:Response` to the connector's ACS, with, on success, one Assertion encrypted to the
//! connector's encryption certificate (AES-256-GCM; RSA-OAEP SHA-256/MGF1-SHA-256 or ECDH-ES
//! with ConcatKDF and kw-aes256), or a signed non-success status when the citizen cancels or
//! refuses consent.
//!
//! Pure: the request, the connector's metadata, the keys and `now` are arguments; ids and keys
//! of the encryption come from the OS random generator. Our own XML security core signs and
//! encrypts; the tests that prove the connector's validation use the independent Python tools.

use openssl::pkey::Id;
use time::{Duration, OffsetDateTime};

use super::connector::ConnectorInfo;
use super::identities::{ReleasedValue, TestIdentity, Unavailable};
use super::sso::CheckedRequest;
use super::MockKeyTransport;
use crate::saml::attributes::{AttributeDef, PersonKind};
use crate::saml::authn_request::new_request_id;
use crate::saml::status::{STATUS_REQUEST_DENIED, STATUS_RESPONDER, STATUS_SUCCESS};
use crate::saml::{
    format_instant, CountryCode, LevelOfAssurance, NameIdFormat, NAMEID_FORMAT_ENTITY, NAME_FORMAT_URI, NS_EIDAS_LEGAL,
    NS_EIDAS_NATURAL, NS_SAML, NS_SAMLP, NS_XSI,
};
use crate::xmlsec::dom::{Attribute, Document, Element, Node, NodeId};
use crate::xmlsec::dsig::{sign_element, DsigError};
use crate::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm, TrustedCert};
use crate::xmlsec::serialize::to_xml;
use crate::xmlsec::xmlenc::{encrypt_element, ContentAlgorithm, EncError, KeyTransport};

/// How long the Assertion may be used (the reference node's default: 5 minutes).
const ASSERTION_LIFETIME: Duration = Duration::minutes(5);
/// `urn:oasis:names:tc:SAML:2.0:cm:bearer`.
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// `Consent` of a Response the citizen agreed to (as the reference node writes it).
const CONSENT_OBTAINED: &str = "urn:oasis:names:tc:SAML:2.0:consent:obtained";
/// The reference node's message when the citizen leaves at the final confirmation
/// (`reference/franceconnect.md` §2.7).
pub(crate) const MESSAGE_CANCELLED: &str = "Citizen consent not given.";
/// The reference node's message when the citizen refuses to release the mandatory attributes
/// (`reference/franceconnect.md` §2.7).
pub(crate) const MESSAGE_CONSENT_REFUSED: &str = "Consent not given for a mandatory attribute.";

/// What the developer chose on the login page.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Answer {
    /// Sign in as `identity`, asserting `loa` (any level: a low one tests the connector).
    SignIn {
        /// The test identity.
        identity: &'static TestIdentity,
        /// The LoA to assert.
        loa: LevelOfAssurance,
    },
    /// Cancel: `Responder` / `RequestDenied`, [`MESSAGE_CANCELLED`].
    Cancel,
    /// Refuse consent: `Responder` / `RequestDenied`, [`MESSAGE_CONSENT_REFUSED`].
    RefuseConsent,
}

/// Everything a Response is made of besides the answer.
pub(crate) struct ResponseContext<'a> {
    /// Our entityID: the `Issuer`.
    pub issuer: &'a str,
    /// Our country: the `CC` of identifiers.
    pub country: CountryCode,
    /// The request answered.
    pub request: &'a CheckedRequest,
    /// The connector's metadata.
    pub connector: &'a ConnectorInfo,
    /// Signs the Response.
    pub signing_key: &'a PrivateKey,
    /// The signature method.
    pub signature_algorithm: SignatureAlgorithm,
    /// How the content key reaches the connector.
    pub key_transport: MockKeyTransport,
    /// Now.
    pub now: OffsetDateTime,
}

/// Why no Response could be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ResponseBuildError {
    /// The chosen identity cannot answer this request.
    #[error("this identity cannot answer the request: {0:?}")]
    IdentityUnavailable(Unavailable),
    /// The connector publishes no encryption certificate of the key type the transport needs.
    #[error("the connector metadata has no {0} encryption certificate for the configured key transport")]
    NoFittingEncryptionCertificate(&'static str),
    /// The random generator failed.
    #[error("cannot make an ID")]
    Id,
    /// Encryption failed.
    #[error("cannot encrypt the Assertion: {0}")]
    Encryption(#[source] EncError),
    /// Signing failed.
    #[error("cannot sign the Response: {0}")]
    Signature(#[source] DsigError),
}

impl ResponseBuildError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::IdentityUnavailable(_) => "mock.response.identity_unavailable",
            Self::NoFittingEncryptionCertificate(_) => "mock.response.no_fitting_encryption_certificate",
            Self::Id => "mock.response.id",
            Self::Encryption(_) => "mock.response.encryption",
            Self::Signature(_) => "mock.response.signature",
        }
    }
}

fn saml(local: &str) -> Element {
    Element::new(Some(NS_SAML), Some("saml2"), local)
}

fn samlp(local: &str) -> Element {
    Element::new(Some(NS_SAMLP), Some("saml2p"), local)
}

fn text_child(doc: &mut Document, parent: NodeId, e: Element, text: &str) -> NodeId {
    let id = doc.append(parent, Node::Element(e));
    doc.append(id, Node::Text(text.to_owned()));
    id
}

fn qualified(prefix: &str, ns: &str, local: &str, value: &str) -> Attribute {
    Attribute { prefix: Some(prefix.to_owned()), local: local.to_owned(), ns: Some(ns.into()), value: value.to_owned() }
}

fn new_id() -> Result<String, ResponseBuildError> {
    new_request_id().map_err(|_| ResponseBuildError::Id)
}

/// Builds, encrypts and signs the Response to `ctx.request` for `answer`; returns the XML.
pub(crate) fn build_response(ctx: &ResponseContext<'_>, answer: Answer) -> Result<String, ResponseBuildError> {
    let now = format_instant(ctx.now);
    let mut root = samlp("Response")
        .with_ns(Some("saml2p"), NS_SAMLP)
        .with_ns(Some("saml2"), NS_SAML)
        .with_ns(Some("xsi"), NS_XSI)
        .with_ns(Some("eidas-natural"), NS_EIDAS_NATURAL)
        .with_ns(Some("eidas-legal"), NS_EIDAS_LEGAL)
        .with_attr("Destination", &ctx.connector.acs_url)
        .with_attr("ID", &new_id()?)
        .with_attr("InResponseTo", &ctx.request.id)
        .with_attr("IssueInstant", &now)
        .with_attr("Version", "2.0");
    if matches!(answer, Answer::SignIn { .. }) {
        root.set_attr("Consent", CONSENT_OBTAINED);
    }
    let mut doc = Document::new(root);
    let r = doc.root();
    // eidas-spec §2.3: Issuer (Format entity) = our metadata URL; the signature goes after it.
    text_child(&mut doc, r, saml("Issuer").with_attr("Format", NAMEID_FORMAT_ENTITY), ctx.issuer);
    let status = doc.append(r, Node::Element(samlp("Status")));
    match answer {
        Answer::SignIn { identity, loa } => {
            doc.append(status, Node::Element(samlp("StatusCode").with_attr("Value", STATUS_SUCCESS)));
            identity.availability(ctx.request).map_err(ResponseBuildError::IdentityUnavailable)?;
            let recipient = encryption_certificate(ctx)?;
            let wrapper = doc.append(r, Node::Element(saml("EncryptedAssertion")));
            let assertion = append_assertion(&mut doc, wrapper, ctx, identity, loa)?;
            // eIDAS IA 3.2.2 (MF 1.4: assertions MUST be encrypted); CR 3.2: AES-GCM.
            let transport = KeyTransport::RsaOaep { digest: DigestAlgorithm::Sha256, mgf: DigestAlgorithm::Sha256 };
            encrypt_element(&mut doc, assertion, recipient, ContentAlgorithm::Aes256Gcm, transport)
                .map_err(ResponseBuildError::Encryption)?;
        }
        Answer::Cancel | Answer::RefuseConsent => {
            // eidas-spec §2.4: Responder / RequestDenied and the reference node's message.
            let code = doc.append(status, Node::Element(samlp("StatusCode").with_attr("Value", STATUS_RESPONDER)));
            doc.append(code, Node::Element(samlp("StatusCode").with_attr("Value", STATUS_REQUEST_DENIED)));
            let message = if matches!(answer, Answer::Cancel) { MESSAGE_CANCELLED } else { MESSAGE_CONSENT_REFUSED };
            text_child(&mut doc, status, samlp("StatusMessage"), message);
        }
    }
    // MF 1.4: Responses MUST be signed; xmlsec-profile 29–31: enveloped, exc-c14n, #ID.
    sign_element(&mut doc, r, ctx.signing_key, ctx.signature_algorithm, ctx.signature_algorithm.digest())
        .map_err(ResponseBuildError::Signature)?;
    Ok(to_xml(&doc))
}

/// The first published encryption certificate whose key type fits the transport.
fn encryption_certificate<'a>(ctx: &ResponseContext<'a>) -> Result<&'a TrustedCert, ResponseBuildError> {
    let (wanted, name) = match ctx.key_transport {
        MockKeyTransport::RsaOaep => (Id::RSA, "RSA"),
        MockKeyTransport::EcdhEs => (Id::EC, "EC"),
    };
    ctx.connector
        .encryption_certs
        .iter()
        .find(|c| c.key.id() == wanted)
        .ok_or(ResponseBuildError::NoFittingEncryptionCertificate(name))
}

/// The Assertion (eidas-spec §2.3, SAML Core 2.3.3 order: Issuer, Subject, Conditions,
/// AuthnStatement, AttributeStatement), appended to `parent`.
fn append_assertion(
    doc: &mut Document,
    parent: NodeId,
    ctx: &ResponseContext<'_>,
    identity: &TestIdentity,
    loa: LevelOfAssurance,
) -> Result<NodeId, ResponseBuildError> {
    let now = format_instant(ctx.now);
    let until = format_instant(ctx.now + ASSERTION_LIFETIME);
    let assertion = doc.append(
        parent,
        Node::Element(
            saml("Assertion").with_attr("ID", &new_id()?).with_attr("IssueInstant", &now).with_attr("Version", "2.0"),
        ),
    );
    text_child(doc, assertion, saml("Issuer").with_attr("Format", NAMEID_FORMAT_ENTITY), ctx.issuer);

    // eidas-spec §2.5: the format asked; a transient NameID is random, the others stable.
    let subject = doc.append(assertion, Node::Element(saml("Subject")));
    let format = ctx.request.name_id_format;
    let name_id = match format {
        NameIdFormat::Transient => new_id()?,
        NameIdFormat::Persistent | NameIdFormat::Unspecified => {
            super::identities::identifier(ctx.country, ctx.connector.node_country, identity.stable_id)
        }
    };
    text_child(doc, subject, saml("NameID").with_attr("Format", format.uri()), &name_id);
    // SAML Profiles 4.1.4.2: a bearer confirmation for the ACS and the request.
    let confirmation = doc.append(subject, Node::Element(saml("SubjectConfirmation").with_attr("Method", BEARER)));
    doc.append(
        confirmation,
        Node::Element(
            saml("SubjectConfirmationData")
                .with_attr("InResponseTo", &ctx.request.id)
                .with_attr("NotOnOrAfter", &until)
                .with_attr("Recipient", &ctx.connector.acs_url),
        ),
    );

    // SAML Core 2.5.1; eidas-spec §2.6 step 15: the Audience is the connector's entityID.
    let conditions = doc.append(
        assertion,
        Node::Element(saml("Conditions").with_attr("NotBefore", &now).with_attr("NotOnOrAfter", &until)),
    );
    let restriction = doc.append(conditions, Node::Element(saml("AudienceRestriction")));
    text_child(doc, restriction, saml("Audience"), &ctx.connector.entity_id);

    let authn = doc.append(assertion, Node::Element(saml("AuthnStatement").with_attr("AuthnInstant", &now)));
    let context = doc.append(authn, Node::Element(saml("AuthnContext")));
    text_child(doc, context, saml("AuthnContextClassRef"), loa.uri());

    let statement = doc.append(assertion, Node::Element(saml("AttributeStatement")));
    for (def, values) in identity.released(ctx.request, ctx.country, ctx.connector.node_country) {
        append_attribute(doc, statement, def, &values);
    }
    Ok(assertion)
}

/// eIDAS AP 1.4 §2.1: NameFormat uri, the FriendlyName, `xsi:type` `<prefix>:<Name>Type`, and
/// `LatinScript="false"` (qualified, as the reference node reads it) on an original-script
/// value (AP 2.4).
fn append_attribute(doc: &mut Document, parent: NodeId, def: &AttributeDef, values: &[ReleasedValue]) {
    let (prefix, ns) = match def.kind {
        PersonKind::Natural => ("eidas-natural", NS_EIDAS_NATURAL),
        PersonKind::Legal => ("eidas-legal", NS_EIDAS_LEGAL),
    };
    let attribute = doc.append(
        parent,
        Node::Element(
            saml("Attribute")
                .with_attr("FriendlyName", def.friendly_name)
                .with_attr("Name", def.name)
                .with_attr("NameFormat", NAME_FORMAT_URI),
        ),
    );
    let local = def.name.rsplit('/').next().unwrap_or(def.friendly_name);
    let xsi_type = format!("{prefix}:{local}Type");
    for v in values {
        let mut e = saml("AttributeValue");
        e.attributes.push(qualified("xsi", NS_XSI, "type", &xsi_type));
        if !v.latin_script {
            e.attributes.push(qualified(prefix, ns, "LatinScript", "false"));
        }
        text_child(doc, attribute, e, &v.text);
    }
}
