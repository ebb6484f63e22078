//! The mock proxy service's metadata (eIDAS MF 1.4; eidas-spec §6.1): an `md:EntityDescriptor`
//! with an `md:IDPSSODescriptor`, built with the same element builders as our connector
//! metadata, signed by the metadata-signing key (Reference `#ID`) and re-signed when half its
//! validity has passed.
//!
//! It publishes what the mock does: the HTTP-POST SSO URL, the LoAs substantial and high, every
//! attribute of the eIDAS catalog, its response-signing certificate.

use std::sync::RwLock;

use time::{Duration, OffsetDateTime};

use super::MockProxySettings;
use crate::saml::attributes;
use crate::saml::authn_request::new_request_id;
use crate::saml::metadata::elements::{
    algorithm_support, contact, encryption_methods, entity_attribute, entity_attributes, entity_descriptor,
    key_descriptor, md, organization, role_node_country, text_child,
};
use crate::saml::metadata::{
    ContactPerson, MetadataError, Organization, ATTR_APPLICATION_IDENTIFIER, ATTR_ASSURANCE_CERTIFICATION,
    ATTR_PROTOCOL_VERSION, BINDING_POST,
};
use crate::saml::{LevelOfAssurance, NameIdFormat, NAME_FORMAT_URI, NS_SAML, NS_SAMLP};
use crate::xmlsec::dom::{Element, Node};
use crate::xmlsec::dsig::sign_element;
use crate::xmlsec::keys::{DigestAlgorithm, SignatureAlgorithm};
use crate::xmlsec::serialize::to_xml;
use crate::xmlsec::xmlenc::ContentAlgorithm;

/// The protocol versions it announces.
const PROTOCOL_VERSIONS: [&str; 4] = ["1.4", "1.3", "1.2", "1.1"];
/// The LoAs it publishes (`assurance-certification`): a LoA low Response is then refused by a
/// connector twice over (below the request, not published).
const LEVELS: [LevelOfAssurance; 2] = [LevelOfAssurance::Substantial, LevelOfAssurance::High];
/// The contact address of its metadata (a reserved domain: nobody answers).
const CONTACT_EMAIL: &str = "mock-proxy@example.invalid";

