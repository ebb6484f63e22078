//! Signature verification of arbitrary documents against the test proxy key: never panic.
#![no_main]
use eidas_connector::xmlsec::dsig::{verify_element, SignaturePolicy};
use eidas_connector::xmlsec::keys::TrustedCert;
use eidas_connector::xmlsec::{Document, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let pem = include_bytes!("../../certs/test-pki/idp-rsa3072.crt.pem");
    let Ok(trusted) = TrustedCert::from_pem(pem) else { return };
    if let Ok(doc) = Document::parse(data, &Limits::default()) {
        let _ = verify_element(&doc, doc.root(), &trusted, &SignaturePolicy::default());
    }
});
