//! Decryption of arbitrary documents with the test keys: never panic.
#![no_main]
use eidas_connector::xmlsec::keys::PrivateKey;
use eidas_connector::xmlsec::xmlenc::{decrypt_element, DecryptionPolicy};
use eidas_connector::xmlsec::{Document, Limits, NS_XENC};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let rsa = include_bytes!("../../certs/test-pki/sp-enc-rsa3072.key.pem");
    let ec = include_bytes!("../../certs/test-pki/sp-enc-ec-p256.key.pem");
    let (Ok(a), Ok(b)) = (PrivateKey::from_pem(rsa, None), PrivateKey::from_pem(ec, None)) else { return };
    let keys = [a, b];
    if let Ok(doc) = Document::parse(data, &Limits::default()) {
        let targets: Vec<_> = doc.child_elements(doc.root()).flat_map(|c| doc.child_elements(c).chain([c])).collect();
        for n in targets.into_iter().filter(|n| doc.is(*n, NS_XENC, "EncryptedData")) {
            let _ = decrypt_element(&doc, n, &keys, &DecryptionPolicy::default(), &Limits::default());
        }
    }
});
