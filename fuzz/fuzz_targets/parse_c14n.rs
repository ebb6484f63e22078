//! The hardened parser and exclusive c14n on arbitrary bytes: never panic.
#![no_main]
use eidas_connector::xmlsec::c14n::canonicalize;
use eidas_connector::xmlsec::{Document, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = Document::parse(data, &Limits::default()) {
        let _ = canonicalize(&doc, doc.root(), None, &["xs".to_owned(), "#default".to_owned()]);
    }
});
