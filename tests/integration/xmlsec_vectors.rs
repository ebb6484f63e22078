//! Every vector of `tests/vectors/xmlsec/manifest.json` (made by signxml, python-xmlsec,
//! xmlsec1 and cryptography; see `tests/vectors/README.md`) gives exactly its expected
//! outcome: `ok`, or the named error code.

use eidas_connector::xmlsec::dsig::{verify_element, SignaturePolicy};
use eidas_connector::xmlsec::keys::{KeyPolicy, PrivateKey, TrustedCert};
use eidas_connector::xmlsec::xmlenc::{decrypt_bytes_with_info, DecryptionPolicy};
use eidas_connector::xmlsec::{Document, Limits, Node, NodeId, NS_XENC};
use serde_json::Value;

use crate::support::repo_file;

const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const NS_MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// Vectors too large to commit are grown at test time as the manifest says.
fn inflate(bytes: Vec<u8>, g: &Value) -> Vec<u8> {
    let text = String::from_utf8(bytes).expect("UTF-8 vector");
    let anchor = g["insert_before"].as_str().expect("insert_before");
    let filler = g["filler"].as_str().expect("filler");
    let min = g["min_total_bytes"].as_u64().expect("min_total_bytes") as usize;
    let at = text.rfind(anchor).expect("anchor present");
    let need = min.saturating_sub(text.len()) / filler.len().max(1) + 1;
    let mut out = String::with_capacity(min + filler.len());
    out.push_str(&text[..at]);
    out.push_str(&filler.repeat(need));
    out.push_str(&text[at..]);
    out.into_bytes()
}

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(repo_file("tests/vectors/xmlsec/manifest.json")).expect("manifest present");
    serde_json::from_str::<Value>(&text).expect("manifest is JSON").as_array().expect("array").clone()
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn option_u64(v: &Value, key: &str) -> Option<u64> {
    v.get("options").and_then(|o| o.get(key)).and_then(Value::as_u64)
}

fn option_bool(v: &Value, key: &str) -> Option<bool> {
    v.get("options").and_then(|o| o.get(key)).and_then(Value::as_bool)
}

fn descendant(doc: &Document, from: NodeId, ns: &str, local: &str) -> Option<NodeId> {
    if doc.is(from, ns, local) {
        return Some(from);
    }
    doc.child_elements(from).find_map(|c| descendant(doc, c, ns, local))
}

