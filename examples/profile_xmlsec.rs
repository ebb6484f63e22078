//! `profile_xmlsec`: runs one XML-security operation in a loop, for a profiler.
//!
//! Instruction counts under `valgrind --tool=callgrind` are repeatable on a shared machine
//! where wall-clock timings are not, so this is what `docs/perf-profiles.md` measures: each
//! "full" operation of the connector beside the bare openssl operation it wraps, with the
//! same keys and messages as `benches/xmlsec.rs`.
//!
//! ```text
//! cargo build --release --example profile_xmlsec
//! valgrind --tool=callgrind --callgrind-out-file=cg.out \
//!     target/release/examples/profile_xmlsec ec_decrypt 2000
//! callgrind_annotate cg.out | head -40
//! ```
//!
//! Operations: `ec_decrypt` / `ec_decrypt_bare` (ECDH-ES P-256 + kw-aes256 + AES-256-GCM vs
//! one ECDH derive), `ec_sign` / `ec_sign_bare` (sign an AuthnRequest with ECDSA P-256 vs one
//! ECDSA signature), `ec_verify` / `ec_verify_bare` (verify an ECDSA P-256 signed Response vs
//! one ECDSA verification), `setup` (only the set-up, to subtract). The set-up itself (key
//! generation, encryption of the fixtures) is done once and is subtracted by running `setup`.
//! Without valgrind the program also prints the wall time per iteration (noisy).

// A profiling driver: a failure here is a broken fixture, not a runtime path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use eidas_connector::xmlsec::dsig::{sign_element, verify_element, SignaturePolicy};
use eidas_connector::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm, TrustedCert};
use eidas_connector::xmlsec::serialize::to_xml;
use eidas_connector::xmlsec::xmlenc::{
    decrypt_element, encrypt_element, ContentAlgorithm, DecryptionPolicy, KeyTransport,
};
use eidas_connector::xmlsec::{Document, Limits, NS_XENC};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::sign::{Signer, Verifier};

/// The allocator the service binary uses (`src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const AUTHN_REQUEST: &str = r#"<saml2p:AuthnRequest xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:eidas="http://eidas.europa.eu/saml-extensions" Consent="urn:oasis:names:tc:SAML:2.0:consent:unspecified" Destination="https://proxy.example.es/EidasNode/ColleagueRequest" ForceAuthn="true" ID="_0123456789abcdef0123456789abcdef" IsPassive="false" IssueInstant="2026-11-25T10:00:00.000Z" Version="2.0"><saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">https://connector.example/eidas/metadata</saml2:Issuer><saml2p:Extensions><eidas:RequestedAttributes><eidas:RequestedAttribute Name="http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" isRequired="true"/></eidas:RequestedAttributes></saml2p:Extensions><saml2p:NameIDPolicy AllowCreate="true" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:unspecified"/><saml2p:RequestedAuthnContext Comparison="minimum"><saml2:AuthnContextClassRef>http://eidas.europa.eu/LoA/substantial</saml2:AuthnContextClassRef></saml2p:RequestedAuthnContext></saml2p:AuthnRequest>"#;

