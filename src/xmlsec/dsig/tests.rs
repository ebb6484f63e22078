//! Unit tests of the verifier and signer with keys made in the test. Vectors made by
//! independent implementations are exercised in `tests/xmlsec_vectors.rs`.

use super::*;
use crate::xmlsec::serialize::to_xml;
use crate::xmlsec::Limits;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::rsa::Rsa;

const DOC: &str = r#"<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1"><saml2:Issuer>https://idp.example</saml2:Issuer><saml2p:Status/><saml2:Assertion ID="_a1"><saml2:Issuer>x</saml2:Issuer></saml2:Assertion></saml2p:Response>"#;

fn rsa_key(bits: u32) -> PrivateKey {
    let k = PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap();
    PrivateKey { key: k, cert: None }
}

fn ec_key(nid: Nid) -> PrivateKey {
    let k = PKey::from_ec_key(EcKey::generate(&EcGroup::from_curve_name(nid).unwrap()).unwrap()).unwrap();
    PrivateKey { key: k, cert: None }
}

fn trusted(k: &PrivateKey) -> TrustedCert {
    let pubk = PKey::public_key_from_der(&k.public_der()).unwrap();
    // A certificate is not needed by the verifier; build a throwaway one.
    let mut b = openssl::x509::X509Builder::new().unwrap();
    b.set_pubkey(&pubk).unwrap();
    b.sign(&k.key, openssl::hash::MessageDigest::sha256()).unwrap();
    TrustedCert { cert: b.build(), key: pubk }
}

fn signed(key: &PrivateKey, alg: SignatureAlgorithm) -> String {
    let mut d = Document::parse(DOC.as_bytes(), &Limits::default()).unwrap();
    let root = d.root();
    sign_element(&mut d, root, key, alg, DigestAlgorithm::Sha256).unwrap();
    to_xml(&d)
}

fn verify(xml: &str, t: &[TrustedCert]) -> Result<VerifiedElement, DsigError> {
    let d = Document::parse(xml.as_bytes(), &Limits::default())?;
    verify_element(&d, d.root(), t, &SignaturePolicy::default())
}

#[test]
fn sign_then_verify_round_trips_for_every_algorithm() {
    let rsa = rsa_key(3072);
    for alg in [SignatureAlgorithm::RsaPssSha256, SignatureAlgorithm::RsaPssSha384, SignatureAlgorithm::RsaPssSha512] {
        let v = verify(&signed(&rsa, alg), &[trusted(&rsa)]).unwrap();
        assert_eq!(v.algorithm(), alg);
    }
    for nid in [
        Nid::X9_62_PRIME256V1,
        Nid::SECP384R1,
        Nid::SECP521R1,
        Nid::BRAINPOOL_P256R1,
        Nid::BRAINPOOL_P384R1,
        Nid::BRAINPOOL_P512R1,
    ] {
        let ec = ec_key(nid);
        for alg in [SignatureAlgorithm::EcdsaSha256, SignatureAlgorithm::EcdsaSha384, SignatureAlgorithm::EcdsaSha512] {
            verify(&signed(&ec, alg), &[trusted(&ec)]).unwrap();
        }
    }
}

#[test]
fn signature_is_placed_right_after_issuer() {
    let xml = signed(&ec_key(Nid::X9_62_PRIME256V1), SignatureAlgorithm::EcdsaSha256);
    let issuer_end = xml.find("</saml2:Issuer>").unwrap();
    assert!(xml[issuer_end..].starts_with("</saml2:Issuer><ds:Signature"));
}

#[test]
fn verify_rejects_untrusted_key_and_tampering() {
    let k = ec_key(Nid::X9_62_PRIME256V1);
    let xml = signed(&k, SignatureAlgorithm::EcdsaSha256);
    let other = ec_key(Nid::X9_62_PRIME256V1);
    assert_eq!(verify(&xml, &[trusted(&other)]).unwrap_err(), DsigError::Invalid);
    assert_eq!(verify(&xml, &[]).unwrap_err(), DsigError::NoTrustedKey);
    let tampered = xml.replace("https://idp.example", "https://evil.example");
    assert_eq!(verify(&tampered, &[trusted(&k)]).unwrap_err(), DsigError::DigestMismatch);
}

