//! Property tests: random mutations of valid signed and encrypted inputs never panic the
//! parser, the canonicalizer, the verifier or the decrypter (they return Ok or a named error).

use eidas_connector::xmlsec::c14n::canonicalize;
use eidas_connector::xmlsec::dsig::{verify_element, SignaturePolicy};
use eidas_connector::xmlsec::keys::{PrivateKey, TrustedCert};
use eidas_connector::xmlsec::xmlenc::{decrypt_element, DecryptionPolicy};
use eidas_connector::xmlsec::{Document, Limits, NodeId, NS_XENC};
use proptest::prelude::*;

use crate::support::repo_file;

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(repo_file(rel)).unwrap()
}

fn first_vector(dir: &str, prefix: &str) -> Vec<u8> {
    let d = repo_file(dir);
    let mut files: Vec<_> = std::fs::read_dir(&d).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    let f = files
        .into_iter()
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".xml") && !n.contains("plaintext"))
        })
        .unwrap_or_else(|| panic!("no {prefix}* vector in {dir}"));
    std::fs::read(f).unwrap()
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tokens: Vec<Vec<u8>> = [
        "<",
        ">",
        "&",
        "&amp;",
        "&#0;",
        "&#xD800;",
        "\"",
        "'",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<?x?>",
        "<!DOCTYPE r>",
        "xmlns:ds=\"urn:evil\"",
        " ID=\"_x\"",
        "</ds:Signature>",
        "<ds:Object/>",
        "\u{10FFFF}",
        "\r\n",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), proptest::sample::select(tokens)).prop_map(|(i, t)| Mutation::Insert(i, t)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

fn apply(mut input: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = input.len().max(1);
        match m {
            Mutation::Flip(i, b) => {
                if let Some(x) = input.get_mut(i % len) {
                    *x ^= b | 1;
                }
            }
            Mutation::Truncate(i) => input.truncate(i % len),
            Mutation::Insert(i, t) => {
                let at = (i % len).min(input.len());
                input.splice(at..at, t.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let at = (i % len).min(input.len());
                let end = (at + n).min(input.len());
                input.drain(at..end);
            }
        }
    }
    input
}

fn descendant(doc: &Document, from: NodeId, ns: &str, local: &str) -> Option<NodeId> {
    if doc.is(from, ns, local) {
        return Some(from);
    }
    doc.child_elements(from).find_map(|c| descendant(doc, c, ns, local))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_signed_documents_never_panic(muts in proptest::collection::vec(mutation(), 1..4)) {
        let base = first_vector("tests/vectors/xmlsec/sig", "accept_");
        let trusted = TrustedCert::from_pem(&read("certs/test-pki/idp-rsa3072.crt.pem")).unwrap();
        let input = apply(base, &muts);
        if let Ok(doc) = Document::parse(&input, &Limits::default()) {
            let _ = canonicalize(&doc, doc.root(), None, &["xs".to_owned(), "#default".to_owned()]);
            let _ = verify_element(&doc, doc.root(), &trusted, &SignaturePolicy::default());
        }
    }

    #[test]
    fn mutated_encrypted_documents_never_panic(muts in proptest::collection::vec(mutation(), 1..4)) {
        let base = first_vector("tests/vectors/xmlsec/enc", "accept_");
        let keys = [
            PrivateKey::from_pem(&read("certs/test-pki/sp-enc-rsa3072.key.pem"), None).unwrap(),
            PrivateKey::from_pem(&read("certs/test-pki/sp-enc-ec-p256.key.pem"), None).unwrap(),
        ];
        let input = apply(base, &muts);
        if let Ok(doc) = Document::parse(&input, &Limits::default()) {
            if let Some(n) = descendant(&doc, doc.root(), NS_XENC, "EncryptedData") {
                let _ = decrypt_element(&doc, n, &keys, &DecryptionPolicy::default(), &Limits::default());
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_parser(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(doc) = Document::parse(&bytes, &Limits::default()) {
            let _ = canonicalize(&doc, doc.root(), None, &[]);
        }
    }
}