/// Builds and signs the metadata, valid from `now` for `settings.metadata_valid_secs`.
pub(crate) fn build_proxy_metadata(
    settings: &MockProxySettings,
    now: OffsetDateTime,
    id: &str,
) -> Result<String, MetadataError> {
    let valid_for = Duration::seconds(i64::try_from(settings.metadata_valid_secs).unwrap_or(i64::MAX));
    let valid_until = now.checked_add(valid_for).ok_or(MetadataError::InvalidConfig("metadata_valid_secs"))?;
    let signing_cert =
        settings.signing_key.cert.as_ref().ok_or(MetadataError::InvalidConfig("no signing certificate"))?;

    let mut doc = entity_descriptor(id, &settings.entity_id(), valid_until);
    let r = doc.root();
    // SAML Metadata XSD, EntityDescriptorType: Signature?, Extensions?, roles+, Organization?,
    // ContactPerson*. The signature is inserted first by sign_element.
    let ext = doc.append(r, Node::Element(md("Extensions")));
    let attrs = entity_attributes(&mut doc, ext);
    // eIDAS MF 1.4 (eidas-spec §6.1): protocol-version, application-identifier, and for a proxy
    // service assurance-certification (MUST).
    let versions: Vec<String> = PROTOCOL_VERSIONS.iter().map(|v| (*v).to_owned()).collect();
    entity_attribute(&mut doc, attrs, ATTR_PROTOCOL_VERSION, &versions);
    let application = format!("eidas-connector:mock-proxy:{}", env!("CARGO_PKG_VERSION"));
    entity_attribute(&mut doc, attrs, ATTR_APPLICATION_IDENTIFIER, &[application]);
    let levels: Vec<String> = LEVELS.iter().map(|l| l.uri().to_owned()).collect();
    entity_attribute(&mut doc, attrs, ATTR_ASSURANCE_CERTIFICATION, &levels);
    let digests = [DigestAlgorithm::Sha256, DigestAlgorithm::Sha384, DigestAlgorithm::Sha512];
    algorithm_support(&mut doc, ext, &digests, &SignatureAlgorithm::ALL);

    // eIDAS MF 1.4 (eidas-spec §6.1): WantAuthnRequestsSigned MUST be true.
    let idp = doc.append(
        r,
        Node::Element(
            md("IDPSSODescriptor")
                .with_attr("WantAuthnRequestsSigned", "true")
                .with_attr("protocolSupportEnumeration", NS_SAMLP),
        ),
    );
    // IDPSSODescriptorType order: Extensions?, KeyDescriptor*, NameIDFormat*,
    // SingleSignOnService+, saml:Attribute*.
    role_node_country(&mut doc, idp, settings.country);
    key_descriptor(&mut doc, idp, "signing", signing_cert, &[])?;
    // eidas-spec fact 28 wants both uses published. Nothing is ever encrypted to a proxy
    // service in this flow, so the mock publishes its signing certificate here too (as the
    // Python mock does) rather than hold a key it would never use.
    let data = [ContentAlgorithm::Aes256Gcm, ContentAlgorithm::Aes192Gcm, ContentAlgorithm::Aes128Gcm];
    key_descriptor(&mut doc, idp, "encryption", signing_cert, &encryption_methods(signing_cert, &data)?)?;
    for f in [NameIdFormat::Persistent, NameIdFormat::Transient, NameIdFormat::Unspecified] {
        text_child(&mut doc, idp, md("NameIDFormat"), f.uri());
    }
    doc.append(
        idp,
        Node::Element(
            md("SingleSignOnService").with_attr("Binding", BINDING_POST).with_attr("Location", &settings.sso_url()),
        ),
    );
    // eIDAS MF 1.4 (eidas-spec §6.1): every supported attribute as a saml2:Attribute of the role.
    for def in attributes::all() {
        doc.append(
            idp,
            Node::Element(
                Element::new(Some(NS_SAML), Some("saml2"), "Attribute")
                    .with_attr("FriendlyName", def.friendly_name)
                    .with_attr("Name", def.name)
                    .with_attr("NameFormat", NAME_FORMAT_URI),
            ),
        );
    }

    let o = Organization {
        name: settings.display_name.clone(),
        display_name: format!("TEST — {} (simulated member state, not a real eID)", settings.display_name),
        url: settings.public_url.clone(),
        lang: "en".into(),
    };
    organization(&mut doc, r, &o);
    let c = ContactPerson {
        company: Some(settings.display_name.clone()),
        given_name: None,
        surname: None,
        email: CONTACT_EMAIL.into(),
        phone: None,
    };
    contact(&mut doc, r, "support", &c);
    contact(&mut doc, r, "technical", &c);

    // xmlsec-profile 29–30: enveloped, exc-c14n, Reference #ID; RSA-PSS or ECDSA, SHA-256.
    let algorithm = if settings.metadata_signing_key.key.rsa().is_ok() {
        SignatureAlgorithm::RsaPssSha256
    } else {
        SignatureAlgorithm::EcdsaSha256
    };
    sign_element(&mut doc, r, &settings.metadata_signing_key, algorithm, DigestAlgorithm::Sha256)
        .map_err(MetadataError::Signing)?;
    Ok(to_xml(&doc))
}

/// The signed metadata, rebuilt when missing or past half its validity.
#[derive(Debug, Default)]
pub(crate) struct MetadataCache(RwLock<Option<(OffsetDateTime, String)>>);

impl MetadataCache {
    /// The current document.
    pub fn current(&self, settings: &MockProxySettings, now: OffsetDateTime) -> Result<String, MetadataError> {
        let half = Duration::seconds(i64::try_from(settings.metadata_valid_secs / 2).unwrap_or(i64::MAX));
        if let Ok(guard) = self.0.read() {
            if let Some((built, xml)) = guard.as_ref() {
                if *built <= now && now - *built < half {
                    return Ok(xml.clone());
                }
            }
        }
        let id = new_request_id().map_err(|_| MetadataError::InvalidConfig("id"))?;
        let xml = build_proxy_metadata(settings, now, &id)?;
        if let Ok(mut guard) = self.0.write() {
            *guard = Some((now, xml.clone()));
        }
        Ok(xml)
    }
}