/// A Response of the same shape as the bench's (about 7 kB once encrypted).
fn response_xml() -> String {
    let attrs: String = ["PersonIdentifier", "CurrentFamilyName", "CurrentGivenName", "DateOfBirth", "PlaceOfBirth"]
        .iter()
        .map(|n| format!(r#"<saml2:Attribute FriendlyName="{n}" Name="http://eidas.europa.eu/attributes/naturalperson/{n}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"><saml2:AttributeValue xsi:type="eidas-natural:{n}Type">value of {n}</saml2:AttributeValue></saml2:Attribute>"#))
        .collect();
    format!(
        r#"<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:eidas-natural="http://eidas.europa.eu/attributes/naturalperson" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Destination="https://connector.example/eidas/acs" ID="_resp0123456789abcdef0123456789abcdef" InResponseTo="_req0123456789abcdef0123456789abcdef" IssueInstant="2026-11-25T10:00:00.000Z" Version="2.0">
<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">https://proxy.example.es/EidasNode/ServiceMetadata</saml2:Issuer>
<saml2p:Status><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></saml2p:Status>
<saml2:Assertion ID="_assert0123456789abcdef0123456789abcdef" IssueInstant="2026-11-25T10:00:00.000Z" Version="2.0">
<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">https://proxy.example.es/EidasNode/ServiceMetadata</saml2:Issuer>
<saml2:Subject><saml2:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">ES/FR/12345678Z</saml2:NameID></saml2:Subject>
<saml2:AttributeStatement>{attrs}</saml2:AttributeStatement>
</saml2:Assertion>
</saml2p:Response>"#
    )
}

fn ec_key() -> PrivateKey {
    let k = EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap();
    // Through PEM, as the service loads its keys (a provider-native key in OpenSSL 3).
    PrivateKey::from_pem(&PKey::from_ec_key(k).unwrap().private_key_to_pem_pkcs8().unwrap(), None).unwrap()
}

fn cert_of(k: &PrivateKey) -> TrustedCert {
    let mut b = openssl::x509::X509Builder::new().unwrap();
    b.set_pubkey(&PKey::public_key_from_der(&k.public_der()).unwrap()).unwrap();
    let mut name = openssl::x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "profile").unwrap();
    let name = name.build();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap()).unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(1).unwrap()).unwrap();
    b.sign(&k.key, MessageDigest::sha256()).unwrap();
    TrustedCert::from_x509(b.build()).unwrap()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let op = args.next().unwrap_or_else(|| "ec_decrypt".to_owned());
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let limits = Limits::default();
    let policy = DecryptionPolicy::default();

    let mut ec = ec_key();
    let ec_cert = cert_of(&ec);
    ec.cert = Some(ec_cert.cert.clone());
    let mut d = Document::parse(response_xml().as_bytes(), &limits).unwrap();
    let a = d.child_elements(d.root()).nth(2).unwrap();
    encrypt_element(
        &mut d,
        a,
        &ec_cert,
        ContentAlgorithm::Aes256Gcm,
        KeyTransport::RsaOaep { digest: DigestAlgorithm::Sha256, mgf: DigestAlgorithm::Sha256 },
    )
    .unwrap();
    let enc_ec = to_xml(&d);
    let root = d.root();
    sign_element(&mut d, root, &ec, SignatureAlgorithm::EcdsaSha256, DigestAlgorithm::Sha256).unwrap();
    let signed_ec = to_xml(&d);
    let trusted = [ec_cert.clone()];
    let data = b"0123456789abcdef0123456789abcdef";
    let ecdsa_sig = Signer::new(MessageDigest::sha256(), &ec.key).unwrap().sign_oneshot_to_vec(data).unwrap();
    let peer =
        PKey::from_ec_key(EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap()).unwrap();

    let one = || match op.as_str() {
        "ec_decrypt" => {
            let d = Document::parse(enc_ec.as_bytes(), &limits).unwrap();
            let n = d.child_elements(d.root()).find(|n| d.is(*n, NS_XENC, "EncryptedData")).unwrap();
            black_box(decrypt_element(&d, n, std::slice::from_ref(&ec), &policy, &limits).unwrap());
        }
        "ec_decrypt_bare" => {
            let mut der = openssl::derive::Deriver::new(&ec.key).unwrap();
            der.set_peer(&peer).unwrap();
            black_box(der.derive_to_vec().unwrap());
        }
        "ec_sign" => {
            let mut d = Document::parse(AUTHN_REQUEST.as_bytes(), &limits).unwrap();
            let r = d.root();
            sign_element(&mut d, r, &ec, SignatureAlgorithm::EcdsaSha256, DigestAlgorithm::Sha256).unwrap();
            black_box(to_xml(&d));
        }
        "ec_sign_bare" => {
            black_box(Signer::new(MessageDigest::sha256(), &ec.key).unwrap().sign_oneshot_to_vec(data).unwrap());
        }
        "ec_verify" => {
            let d = Document::parse(signed_ec.as_bytes(), &limits).unwrap();
            black_box(verify_element(&d, d.root(), &trusted, &SignaturePolicy::default()).unwrap());
        }
        "ec_verify_bare" => {
            let mut v = Verifier::new(MessageDigest::sha256(), &ec_cert.key).unwrap();
            black_box(v.verify_oneshot(&ecdsa_sig, data).unwrap());
        }
        "setup" => {}
        other => panic!("unknown operation {other}"),
    };
    let start = Instant::now();
    for _ in 0..n {
        one();
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1));
    println!("{op}: {n} iterations, {per:.1} µs each (wall clock, noisy)");
}
