//! The Response validation past the signature and the decryption: the input is a Response whose
//! `saml2:EncryptedAssertion` holds the Assertion in clear (or, as in the seeds taken from
//! `tests/vectors/saml/`, encrypted to our test key, which the target decrypts first). The
//! target encrypts the Assertion to our test EC key, signs the Response with the test proxy key
//! `idp-ec-p256` (replacing any signature), and validates it as `response` does: so every
//! field of the Response and of the Assertion reaches the checks that run after the signature
//! and the decryption (correlation, times, subject, audience, LoA, attributes, identifiers).
//! Must hold: as `response` (no panic, bounded time and memory, a consistent trace).
//!
//! With `EIDAS_FUZZ_PLAINTEXT_DIR` set, each input that held an encrypted Assertion is also
//! written there in its clear form (how `fuzz/run.sh` makes this target's seeds).
#![no_main]
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use eidas_connector::saml::NS_SAML;
use eidas_connector::xmlsec::dsig::sign_element;
use eidas_connector::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm, TrustedCert};
use eidas_connector::xmlsec::serialize::to_xml;
use eidas_connector::xmlsec::xmlenc::{
    decrypt_element, encrypt_element, ContentAlgorithm, DecryptionPolicy, KeyTransport,
};
use eidas_connector::xmlsec::{Document, Limits, NS_DS, NS_XENC};
use eidas_connector_fuzz::{validate_and_check_with, FIXTURE_EC};
use libfuzzer_sys::fuzz_target;

static PROXY_KEY: LazyLock<PrivateKey> = LazyLock::new(|| {
    PrivateKey::from_pem(include_bytes!("../../certs/test-pki/idp-ec-p256.key.pem"), None).expect("test key")
});
static OUR_CERT: LazyLock<TrustedCert> = LazyLock::new(|| {
    let certs = TrustedCert::from_pem(include_bytes!("../../certs/test-pki/sp-enc-ec-p256.crt.pem"));
    certs.ok().and_then(|c| c.into_iter().next()).expect("test cert")
});

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let Ok(mut doc) = Document::parse(data, &limits) else { return };
    let root = doc.root();
    let Some(wrapper) = doc.first_child_named(root, NS_SAML, "EncryptedAssertion") else { return };
    let Some(inner) = doc.child_elements(wrapper).next() else { return };
    let assertion = if doc.is(inner, NS_XENC, "EncryptedData") {
        let keys = FIXTURE_EC.decryption_keys();
        let Ok(plain) = decrypt_element(&doc, inner, keys, &DecryptionPolicy::default(), &limits) else { return };
        let clear = doc.import(&plain, plain.root());
        doc.replace(inner, clear);
        if doc.reindex_ids().is_err() {
            return;
        }
        if let Some(dir) = std::env::var_os("EIDAS_FUZZ_PLAINTEXT_DIR") {
            let mut h = DefaultHasher::new();
            data.hash(&mut h);
            let _ = std::fs::write(std::path::Path::new(&dir).join(format!("clear-{:016x}", h.finish())), to_xml(&doc));
        }
        clear
    } else {
        inner
    };
    for signature in doc.children_named(root, NS_DS, "Signature").collect::<Vec<_>>() {
        doc.detach(signature);
    }
    let transport = KeyTransport::RsaOaep { digest: DigestAlgorithm::Sha256, mgf: DigestAlgorithm::Sha256 };
    if encrypt_element(&mut doc, assertion, &OUR_CERT, ContentAlgorithm::Aes128Gcm, transport).is_err() {
        return;
    }
    if sign_element(&mut doc, root, &PROXY_KEY, SignatureAlgorithm::EcdsaSha256, DigestAlgorithm::Sha256).is_err() {
        return;
    }
    let _ = validate_and_check_with(&FIXTURE_EC, to_xml(&doc).as_bytes());
});
