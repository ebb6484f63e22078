//! Our connector metadata (eIDAS MF 1.4; eidas-spec §6.1, §6.2 and fact 28): an
//! `md:EntityDescriptor` with an `md:SPSSODescriptor`, children in SAML metadata XSD order,
//! signed once with an enveloped signature (Reference `#ID`) and serialized once.
//!
//! It must not publish anything the connector does not do: the algorithms listed are the
//! ones our verifier, signer and decryptor implement, and the ACS is the one we serve.

use openssl::x509::X509;
use time::{Duration, OffsetDateTime};

use super::elements::{
    algorithm_support, contact, encryption_methods, entity_attribute, entity_attributes, entity_descriptor,
    key_descriptor, md, organization, role_node_country, text_child,
};
use super::{MetadataError, ATTR_APPLICATION_IDENTIFIER, ATTR_PROTOCOL_VERSION, BINDING_POST};
use crate::saml::{CountryCode, NameIdFormat, SpType, NS_EIDAS, NS_SAMLP};
use crate::xmlsec::dom::{is_ncname, Element, Node};
use crate::xmlsec::dsig::sign_element;
use crate::xmlsec::keys::{same_public_key, DigestAlgorithm, KeyPolicy, PrivateKey, SignatureAlgorithm};
use crate::xmlsec::serialize::to_xml;
use crate::xmlsec::xmlenc::ContentAlgorithm;

/// `md:Organization` (eIDAS MF 1.4, eidas-spec §6.1: SHOULD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// `OrganizationName`.
    pub name: String,
    /// `OrganizationDisplayName`.
    pub display_name: String,
    /// `OrganizationURL`.
    pub url: String,
    /// `xml:lang` of the three (e.g. `fr` or `en`).
    pub lang: String,
}

/// An `md:ContactPerson` (eIDAS MF 1.4, eidas-spec §6.1: `support` and `technical` SHOULD be present).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPerson {
    /// `Company`.
    pub company: Option<String>,
    /// `GivenName`.
    pub given_name: Option<String>,
    /// `SurName`.
    pub surname: Option<String>,
    /// `EmailAddress` (required by eIDAS MF 1.4, eidas-spec §6.1).
    pub email: String,
    /// `TelephoneNumber`.
    pub phone: Option<String>,
}

/// What our connector metadata says about us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorMetadataConfig {
    /// `entityID`: the HTTPS URL where the metadata is published, and the `Issuer` of our
    /// requests (eIDAS MF 1.4, eidas-spec §6.1; fact 30 for the production value).
    pub entity_id: String,
    /// The HTTP-POST AssertionConsumerService URL.
    pub acs_url: String,
    /// `eidas:NodeCountry` of the SPSSODescriptor.
    pub node_country: CountryCode,
    /// `eidas:SPType`, published here and never in requests (eidas-spec fact 6).
    pub sp_type: SpType,
    /// `validUntil` = now + this (CEF: 24 h).
    pub valid_for: Duration,
    /// `protocol-version` values, highest first.
    pub protocol_versions: Vec<String>,
    /// `application-identifier` ("vendor:software:version").
    pub application_identifier: String,
    /// `NameIDFormat`s we accept.
    pub name_id_formats: Vec<NameIdFormat>,
    /// `alg:SigningMethod`s we can verify and produce.
    pub signing_methods: Vec<SignatureAlgorithm>,
    /// `alg:DigestMethod`s we accept.
    pub digest_methods: Vec<DigestAlgorithm>,
    /// Data-encryption `EncryptionMethod`s we decrypt; the key-transport or key-agreement
    /// methods are derived from each encryption certificate's key type.
    pub data_encryption_methods: Vec<ContentAlgorithm>,
    /// `md:Organization`.
    pub organization: Organization,
    /// `md:ContactPerson contactType="support"`.
    pub support_contact: ContactPerson,
    /// `md:ContactPerson contactType="technical"`.
    pub technical_contact: ContactPerson,
}