/// Runs one vector; returns "ok" or the error code.
fn run(v: &Value) -> String {
    let file = v["file"].as_str().expect("file");
    let bytes = std::fs::read(repo_file(&format!("tests/vectors/xmlsec/{file}")))
        .or_else(|_| std::fs::read(repo_file(file)))
        .expect("vector file readable");
    let bytes = match v.get("generated") {
        Some(g) => inflate(bytes, g),
        None => bytes,
    };
    let limits = Limits::default();
    let doc = match Document::parse(&bytes, &limits) {
        Ok(d) => d,
        Err(e) => return e.code().to_owned(),
    };
    let min_rsa_bits = option_u64(v, "min_rsa_bits").map_or(3072, |b| b as u32);
    match v["op"].as_str() {
        Some("verify") => {
            let mut trusted = Vec::new();
            for c in strings(v, "trust") {
                trusted.extend(TrustedCert::from_pem(&std::fs::read(repo_file(&c)).unwrap()).unwrap());
            }
            let element = match v.get("element").and_then(Value::as_str) {
                Some("assertion") => descendant(&doc, doc.root(), NS_SAML, "Assertion").expect("assertion"),
                _ => doc.root(),
            };
            // URI="" is the metadata document element's privilege (xmlsec-profile 10).
            let metadata = doc.element(doc.root()).and_then(|e| e.ns.as_deref()) == Some(NS_MD);
            let policy = SignaturePolicy { keys: KeyPolicy { min_rsa_bits }, allow_whole_document_reference: metadata };
            match verify_element(&doc, element, &trusted, &policy) {
                Ok(verified) => {
                    assert!(!verified.canonical().is_empty());
                    check_expected_text(v, &doc);
                    "ok".into()
                }
                Err(e) => e.code().to_owned(),
            }
        }
        Some("decrypt") => {
            let keys: Vec<PrivateKey> = strings(v, "keys")
                .iter()
                .map(|k| PrivateKey::from_pem(&std::fs::read(repo_file(k)).unwrap(), None).unwrap())
                .collect();
            let policy = DecryptionPolicy {
                keys: KeyPolicy { min_rsa_bits },
                allow_sha1_oaep: option_bool(v, "allow_sha1_oaep").unwrap_or(true),
                allow_rsa_oaep_mgf1p: option_bool(v, "allow_rsa_oaep_mgf1p").unwrap_or(true),
            };
            let Some(target) = descendant(&doc, doc.root(), NS_XENC, "EncryptedData") else {
                return "enc.structure".into();
            };
            match decrypt_bytes_with_info(&doc, target, &keys, &policy) {
                Ok((plain, info)) => {
                    // Every decryptable vector states its exact plaintext (accepts, and rejects
                    // refused only after decryption).
                    let p = v
                        .get("plaintext")
                        .and_then(Value::as_str)
                        .unwrap_or_else(|| panic!("{file}: decrypts but the manifest gives no plaintext to compare"));
                    let want = std::fs::read(repo_file(&format!("tests/vectors/xmlsec/{p}")))
                        .or_else(|_| std::fs::read(repo_file(p)))
                        .expect("plaintext file");
                    assert_eq!(plain, want, "{file}: plaintext differs");
                    // Issue 6: the use of SHA-1 OAEP parameters is reported, exactly.
                    let sha1 = v.get("sha1_oaep").and_then(Value::as_bool).unwrap_or(false);
                    assert_eq!(info.sha1_oaep, sha1, "{file}: sha1_oaep reported");
                    // The plaintext goes through the same hardened parser (attacks.md E10).
                    match Document::parse_in_context(&plain, &limits, &doc.in_scope_namespaces(target)) {
                        Ok(_) => "ok".into(),
                        Err(e) => e.code().to_owned(),
                    }
                }
                Err(e) => e.code().to_owned(),
            }
        }
        other => panic!("{file}: unknown op {other:?}"),
    }
}

fn check_expected_text(v: &Value, doc: &Document) {
    let Some(map) = v.get("expect_text").and_then(Value::as_object) else { return };
    for (local, want) in map {
        let node = descendant(doc, doc.root(), NS_SAML, local).expect("element named in expect_text");
        let has_comment = doc.children(node).iter().any(|c| matches!(doc.node(*c), Node::Comment(_)));
        let got = doc.simple_text(node).map_err(|e| e.code().to_owned());
        if has_comment {
            // xmlsec-profile 21 (CVE-2017-11428 class): a value with a comment inside is refused
            // outright, so neither the full nor the truncated text can be taken for it.
            assert_eq!(got, Err("xml.mixed_content".to_owned()), "{local} with a comment inside");
        } else {
            assert_eq!(got.as_deref(), Ok(want.as_str().unwrap()), "text of {local}");
        }
    }
}

#[test]
fn every_vector_gives_its_expected_outcome() {
    let vectors = manifest();
    assert!(vectors.len() >= 40, "manifest has only {} vectors", vectors.len());
    let mut failures = Vec::new();
    for v in &vectors {
        let want = v["expect"].as_str().expect("expect");
        let got = run(v);
        if got != want {
            failures.push(format!("{}: expected {want}, got {got}", v["file"]));
        }
    }
    assert!(failures.is_empty(), "{} of {} vectors wrong:\n{}", failures.len(), vectors.len(), failures.join("\n"));
}

#[test]
fn oversize_input_is_refused_before_parsing() {
    let mut big = b"<r>".to_vec();
    big.resize(Limits::default().max_bytes + 1, b'a');
    assert_eq!(Document::parse(&big, &Limits::default()).unwrap_err().code(), "xml.too_large");
}
