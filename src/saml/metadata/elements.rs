//! The parts of a SAML metadata document that every role writes the same way (SAML Metadata
//! XSD; eIDAS MF 1.4, eidas-spec §6.1): the `EntityDescriptor` shell, entity attributes,
//! algorithm support, `KeyDescriptor`s with their `EncryptionMethod`s, `eidas:NodeCountry`,
//! `Organization` and `ContactPerson`.
//!
//! Builders only: what a role publishes (and whether it is allowed) is decided by its writer
//! (ours in `write.rs`; the test proxy service in `mock_proxy::metadata`). Nothing here signs.

use openssl::pkey::Id;
use openssl::x509::X509;
use time::OffsetDateTime;

use super::{ContactPerson, MetadataError, Organization};
use crate::saml::{format_instant, CountryCode, NAME_FORMAT_URI, NS_ALG, NS_EIDAS, NS_MD, NS_MDATTR, NS_SAML};
use crate::xmlsec::dom::{Attribute, Document, Element, Node, NodeId, NS_XML};
use crate::xmlsec::keys::{DigestAlgorithm, SignatureAlgorithm};
use crate::xmlsec::xmlenc::ContentAlgorithm;
use crate::xmlsec::{encode_base64, NS_DS};

/// `xmlenc11#rsa-oaep`.
pub(crate) const RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
/// `xmlenc11#ECDH-ES`.
pub(crate) const ECDH_ES: &str = "http://www.w3.org/2009/xmlenc11#ECDH-ES";
const KW_AES: [&str; 3] = [
    "http://www.w3.org/2001/04/xmlenc#kw-aes256",
    "http://www.w3.org/2001/04/xmlenc#kw-aes192",
    "http://www.w3.org/2001/04/xmlenc#kw-aes128",
];

/// A new document whose root is an `md:EntityDescriptor` with `ID`, `entityID` and
/// `validUntil`, declaring every prefix the metadata writers use.
pub(crate) fn entity_descriptor(id: &str, entity_id: &str, valid_until: OffsetDateTime) -> Document {
    Document::new(
        md("EntityDescriptor")
            .with_ns(Some("md"), NS_MD)
            .with_ns(Some("ds"), NS_DS)
            .with_ns(Some("saml2"), NS_SAML)
            .with_ns(Some("mdattr"), NS_MDATTR)
            .with_ns(Some("alg"), NS_ALG)
            .with_ns(Some("eidas"), NS_EIDAS)
            .with_attr("ID", id)
            .with_attr("entityID", entity_id)
            .with_attr("validUntil", &format_instant(valid_until)),
    )
}

/// An element of the metadata namespace (prefix `md`).
pub(crate) fn md(local: &str) -> Element {
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

/// Appends `e` holding `text` to `parent`.
pub(crate) fn text_child(doc: &mut Document, parent: NodeId, e: Element, text: &str) -> NodeId {
    let id = doc.append(parent, Node::Element(e));
    doc.append(id, Node::Text(text.to_owned()));
    id
}

/// Appends `mdattr:EntityAttributes` to the entity's `md:Extensions`.
pub(crate) fn entity_attributes(doc: &mut Document, extensions: NodeId) -> NodeId {
    doc.append(extensions, Node::Element(Element::new(Some(NS_MDATTR), Some("mdattr"), "EntityAttributes")))
}

/// `saml2:Attribute` with NameFormat uri and one `AttributeValue` per value (no `xsi:type`,
/// as in the eidas-spec §6.2 template).
pub(crate) fn entity_attribute(doc: &mut Document, parent: NodeId, name: &str, values: &[String]) {
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

/// eIDAS MF 1.4 (eidas-spec §6.1); SAML2AlgSup: `alg:DigestMethod`s then `alg:SigningMethod`s
/// with their minimum key sizes (CR 1.4 §3.3).
pub(crate) fn algorithm_support(
    doc: &mut Document,
    extensions: NodeId,
    digests: &[DigestAlgorithm],
    signing: &[SignatureAlgorithm],
) {
    for d in digests {
        doc.append(extensions, Node::Element(alg("DigestMethod").with_attr("Algorithm", d.uri())));
    }
    for s in signing {
        let min = if s.is_rsa() { "3072" } else { "256" };
        doc.append(
            extensions,
            Node::Element(alg("SigningMethod").with_attr("Algorithm", s.uri()).with_attr("MinKeySize", min)),
        );
    }
}

/// Appends the role descriptor's `md:Extensions` holding `eidas:NodeCountry` (eIDAS MF 1.4,
/// eidas-spec §6.1: it belongs to the role, not to the entity).
pub(crate) fn role_node_country(doc: &mut Document, role: NodeId, country: CountryCode) {
    let ext = doc.append(role, Node::Element(md("Extensions")));
    text_child(doc, ext, Element::new(Some(NS_EIDAS), Some("eidas"), "NodeCountry"), country.as_str());
}

/// The `EncryptionMethod`s published with an encryption certificate: the data-encryption
/// methods, then RSA-OAEP for an RSA key, or ECDH-ES with AES key wrap for an EC key
/// (eidas-spec facts 25–26).
pub(crate) fn encryption_methods(cert: &X509, data: &[ContentAlgorithm]) -> Result<Vec<&'static str>, MetadataError> {
    let mut methods: Vec<&'static str> = data.iter().map(|m| m.uri()).collect();
    match cert.public_key().map(|k| k.id()) {
        Ok(Id::RSA) => methods.push(RSA_OAEP),
        Ok(Id::EC) => {
            methods.push(ECDH_ES);
            methods.extend(KW_AES);
        }
        _ => return Err(MetadataError::InvalidConfig("encryption certificate key is neither RSA nor EC")),
    }
    Ok(methods)
}

/// KeyDescriptorType: `use` (eidas-spec fact 28: CEF ignores KeyDescriptors without it),
/// ds:KeyInfo, EncryptionMethod*.
pub(crate) fn key_descriptor(
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

/// OrganizationType: Name+, DisplayName+, URL+, each with xml:lang.
pub(crate) fn organization(doc: &mut Document, parent: NodeId, o: &Organization) {
    let org = doc.append(parent, Node::Element(md("Organization")));
    for (local, value) in
        [("OrganizationName", &o.name), ("OrganizationDisplayName", &o.display_name), ("OrganizationURL", &o.url)]
    {
        text_child(doc, org, with_lang(md(local), &o.lang), value);
    }
}

/// ContactType: Company?, GivenName?, SurName?, EmailAddress*, TelephoneNumber*.
pub(crate) fn contact(doc: &mut Document, parent: NodeId, kind: &str, c: &ContactPerson) {
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
