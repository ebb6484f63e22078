//! Writer tests with a fixed clock and keys made in the test. Golden files (insta) and the
//! independent signature check (signxml/xmlsec1) come with the integration vectors.

use super::*;
use crate::saml::metadata::elements::{ECDH_ES, RSA_OAEP};
use crate::saml::metadata::{parse_proxy_metadata, MetadataOptions};
use crate::saml::{format_instant, NS_MD};
use crate::xmlsec::dom::Limits;
use crate::xmlsec::dom::{Document, NodeId};
use crate::xmlsec::dsig::{verify_element, DsigError, SignaturePolicy};
use crate::xmlsec::keys::TrustedCert;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509Builder, X509NameBuilder};
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-25 10:00 UTC);
const ID: &str = "_4f2b6c1d9e8a7b3c5d0e1f2a3b4c5d6e";

fn cert_for(key: &PKey<Private>, cn: &str) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    name.append_entry_by_text("O", "FR-DINUM-test").unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&openssl::bn::BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::from_unix(1_700_000_000).unwrap()).unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::from_unix(1_900_000_000).unwrap()).unwrap();
    b.sign(key, MessageDigest::sha256()).unwrap();
    b.build()
}

fn ec(cn: &str) -> (PrivateKey, X509) {
    let key =
        PKey::from_ec_key(EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap()).unwrap();
    let cert = cert_for(&key, cn);
    (PrivateKey { key, cert: Some(cert.clone()) }, cert)
}

fn rsa(cn: &str, bits: u32) -> (PrivateKey, X509) {
    let key = PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap();
    let cert = cert_for(&key, cn);
    (PrivateKey { key, cert: Some(cert.clone()) }, cert)
}

struct Fixture {
    metadata: PrivateKey,
    request_certs: Vec<X509>,
    encryption_certs: Vec<X509>,
}

impl Fixture {
    fn new() -> Self {
        let (metadata, _) = rsa("eIDAS-metadata", 3072);
        let (_, current) = ec("request-signing");
        let (_, next) = ec("request-signing-next");
        let (_, enc_rsa) = rsa("encryption", 3072);
        let (_, enc_ec) = ec("encryption-next");
        Self { metadata, request_certs: vec![current, next], encryption_certs: vec![enc_rsa, enc_ec] }
    }

    fn keys(&self) -> ConnectorMetadataKeys<'_> {
        ConnectorMetadataKeys {
            metadata_signer: &self.metadata,
            signature_algorithm: SignatureAlgorithm::RsaPssSha512,
            digest_algorithm: DigestAlgorithm::Sha512,
            request_signing_certs: &self.request_certs,
            encryption_certs: &self.encryption_certs,
        }
    }
}

fn config() -> ConnectorMetadataConfig {
    let contact = |email: &str| ContactPerson {
        company: Some("DINUM".into()),
        given_name: None,
        surname: Some("FranceConnect".into()),
        email: email.into(),
        phone: None,
    };
    ConnectorMetadataConfig::new(
        "https://eidas.franceconnect.gouv.fr/EidasNode/ConnectorMetadata",
        "https://eidas.franceconnect.gouv.fr/EidasNode/ColleagueResponse",
        CountryCode::parse("FR").unwrap(),
        Organization {
            name: "DINUM".into(),
            display_name: "FranceConnect".into(),
            url: "https://franceconnect.gouv.fr".into(),
            lang: "fr".into(),
        },
        contact("support@franceconnect.gouv.fr"),
        contact("technique@franceconnect.gouv.fr"),
    )
}

fn local_names(doc: &Document, id: NodeId) -> Vec<String> {
    doc.child_elements(id).map(|c| doc.element(c).unwrap().local.clone()).collect()
}