impl ConnectorMetadataConfig {
    /// Protocol versions we announce by default.
    pub const DEFAULT_PROTOCOL_VERSIONS: [&'static str; 4] = ["1.4", "1.3", "1.2", "1.1"];

    /// A configuration with the defaults: SPType public, valid for 24 h, protocol versions
    /// 1.4–1.1, application identifier `eidas-connector:<crate version>`, NameID formats
    /// persistent/transient/unspecified, every allowed signature algorithm, SHA-256/384/512,
    /// AES-256/192/128-GCM.
    pub fn new(
        entity_id: impl Into<String>,
        acs_url: impl Into<String>,
        node_country: CountryCode,
        organization: Organization,
        support_contact: ContactPerson,
        technical_contact: ContactPerson,
    ) -> Self {
        Self {
            entity_id: entity_id.into(),
            acs_url: acs_url.into(),
            node_country,
            sp_type: SpType::Public,
            valid_for: Duration::hours(24),
            protocol_versions: Self::DEFAULT_PROTOCOL_VERSIONS.iter().map(|v| (*v).to_owned()).collect(),
            application_identifier: format!("eidas-connector:{}", env!("CARGO_PKG_VERSION")),
            name_id_formats: vec![NameIdFormat::Persistent, NameIdFormat::Transient, NameIdFormat::Unspecified],
            signing_methods: SignatureAlgorithm::ALL.to_vec(),
            digest_methods: vec![DigestAlgorithm::Sha256, DigestAlgorithm::Sha384, DigestAlgorithm::Sha512],
            data_encryption_methods: vec![
                ContentAlgorithm::Aes256Gcm,
                ContentAlgorithm::Aes192Gcm,
                ContentAlgorithm::Aes128Gcm,
            ],
            organization,
            support_contact,
            technical_contact,
        }
    }
}

/// The keys our metadata is signed with and the certificates it publishes.
#[derive(Debug, Clone, Copy)]
pub struct ConnectorMetadataKeys<'a> {
    /// Signs the metadata; its certificate goes in `ds:KeyInfo` and is (or chains to) the
    /// trust anchor peers hold for us (CEF `metadata.issuer`; FR: CN=eIDAS-metadata). It may
    /// be the request-signing key, but CEF and FR production keep them apart.
    pub metadata_signer: &'a PrivateKey,
    /// Signature method of the metadata signature.
    pub signature_algorithm: SignatureAlgorithm,
    /// Digest method of the metadata signature's reference.
    pub digest_algorithm: DigestAlgorithm,
    /// AuthnRequest-signing certificates, each a `KeyDescriptor use="signing"`: the current
    /// one, then the next one during a rollover (eidas-spec §6.2 notes).
    pub request_signing_certs: &'a [X509],
    /// Decryption certificates, each a `KeyDescriptor use="encryption"`: current, then next.
    pub encryption_certs: &'a [X509],
}

/// Builds and signs our connector metadata, valid from `now` for `cfg.valid_for`, with
/// `ID="{id}"` (an NCName; xmlsec-profile 31 wants ≥ 128 random bits).
///
/// The result is final: serving it must not re-format it.
pub fn build_connector_metadata(
    cfg: &ConnectorMetadataConfig,
    keys: &ConnectorMetadataKeys<'_>,
    now: OffsetDateTime,
    id: &str,
) -> Result<String, MetadataError> {
    check(cfg, keys, id)?;
    let valid_until = now.checked_add(cfg.valid_for).ok_or(MetadataError::InvalidConfig("valid_for"))?;

    let mut doc = entity_descriptor(id, &cfg.entity_id, valid_until);
    let r = doc.root();

    // SAML Metadata XSD, EntityDescriptorType: Signature?, Extensions?, roles+,
    // Organization?, ContactPerson*. The signature is inserted first by sign_element.
    let ext = doc.append(r, Node::Element(md("Extensions")));
    let attrs = entity_attributes(&mut doc, ext);
    // eIDAS MF 1.4 (eidas-spec §6.1): protocol-version (one value per version) and application-identifier.
    entity_attribute(&mut doc, attrs, ATTR_PROTOCOL_VERSION, &cfg.protocol_versions);
    entity_attribute(&mut doc, attrs, ATTR_APPLICATION_IDENTIFIER, std::slice::from_ref(&cfg.application_identifier));
    // eidas-spec fact 6: SPType in our metadata, never in requests. CEF reads it from the
    // entity's md:Extensions (MetadataUtil.getSPTypeFromMetadata), so it goes here.
    text_child(&mut doc, ext, Element::new(Some(NS_EIDAS), Some("eidas"), "SPType"), cfg.sp_type.as_str());
    // eIDAS MF 1.4 (eidas-spec §6.1); SAML2AlgSup: the algorithms we support, with key sizes (CR 1.4 §3.3).
    algorithm_support(&mut doc, ext, &cfg.digest_methods, &cfg.signing_methods);

    // eIDAS MF 1.4 (eidas-spec §6.1): AuthnRequestsSigned MUST be true; CEF default is unsigned assertions.
    let sp = doc.append(
        r,
        Node::Element(
            md("SPSSODescriptor")
                .with_attr("AuthnRequestsSigned", "true")
                .with_attr("WantAssertionsSigned", "false")
                .with_attr("protocolSupportEnumeration", NS_SAMLP),
        ),
    );
    // SSODescriptorType/SPSSODescriptorType order: Extensions?, KeyDescriptor*, NameIDFormat*,
    // AssertionConsumerService+.
    role_node_country(&mut doc, sp, cfg.node_country);
    for cert in keys.request_signing_certs {
        key_descriptor(&mut doc, sp, "signing", cert, &[])?;
    }
    for cert in keys.encryption_certs {
        let methods = encryption_methods(cert, &cfg.data_encryption_methods)?;
        key_descriptor(&mut doc, sp, "encryption", cert, &methods)?;
    }
    for f in &cfg.name_id_formats {
        text_child(&mut doc, sp, md("NameIDFormat"), f.uri());
    }
    // eidas-spec fact 5: requests go by POST, so one POST ACS, isDefault (CEF requires it).
    doc.append(
        sp,
        Node::Element(
            md("AssertionConsumerService")
                .with_attr("Binding", BINDING_POST)
                .with_attr("Location", &cfg.acs_url)
                .with_attr("index", "0")
                .with_attr("isDefault", "true"),
        ),
    );

    organization(&mut doc, r, &cfg.organization);
    contact(&mut doc, r, "support", &cfg.support_contact);
    contact(&mut doc, r, "technical", &cfg.technical_contact);

    // xmlsec-profile 29–30: enveloped, exc-c14n, Reference #ID; no Issuer, so first child.
    sign_element(&mut doc, r, keys.metadata_signer, keys.signature_algorithm, keys.digest_algorithm)
        .map_err(MetadataError::Signing)?;
    Ok(to_xml(&doc))
}

