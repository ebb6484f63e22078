//! Our connector metadata (eIDAS MF 1.4; eidas-spec §6.1, §6.2 and fact 28): an
//! `md:EntityDescriptor` with an `md:SPSSODescriptor`, children in SAML metadata XSD order,
//! signed once with an enveloped signature (Reference `#ID`) and serialized once.
//!
//! It must not publish anything the connector does not do: the algorithms listed are the
//! ones our verifier, signer and decryptor implement, and the ACS is the one we serve.

use openssl::pkey::Id;
use openssl::x509::X509;
use time::{Duration, OffsetDateTime};

use super::{MetadataError, ATTR_APPLICATION_IDENTIFIER, ATTR_PROTOCOL_VERSION, BINDING_POST};
use crate::saml::{
    format_instant, CountryCode, NameIdFormat, SpType, NAME_FORMAT_URI, NS_ALG, NS_EIDAS, NS_MD, NS_MDATTR, NS_SAML,
    NS_SAMLP,
};
use crate::xmlsec::dom::{is_ncname, Attribute, Document, Element, Node, NodeId, NS_XML};
use crate::xmlsec::dsig::sign_element;
use crate::xmlsec::keys::{same_public_key, DigestAlgorithm, KeyPolicy, PrivateKey, SignatureAlgorithm};
use crate::xmlsec::serialize::to_xml;
use crate::xmlsec::xmlenc::ContentAlgorithm;
use crate::xmlsec::{encode_base64, NS_DS};

const RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
const ECDH_ES: &str = "http://www.w3.org/2009/xmlenc11#ECDH-ES";
const KW_AES: [&str; 3] = [
    "http://www.w3.org/2001/04/xmlenc#kw-aes256",
    "http://www.w3.org/2001/04/xmlenc#kw-aes192",
    "http://www.w3.org/2001/04/xmlenc#kw-aes128",
];

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

    let root = md("EntityDescriptor")
        .with_ns(Some("md"), NS_MD)
        .with_ns(Some("ds"), NS_DS)
        .with_ns(Some("saml2"), NS_SAML)
        .with_ns(Some("mdattr"), NS_MDATTR)
        .with_ns(Some("alg"), NS_ALG)
        .with_ns(Some("eidas"), NS_EIDAS)
        .with_attr("ID", id)
        .with_attr("entityID", &cfg.entity_id)
        .with_attr("validUntil", &format_instant(valid_until));
    let mut doc = Document::new(root);
    let r = doc.root();

    // SAML Metadata XSD, EntityDescriptorType: Signature?, Extensions?, roles+,
    // Organization?, ContactPerson*. The signature is inserted first by sign_element.
    let ext = doc.append(r, Node::Element(md("Extensions")));
    let attrs = doc.append(ext, Node::Element(Element::new(Some(NS_MDATTR), Some("mdattr"), "EntityAttributes")));
    // eIDAS MF 1.4 (eidas-spec §6.1): protocol-version (one value per version) and application-identifier.
    entity_attribute(&mut doc, attrs, ATTR_PROTOCOL_VERSION, &cfg.protocol_versions);
    entity_attribute(&mut doc, attrs, ATTR_APPLICATION_IDENTIFIER, std::slice::from_ref(&cfg.application_identifier));
    // eidas-spec fact 6: SPType in our metadata, never in requests. CEF reads it from the
    // entity's md:Extensions (MetadataUtil.getSPTypeFromMetadata), so it goes here.
    text_child(&mut doc, ext, Element::new(Some(NS_EIDAS), Some("eidas"), "SPType"), cfg.sp_type.as_str());
    // eIDAS MF 1.4 (eidas-spec §6.1); SAML2AlgSup: the algorithms we support, with key sizes (CR 1.4 §3.3).
    for d in &cfg.digest_methods {
        doc.append(ext, Node::Element(alg("DigestMethod").with_attr("Algorithm", d.uri())));
    }
    for s in &cfg.signing_methods {
        let min = if s.is_rsa() { "3072" } else { "256" };
        doc.append(
            ext,
            Node::Element(alg("SigningMethod").with_attr("Algorithm", s.uri()).with_attr("MinKeySize", min)),
        );
    }

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
    let sp_ext = doc.append(sp, Node::Element(md("Extensions")));
    // eIDAS MF 1.4 (eidas-spec §6.1): NodeCountry in the role descriptor's md:Extensions.
    text_child(&mut doc, sp_ext, Element::new(Some(NS_EIDAS), Some("eidas"), "NodeCountry"), cfg.node_country.as_str());
    // eidas-spec fact 28: CEF ignores KeyDescriptors without use.
    for cert in keys.request_signing_certs {
        key_descriptor(&mut doc, sp, "signing", cert, &[])?;
    }
    for cert in keys.encryption_certs {
        let mut methods: Vec<&str> = cfg.data_encryption_methods.iter().map(|m| m.uri()).collect();
        // eidas-spec facts 25–26: RSA-OAEP for an RSA key; ECDH-ES with AES key wrap for EC.
        match cert.public_key().map(|k| k.id()) {
            Ok(Id::RSA) => methods.push(RSA_OAEP),
            Ok(Id::EC) => {
                methods.push(ECDH_ES);
                methods.extend(KW_AES);
            }
            _ => return Err(MetadataError::InvalidConfig("encryption certificate key is neither RSA nor EC")),
        }
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

    // OrganizationType: Name+, DisplayName+, URL+, each with xml:lang.
    let o = &cfg.organization;
    let org = doc.append(r, Node::Element(md("Organization")));
    for (local, value) in
        [("OrganizationName", &o.name), ("OrganizationDisplayName", &o.display_name), ("OrganizationURL", &o.url)]
    {
        text_child(&mut doc, org, with_lang(md(local), &o.lang), value);
    }
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

fn md(local: &str) -> Element {
    Element::new(Some(NS_MD), Some("md"), local)
}

fn alg(local: &str) -> Element {
    Element::new(Some(NS_ALG), Some("alg"), local)
}

fn ds(local: &str) -> Element {
    Element::new(Some(NS_DS), Some("ds"), local)
}

fn with_lang(mut e: Element, lang: &str) -> Element {
    e.attributes.push(Attribute {
        prefix: Some("xml".to_owned()),
        local: "lang".to_owned(),
        ns: Some(NS_XML.into()),
        value: lang.to_owned(),
    });
    e
}

fn text_child(doc: &mut Document, parent: NodeId, e: Element, text: &str) -> NodeId {
    let id = doc.append(parent, Node::Element(e));
    doc.append(id, Node::Text(text.to_owned()));
    id
}

/// `saml2:Attribute` with NameFormat uri and one `AttributeValue` per value (no `xsi:type`,
/// as in the eidas-spec §6.2 template).
fn entity_attribute(doc: &mut Document, parent: NodeId, name: &str, values: &[String]) {
    let a = doc.append(
        parent,
        Node::Element(
            Element::new(Some(NS_SAML), Some("saml2"), "Attribute")
                .with_attr("Name", name)
                .with_attr("NameFormat", NAME_FORMAT_URI),
        ),
    );
    for v in values.iter().filter(|v| !v.trim().is_empty()) {
        text_child(doc, a, Element::new(Some(NS_SAML), Some("saml2"), "AttributeValue"), v.trim());
    }
}

/// KeyDescriptorType: ds:KeyInfo, EncryptionMethod*.
fn key_descriptor(
    doc: &mut Document,
    parent: NodeId,
    usage: &str,
    cert: &X509,
    methods: &[&str],
) -> Result<(), MetadataError> {
    let der = cert.to_der().map_err(|_| MetadataError::InvalidConfig("certificate cannot be encoded"))?;
    let kd = doc.append(parent, Node::Element(md("KeyDescriptor").with_attr("use", usage)));
    let ki = doc.append(kd, Node::Element(ds("KeyInfo")));
    let xd = doc.append(ki, Node::Element(ds("X509Data")));
    text_child(doc, xd, ds("X509Certificate"), &encode_base64(&der));
    for m in methods {
        doc.append(kd, Node::Element(md("EncryptionMethod").with_attr("Algorithm", m)));
    }
    Ok(())
}

/// ContactType: Company?, GivenName?, SurName?, EmailAddress*, TelephoneNumber*.
fn contact(doc: &mut Document, parent: NodeId, kind: &str, c: &ContactPerson) {
    let p = doc.append(parent, Node::Element(md("ContactPerson").with_attr("contactType", kind)));
    let fields = [
        ("Company", c.company.as_deref()),
        ("GivenName", c.given_name.as_deref()),
        ("SurName", c.surname.as_deref()),
        ("EmailAddress", Some(c.email.as_str())),
        ("TelephoneNumber", c.phone.as_deref()),
    ];
    for (local, value) in fields {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            text_child(doc, p, md(local), v);
        }
    }
}

#[cfg(test)]
mod tests;