#[test]
fn connector_metadata_signature_verifies_with_our_metadata_cert() {
    let f = Fixture::new();
    let xml = build_connector_metadata(&config(), &f.keys(), NOW, ID).unwrap();
    let doc = Document::parse(xml.as_bytes(), &Limits::metadata()).unwrap();
    let trust = [TrustedCert::from_x509(f.metadata.cert.clone().unwrap()).unwrap()];
    // xmlsec-profile 10: Reference #ID, so no whole-document allowance is needed.
    let v = verify_element(&doc, doc.root(), &trust, &SignaturePolicy::default()).unwrap();
    assert_eq!(v.algorithm(), SignatureAlgorithm::RsaPssSha512);
    assert_eq!(v.digest(), DigestAlgorithm::Sha512);
    assert!(xml.contains(&format!(r##"<ds:Reference URI="#{ID}">"##)));

    let tampered = xml.replace("ColleagueResponse", "Evil");
    let doc = Document::parse(tampered.as_bytes(), &Limits::metadata()).unwrap();
    let err = verify_element(&doc, doc.root(), &trust, &SignaturePolicy::default()).unwrap_err();
    assert_eq!(err, DsigError::DigestMismatch);
    // A request-signing certificate published in the metadata does not verify it.
    let other = [TrustedCert::from_x509(f.request_certs[0].clone()).unwrap()];
    let doc = Document::parse(xml.as_bytes(), &Limits::metadata()).unwrap();
    assert_eq!(
        verify_element(&doc, doc.root(), &other, &SignaturePolicy::default()).unwrap_err(),
        DsigError::KeyTypeMismatch
    );
}

#[test]
fn connector_metadata_has_what_cef_proxies_require() {
    let f = Fixture::new();
    let xml = build_connector_metadata(&config(), &f.keys(), NOW, ID).unwrap();
    // eidas-spec fact 28 and §6.2.
    assert!(xml.contains(r#"entityID="https://eidas.franceconnect.gouv.fr/EidasNode/ConnectorMetadata""#));
    assert!(xml.contains(r#"validUntil="2026-11-26T10:00:00.000Z""#));
    assert!(xml.contains(r#"<md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">"#));
    assert!(xml.contains("<md:Extensions><eidas:NodeCountry>FR</eidas:NodeCountry></md:Extensions>"));
    assert!(xml.contains("<eidas:SPType>public</eidas:SPType>"));
    assert!(xml.contains(r#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://eidas.franceconnect.gouv.fr/EidasNode/ColleagueResponse" index="0" isDefault="true"/>"#));
    assert_eq!(xml.matches(r#"<md:KeyDescriptor use="signing">"#).count(), 2);
    assert_eq!(xml.matches(r#"<md:KeyDescriptor use="encryption">"#).count(), 2);
    assert!(xml.contains("<saml2:AttributeValue>1.4</saml2:AttributeValue><saml2:AttributeValue>1.3</saml2:AttributeValue><saml2:AttributeValue>1.2</saml2:AttributeValue><saml2:AttributeValue>1.1</saml2:AttributeValue>"));
    assert!(xml.contains(&format!(
        "<saml2:AttributeValue>eidas-connector:{}</saml2:AttributeValue>",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(xml.contains(
        r#"<alg:SigningMethod Algorithm="http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1" MinKeySize="3072"/>"#
    ));
    assert!(xml.contains(
        r#"<alg:SigningMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512" MinKeySize="256"/>"#
    ));
    assert_eq!(xml.matches("<alg:DigestMethod ").count(), 3);
    assert_eq!(xml.matches("<md:NameIDFormat>").count(), 3);
    assert!(xml.contains(r#"<md:OrganizationName xml:lang="fr">DINUM</md:OrganizationName>"#));
    assert!(xml.contains("<md:EmailAddress>technique@franceconnect.gouv.fr</md:EmailAddress>"));
    assert!(!xml.contains("GivenName"), "empty optional fields are left out");
}

#[test]
fn connector_metadata_children_follow_the_metadata_xsd_order() {
    let f = Fixture::new();
    let xml = build_connector_metadata(&config(), &f.keys(), NOW, ID).unwrap();
    let doc = Document::parse(xml.as_bytes(), &Limits::metadata()).unwrap();
    let root = doc.root();
    assert!(doc.is(root, NS_MD, "EntityDescriptor"));
    assert_eq!(doc.attr(root, "ID"), Some(ID));
    // EntityDescriptorType: ds:Signature first, then Extensions, the role, Organization, contacts.
    assert_eq!(
        local_names(&doc, root),
        ["Signature", "Extensions", "SPSSODescriptor", "Organization", "ContactPerson", "ContactPerson"]
    );
    let ext = doc.first_child_named(root, NS_MD, "Extensions").unwrap();
    // CEF reads SPType from the entity's md:Extensions.
    assert!(doc.first_child_named(ext, NS_EIDAS, "SPType").is_some());
    let sp = doc.first_child_named(root, NS_MD, "SPSSODescriptor").unwrap();
    assert_eq!(
        local_names(&doc, sp),
        [
            "Extensions",
            "KeyDescriptor",
            "KeyDescriptor",
            "KeyDescriptor",
            "KeyDescriptor",
            "NameIDFormat",
            "NameIDFormat",
            "NameIDFormat",
            "AssertionConsumerService"
        ]
    );
    let contacts: Vec<&str> =
        doc.children_named(root, NS_MD, "ContactPerson").map(|c| doc.attr(c, "contactType").unwrap()).collect();
    assert_eq!(contacts, ["support", "technical"]);
    let person = doc.first_child_named(root, NS_MD, "ContactPerson").unwrap();
    assert_eq!(local_names(&doc, person), ["Company", "SurName", "EmailAddress"]);

    // Encryption methods follow each certificate's key type (eidas-spec facts 25–26).
    let methods: Vec<Vec<String>> = doc
        .children_named(sp, NS_MD, "KeyDescriptor")
        .filter(|k| doc.attr(*k, "use") == Some("encryption"))
        .map(|k| {
            doc.children_named(k, NS_MD, "EncryptionMethod")
                .map(|m| doc.attr(m, "Algorithm").unwrap().to_owned())
                .collect()
        })
        .collect();
    assert_eq!(methods[0].last().map(String::as_str), Some(RSA_OAEP));
    assert!(methods[1].iter().any(|m| m == ECDH_ES));
    assert!(methods[1].iter().any(|m| m.ends_with("#kw-aes256")));
    assert_eq!(
        &methods[0][..3],
        [
            "http://www.w3.org/2009/xmlenc11#aes256-gcm",
            "http://www.w3.org/2009/xmlenc11#aes192-gcm",
            "http://www.w3.org/2009/xmlenc11#aes128-gcm"
        ]
    );
}

#[test]
fn connector_metadata_reads_as_signed_sp_metadata_not_as_a_proxy() {
    let f = Fixture::new();
    let xml = build_connector_metadata(&config(), &f.keys(), NOW, ID).unwrap();
    let trust = [TrustedCert::from_x509(f.metadata.cert.clone().unwrap()).unwrap()];
    // The signature and validUntil pass; the entity is an SP.
    let err = parse_proxy_metadata(xml.as_bytes(), &trust, NOW, &MetadataOptions::default()).unwrap_err();
    assert_eq!(err, MetadataError::NoIdp);
    let err = parse_proxy_metadata(xml.as_bytes(), &trust, NOW + Duration::hours(24), &MetadataOptions::default())
        .unwrap_err();
    assert_eq!(err.code(), "metadata.expired");
}

#[test]
fn connector_metadata_refuses_a_configuration_that_would_publish_something_wrong() {
    let f = Fixture::new();
    let build = |cfg: &ConnectorMetadataConfig, keys: &ConnectorMetadataKeys<'_>, id: &str| {
        build_connector_metadata(cfg, keys, NOW, id).unwrap_err()
    };
    let mut cfg = config();
    cfg.entity_id = "http://eidas.example/metadata".into();
    assert_eq!(
        build(&cfg, &f.keys(), ID),
        MetadataError::InvalidConfig("entity_id is not an https URL (http only on loopback)")
    );
    // Loopback HTTP (tests, the demo) is accepted.
    let mut cfg = config();
    cfg.entity_id = "http://127.0.0.1:8080/eidas/metadata".into();
    cfg.acs_url = "http://127.0.0.1:8080/eidas/acs".into();
    assert!(build_connector_metadata(&cfg, &f.keys(), NOW, ID).is_ok());
    let mut cfg = config();
    cfg.digest_methods.push(DigestAlgorithm::Sha1);
    assert_eq!(build(&cfg, &f.keys(), ID).code(), "metadata.invalid_config");
    let mut cfg = config();
    cfg.valid_for = Duration::ZERO;
    assert_eq!(build(&cfg, &f.keys(), ID), MetadataError::InvalidConfig("valid_for is not positive"));
    assert_eq!(build(&config(), &f.keys(), "1-not-an-ncname").code(), "metadata.invalid_config");

    // CR 3.5.2: an encryption certificate must not reuse a signing key.
    let reused = [f.request_certs[0].clone()];
    let keys = ConnectorMetadataKeys { encryption_certs: &reused, ..f.keys() };
    assert_eq!(
        build(&config(), &keys, ID),
        MetadataError::InvalidConfig("an encryption certificate reuses a signing key")
    );
    let keys = ConnectorMetadataKeys { encryption_certs: &[], ..f.keys() };
    assert_eq!(build(&config(), &keys, ID).code(), "metadata.invalid_config");
    let (_, weak) = rsa("weak", 2048);
    let weak = [weak];
    let keys = ConnectorMetadataKeys { encryption_certs: &weak, ..f.keys() };
    assert_eq!(build(&config(), &keys, ID).code(), "metadata.invalid_config");
    // The metadata signature must fit the signer's key type.
    let keys = ConnectorMetadataKeys { signature_algorithm: SignatureAlgorithm::EcdsaSha256, ..f.keys() };
    let err = build(&config(), &keys, ID);
    assert_eq!((err.code(), err.cause_code()), ("metadata.signing_failed", Some("sig.signing_failed")));
    let bare = PrivateKey { key: f.metadata.key.clone(), cert: None };
    let keys = ConnectorMetadataKeys { metadata_signer: &bare, ..f.keys() };
    assert_eq!(build(&config(), &keys, ID), MetadataError::InvalidConfig("the metadata signer has no certificate"));
}

#[test]
fn instants_are_written_in_utc_with_milliseconds() {
    assert_eq!(format_instant(datetime!(2026-11-25 10:00:01.5 +01:00)), "2026-11-25T09:00:01.500Z");
}

fn demo(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/certs/demo/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The metadata of the committed demo configuration, signature value blanked (RSA-PSS is
/// randomized); everything else, the digest included, is fixed by the clock, the ID and the keys.
#[test]
fn connector_metadata_matches_the_golden_file() {
    let signer = PrivateKey::from_pem(&demo("sign.key.pem"), Some(&demo("sign.crt.pem"))).unwrap();
    let sign_cert = X509::from_pem(&demo("sign.crt.pem")).unwrap();
    let enc_cert = X509::from_pem(&demo("enc.crt.pem")).unwrap();
    let keys = ConnectorMetadataKeys {
        metadata_signer: &signer,
        signature_algorithm: SignatureAlgorithm::RsaPssSha256,
        digest_algorithm: DigestAlgorithm::Sha256,
        request_signing_certs: std::slice::from_ref(&sign_cert),
        encryption_certs: std::slice::from_ref(&enc_cert),
    };
    let mut cfg = config();
    cfg.application_identifier = "eidas-connector:golden".into();
    let xml = build_connector_metadata(&cfg, &keys, NOW, ID).unwrap();
    let (a, b) = (xml.find("<ds:SignatureValue>").unwrap(), xml.find("</ds:SignatureValue>").unwrap());
    let mut redacted = xml.clone();
    redacted.replace_range(a + "<ds:SignatureValue>".len()..b, "…");
    insta::assert_snapshot!(redacted.replace("><", ">\n<"));
}
