//! Reader tests on small synthetic documents, for the signature-coverage and validity paths
//! and the value parsers. The signatures are made with our own signer: they exercise the
//! reader's coverage logic, not the verifier (which has independent vectors).

use super::*;
use crate::saml::metadata::MetadataOptions;
use crate::xmlsec::dsig::{sign_element, DsigError};
use crate::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm};
use crate::xmlsec::serialize::to_xml;
use crate::xmlsec::{encode_base64, XmlError};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::{X509Builder, X509NameBuilder};
use time::macros::datetime;

const TODAY: OffsetDateTime = datetime!(2026-11-25 12:00 UTC);

fn insecure_unsigned() -> MetadataOptions {
    MetadataOptions { insecure_allow_unsigned: true, ..MetadataOptions::default() }
}

const MD_NS: &str = r#"xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata""#;

fn ec_key_and_cert(cn: &str) -> (PrivateKey, TrustedCert) {
    let key =
        PKey::from_ec_key(EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&openssl::bn::BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::from_unix(1_700_000_000).unwrap()).unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::from_unix(1_900_000_000).unwrap()).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    (PrivateKey { key, cert: Some(cert.clone()) }, TrustedCert::from_x509(cert).unwrap())
}

/// A minimal proxy-service entity; `extra` goes into the start tag.
fn entity(id: &str, cert: &TrustedCert, extra: &str) -> String {
    let b64 = encode_base64(&cert.der());
    format!(
        r#"<md:EntityDescriptor {MD_NS} ID="{id}" entityID="https://{id}.example/metadata" {extra}><md:Extensions><eidas:NodeCountry xmlns:eidas="http://eidas.europa.eu/saml-extensions">XA</eidas:NodeCountry></md:Extensions><md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo><md:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://{id}.example/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
    )
}

/// Signs the elements with the given IDs (each with its key) and serializes.
fn sign_ids(xml: &str, signers: &[(&str, &PrivateKey)]) -> String {
    let mut doc = Document::parse(xml.as_bytes(), &Limits::metadata()).unwrap();
    for (id, key) in signers {
        let node = doc.find_id(id).unwrap();
        sign_element(&mut doc, node, key, SignatureAlgorithm::EcdsaSha256, DigestAlgorithm::Sha256).unwrap();
    }
    to_xml(&doc)
}