#[test]
fn verify_enforces_key_type_and_size() {
    let small = rsa_key(2048);
    let xml = signed(&small, SignatureAlgorithm::RsaPssSha256);
    assert_eq!(verify(&xml, &[trusted(&small)]).unwrap_err(), DsigError::KeyTooSmall);
    let ec = ec_key(Nid::X9_62_PRIME256V1);
    assert_eq!(verify(&xml, &[trusted(&ec)]).unwrap_err(), DsigError::KeyTypeMismatch);
    let weak = ec_key(Nid::SECP224R1);
    let xml = signed(&weak, SignatureAlgorithm::EcdsaSha256);
    assert_eq!(verify(&xml, &[trusted(&weak)]).unwrap_err(), DsigError::CurveForbidden);
}

#[test]
fn verify_checks_shape_before_crypto() {
    let k = ec_key(Nid::X9_62_PRIME256V1);
    let t = [trusted(&k)];
    let xml = signed(&k, SignatureAlgorithm::EcdsaSha256);
    let cases = [
        (xml.replace("</ds:SignatureValue>", "</ds:SignatureValue><ds:Object/>"), DsigError::Structure),
        (xml.replace("<ds:SignatureValue>", "<!--x--><ds:SignatureValue>"), DsigError::Structure),
        (
            xml.replace("xml-exc-c14n#\"/><ds:SignatureMethod", "xml-exc-c14n#WithComments\"/><ds:SignatureMethod"),
            DsigError::C14nForbidden,
        ),
        (xml.replace("xmldsig-more#ecdsa-sha256", "xmldsig-more#rsa-sha256"), DsigError::AlgorithmForbidden),
        (xml.replace("URI=\"#_r1\"", "URI=\"#_a1\""), DsigError::Reference),
        (xml.replace("URI=\"#_r1\"", "URI=\"\""), DsigError::Reference),
        (
            xml.replace("<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>", ""),
            DsigError::TransformsForbidden,
        ),
        (xml.replace("xmlenc#sha256", "xmldsig#sha1"), DsigError::DigestForbidden),
    ];
    for (bad, want) in cases {
        assert_ne!(bad, xml, "mutation for {want:?} did not apply");
        assert_eq!(verify(&bad, &t).unwrap_err(), want);
    }
}

#[test]
fn verify_requires_a_direct_child_at_the_schema_position() {
    let k = ec_key(Nid::X9_62_PRIME256V1);
    let t = [trusted(&k)];
    let d = Document::parse(signed(&k, SignatureAlgorithm::EcdsaSha256).as_bytes(), &Limits::default()).unwrap();
    let assertion = d.find_id("_a1").unwrap();
    assert_eq!(verify_element(&d, assertion, &t, &SignaturePolicy::default()).unwrap_err(), DsigError::Missing);
    let xml = signed(&k, SignatureAlgorithm::EcdsaSha256);
    let start = xml.find("<ds:Signature").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let sig = &xml[start..end];
    let moved = xml.replacen(sig, "", 1).replace("</saml2p:Response>", &format!("{sig}</saml2p:Response>"));
    assert_eq!(verify(&moved, &t).unwrap_err(), DsigError::Misplaced);
    let twice = xml.replacen(sig, &format!("{sig}{sig}"), 1);
    assert_eq!(verify(&twice, &t).unwrap_err(), DsigError::Multiple);
}

#[test]
fn whole_document_reference_only_under_policy() {
    let k = ec_key(Nid::X9_62_PRIME256V1);
    let mut d = Document::parse(DOC.as_bytes(), &Limits::default()).unwrap();
    let root = d.root();
    sign_element(&mut d, root, &k, SignatureAlgorithm::EcdsaSha256, DigestAlgorithm::Sha256).unwrap();
    // Re-sign SignedInfo with URI="" to isolate the reference rule.
    let xml = to_xml(&d).replace("URI=\"#_r1\"", "URI=\"\"");
    let mut d = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
    let sig = d.first_child_named(d.root(), NS_DS, "Signature").unwrap();
    let si = d.first_child_named(sig, NS_DS, "SignedInfo").unwrap();
    let sv = d.first_child_named(sig, NS_DS, "SignatureValue").unwrap();
    let value = sign_value(&k, SignatureAlgorithm::EcdsaSha256, &canonicalize(&d, si, None, &[]).unwrap()).unwrap();
    let text = d.children(sv)[0];
    d.detach(text);
    d.append(sv, Node::Text(encode_base64(&value)));
    let t = [trusted(&k)];
    assert_eq!(verify_element(&d, d.root(), &t, &SignaturePolicy::default()).unwrap_err(), DsigError::Reference);
    let policy = SignaturePolicy { allow_whole_document_reference: true, ..SignaturePolicy::default() };
    verify_element(&d, d.root(), &t, &policy).unwrap();
}