/// Refuses configurations that would publish something wrong or unusable.
fn check(cfg: &ConnectorMetadataConfig, keys: &ConnectorMetadataKeys<'_>, id: &str) -> Result<(), MetadataError> {
    let bad = MetadataError::InvalidConfig;
    if !is_ncname(id) {
        return Err(bad("ID is not an NCName"));
    }
    // eIDAS MF 1.4 (eidas-spec §6.1): entityID MUST be an HTTPS URL.
    if !is_https_url(&cfg.entity_id) {
        return Err(bad("entity_id is not an https URL (http only on loopback)"));
    }
    if !is_https_url(&cfg.acs_url) {
        return Err(bad("acs_url is not an https URL (http only on loopback)"));
    }
    if !cfg.valid_for.is_positive() {
        return Err(bad("valid_for is not positive"));
    }
    if cfg.protocol_versions.iter().all(|v| v.trim().is_empty()) || cfg.application_identifier.trim().is_empty() {
        return Err(bad("protocol_versions or application_identifier is empty"));
    }
    if cfg.signing_methods.is_empty() || cfg.data_encryption_methods.is_empty() || cfg.name_id_formats.is_empty() {
        return Err(bad("signing_methods, data_encryption_methods or name_id_formats is empty"));
    }
    // CR 3.1: SHA-2 with at least 256 bits.
    if cfg.digest_methods.is_empty() || !cfg.digest_methods.iter().all(|d| d.is_strong()) {
        return Err(bad("digest_methods must be SHA-256/384/512"));
    }
    if cfg.support_contact.email.trim().is_empty() || cfg.technical_contact.email.trim().is_empty() {
        return Err(bad("a contact has no email"));
    }
    if keys.metadata_signer.cert.is_none() {
        return Err(bad("the metadata signer has no certificate"));
    }
    // eidas-spec fact 28: both uses MUST be published.
    if keys.request_signing_certs.is_empty() || keys.encryption_certs.is_empty() {
        return Err(bad("request-signing and encryption certificates are both required"));
    }
    // CR 1.4 §3.3–3.4: RSA ≥ 3072 or an allowed curve.
    let policy = KeyPolicy::default();
    for cert in keys.request_signing_certs.iter().chain(keys.encryption_certs) {
        let key = cert.public_key().map_err(|_| bad("unreadable certificate key"))?;
        policy.check(&key).map_err(|_| bad("a published key is too weak or on a curve not allowed"))?;
    }
    // CR 3.5.2: different keys for signature and encryption.
    for s in keys.request_signing_certs {
        for e in keys.encryption_certs {
            if let (Ok(a), Ok(b)) = (s.public_key(), e.public_key()) {
                if same_public_key(&a, &b) {
                    return Err(bad("an encryption certificate reuses a signing key"));
                }
            }
        }
    }
    Ok(())
}

/// `https://…`, or `http://` to a loopback host (tests and the demo run on loopback).
fn is_https_url(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => host.rsplit_once(':').map_or(host, |(h, _)| h),
        };
        return host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    }
    s.strip_prefix("https://").is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
}

#[cfg(test)]
mod tests;