#[test]
fn unsigned_aggregate_keeps_entities_whose_own_signature_verifies() {
    let (trusted_key, trusted) = ec_key_and_cert("trusted");
    let (rogue_key, _) = ec_key_and_cert("rogue");
    let xml = format!(
        r#"<md:EntitiesDescriptor {MD_NS} validUntil="2030-01-01T00:00:00Z" cacheDuration="PT1H">{}{}{}</md:EntitiesDescriptor>"#,
        entity("_a", &trusted, ""),
        entity("_b", &trusted, ""),
        entity("_c", &trusted, r#"cacheDuration="PT5M""#),
    );
    let xml = sign_ids(&xml, &[("_a", &trusted_key), ("_b", &rogue_key)]);
    let parsed = parse_proxy_metadata_detailed(
        xml.as_bytes(),
        std::slice::from_ref(&trusted),
        TODAY,
        &MetadataOptions::default(),
    )
    .unwrap();
    let [a] = parsed.entities.as_slice() else { panic!("one entity expected: {parsed:?}") };
    assert_eq!((a.entity_id.as_str(), a.position, a.signed), ("https://_a.example/metadata", Some(0), true));
    // KeyDescriptor without use: both signing and encryption (SAML Metadata 2.4.1.1).
    assert_eq!((a.signing_certs.len(), a.encryption_certs.len()), (1, 1));
    assert_eq!(a.node_country, CountryCode::parse("XA"));
    assert_eq!(a.cache_duration, Some(Duration::hours(1)));
    let reasons: Vec<(usize, &str, Option<&str>)> =
        parsed.skipped.iter().map(|s| (s.position, s.error.code(), s.error.cause_code())).collect();
    assert_eq!(reasons, [(1, "metadata.signature", Some("sig.invalid")), (2, "metadata.unsigned", None)]);

    // With unsigned entities tolerated, _c comes in unsigned and _b stays out.
    let parsed = parse_proxy_metadata_detailed(xml.as_bytes(), &[trusted], TODAY, &insecure_unsigned()).unwrap();
    let got: Vec<(Option<usize>, bool, Option<Duration>)> =
        parsed.entities.iter().map(|e| (e.position, e.signed, e.cache_duration)).collect();
    assert_eq!(got, [(Some(0), true, Some(Duration::hours(1))), (Some(2), false, Some(Duration::minutes(5)))]);
    assert_eq!(parsed.skipped.len(), 1);
}

#[test]
fn signed_aggregate_covers_its_entities_and_fails_as_a_whole() {
    let (key, cert) = ec_key_and_cert("aggregate");
    let xml = format!(
        r#"<md:EntitiesDescriptor {MD_NS} ID="_agg" validUntil="2030-01-01T00:00:00Z">{}<md:EntitiesDescriptor validUntil="2026-01-01T00:00:00Z">{}</md:EntitiesDescriptor></md:EntitiesDescriptor>"#,
        entity("_a", &cert, ""),
        entity("_b", &cert, ""),
    );
    let signed = sign_ids(&xml, &[("_agg", &key)]);
    let parsed = parse_proxy_metadata_detailed(
        signed.as_bytes(),
        std::slice::from_ref(&cert),
        TODAY,
        &MetadataOptions::default(),
    )
    .unwrap();
    assert_eq!(parsed.entities.len(), 1);
    assert!(parsed.entities[0].signed);
    // The nested group expired before TODAY.
    assert_eq!(parsed.skipped[0].error, MetadataError::Expired { valid_until: datetime!(2026-01-01 0:00 UTC) });
    assert_eq!(parsed.skipped[0].position, 1);

    let tampered = signed.replace("https://_a.example/sso", "https://evil.example/sso");
    let err = parse_proxy_metadata(tampered.as_bytes(), std::slice::from_ref(&cert), TODAY, &insecure_unsigned())
        .unwrap_err();
    assert_eq!(err, MetadataError::Signature(DsigError::DigestMismatch));
    let err =
        parse_proxy_metadata(signed.as_bytes(), &[cert], datetime!(2030-01-01 0:00 UTC), &MetadataOptions::default())
            .unwrap_err();
    assert_eq!(err.code(), "metadata.expired");
}

#[test]
fn parse_refuses_what_is_not_proxy_metadata() {
    let (_, cert) = ec_key_and_cert("x");
    let opts = insecure_unsigned();
    let err = parse_proxy_metadata(b"<r/>", &[], TODAY, &opts).unwrap_err();
    assert_eq!(err, MetadataError::NotMetadata);
    let err = parse_proxy_metadata(b"<!DOCTYPE r><r/>", &[], TODAY, &opts).unwrap_err();
    assert_eq!((err.code(), err.cause_code()), ("metadata.malformed", Some("xml.doctype_forbidden")));
    assert_eq!(err, MetadataError::Xml(XmlError::DoctypeForbidden));

    let sp = format!(
        r#"<md:EntityDescriptor {MD_NS} entityID="https://sp.example" validUntil="2030-01-01T00:00:00Z"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>"#
    );
    assert_eq!(parse_proxy_metadata(sp.as_bytes(), &[], TODAY, &opts).unwrap_err(), MetadataError::NoIdp);

    let bad_country = entity("_a", &cert, r#"validUntil="2030-01-01T00:00:00Z""#).replace(">XA<", ">France<");
    assert_eq!(
        parse_proxy_metadata(bad_country.as_bytes(), &[], TODAY, &opts).unwrap_err(),
        MetadataError::Malformed("NodeCountry")
    );
    let bad_date = entity("_a", &cert, r#"validUntil="tomorrow""#);
    assert_eq!(
        parse_proxy_metadata(bad_date.as_bytes(), &[], TODAY, &opts).unwrap_err(),
        MetadataError::Malformed("validUntil")
    );
    let no_keys = format!(
        r#"<md:EntityDescriptor {MD_NS} entityID="https://x.example" validUntil="2030-01-01T00:00:00Z"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>"#
    );
    assert_eq!(
        parse_proxy_metadata(no_keys.as_bytes(), &[], TODAY, &opts).unwrap_err(),
        MetadataError::Malformed("no signing certificate")
    );
    let comment_in_value = entity("_a", &cert, r#"validUntil="2030-01-01T00:00:00Z""#).replace(">XA<", ">X<!---->A<");
    assert_eq!(
        parse_proxy_metadata(comment_in_value.as_bytes(), &[], TODAY, &opts).unwrap_err(),
        MetadataError::Xml(XmlError::MixedContent)
    );
}

#[test]
fn xsd_durations_in_common_forms_parse() {
    assert_eq!(parse_xsd_duration("PT1H"), Some(Duration::hours(1)));
    assert_eq!(parse_xsd_duration("PT20M"), Some(Duration::minutes(20)));
    assert_eq!(parse_xsd_duration("P1D"), Some(Duration::days(1)));
    assert_eq!(parse_xsd_duration(" P1DT12H "), Some(Duration::hours(36)));
    assert_eq!(parse_xsd_duration("P1M"), Some(Duration::days(30)));
    assert_eq!(parse_xsd_duration("P1Y"), Some(Duration::days(365)));
    assert_eq!(parse_xsd_duration("PT0.5S"), Some(Duration::milliseconds(500)));
    assert_eq!(parse_xsd_duration("PT86400S"), Some(Duration::days(1)));
    for bad in
        ["", "P", "PT", "-PT1H", "1H", "PT1D", "P1H", "PT1M1H", "PT1.5M", "P1.5D", "PTH", "PT1H1H", "P99999999999999Y"]
    {
        assert_eq!(parse_xsd_duration(bad), None, "{bad}");
    }
}

#[test]
fn instants_parse_with_or_without_fraction_and_zone() {
    assert_eq!(parse_instant("2020-03-21T13:33:58.823Z"), Some(datetime!(2020-03-21 13:33:58.823 UTC)));
    assert_eq!(parse_instant("2030-08-30T10:20:34Z"), Some(datetime!(2030-08-30 10:20:34 UTC)));
    assert_eq!(parse_instant("2030-08-30T10:20:34"), Some(datetime!(2030-08-30 10:20:34 UTC)));
    assert_eq!(parse_instant("2030-08-30T12:20:34+02:00"), Some(datetime!(2030-08-30 10:20:34 UTC)));
    assert_eq!(parse_instant("30/08/2030"), None);
}

#[test]
fn highest_protocol_version_and_refresh_time() {
    let (_, cert) = ec_key_and_cert("x");
    let xml = entity("_a", &cert, r#"validUntil="2030-01-01T00:00:00Z" cacheDuration="P1D""#).replace(
        "<md:Extensions>",
        r#"<md:Extensions><mdattr:EntityAttributes xmlns:mdattr="urn:oasis:names:tc:SAML:metadata:attribute"><saml2:Attribute xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" Name="http://eidas.europa.eu/entity-attributes/protocol-version"><saml2:AttributeValue>1.2</saml2:AttributeValue><saml2:AttributeValue> 1.4 </saml2:AttributeValue><saml2:AttributeValue>1.10</saml2:AttributeValue><saml2:AttributeValue>x</saml2:AttributeValue></saml2:Attribute></mdattr:EntityAttributes>"#,
    );
    let all = parse_proxy_metadata(xml.as_bytes(), &[], TODAY, &insecure_unsigned()).unwrap();
    assert_eq!(all[0].protocol_versions, ["1.2", "1.4", "1.10", "x"]);
    assert_eq!(all[0].highest_protocol_version(), Some("1.10"));
    assert_eq!(all[0].refresh_before(TODAY), TODAY + Duration::days(1));
    assert_eq!(all[0].refresh_before(datetime!(2029-12-31 12:00 UTC)), datetime!(2030-01-01 0:00 UTC));
}
