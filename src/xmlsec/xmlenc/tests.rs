//! Unit tests for `xmlenc` and the fixtures its submodules' tests share: round trips with keys
//! made here, one test per refusal of the EncryptedData shape, GCM and key selection (the
//! key-transport and key-agreement refusals are at the bottom of `keytransport.rs` and
//! `agreement.rs`), and a property test that mutated documents never panic. Interop with the
//! EU reference node is in `tests/integration/xmlenc_interop.rs`.

use std::sync::OnceLock;

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509NameBuilder, X509};
use proptest::prelude::*;

use super::*;
use crate::xmlsec::c14n::canonicalize;
use crate::xmlsec::keys::DigestAlgorithm::{Sha1, Sha256, Sha384, Sha512};
use crate::xmlsec::serialize::{subtree_to_xml, to_xml};

const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const SAMPLE: &str = concat!(
    r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r">"#,
    r#"<saml:EncryptedAssertion><saml:Assertion ID="_a" Version="2.0"><saml:Issuer>https://proxy.example/</saml:Issuer>"#,
    r#"<saml:Subject><saml:NameID>a &amp; b &lt; c é</saml:NameID></saml:Subject></saml:Assertion></saml:EncryptedAssertion>"#,
    r#"</samlp:Response>"#
);
pub(super) const OAEP_256: KeyTransport = KeyTransport::RsaOaep { digest: Sha256, mgf: Sha256 };
pub(super) const MD5: &str = "http://www.w3.org/2001/04/xmldsig-more#md5";

pub(super) struct Party {
    pub(super) key: PKey<Private>,
    pub(super) cert: X509,
}

impl Party {
    pub(super) fn new(key: PKey<Private>) -> Self {
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "xmlenc test").unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap()).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap()).unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        Self { key, cert: b.build() }
    }

    pub(super) fn ec(nid: Nid) -> Self {
        let group = EcGroup::from_curve_name(nid).unwrap();
        Self::new(PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap())
    }

    pub(super) fn private(&self) -> PrivateKey {
        PrivateKey { key: self.key.clone(), cert: Some(self.cert.clone()) }
    }

    pub(super) fn trusted(&self) -> TrustedCert {
        TrustedCert::from_x509(self.cert.clone()).unwrap()
    }
}

/// Two RSA-3072 parties (key generation is slow, so once per test binary).
pub(super) fn rsa(i: usize) -> &'static Party {
    static PARTIES: OnceLock<Vec<Party>> = OnceLock::new();
    let parties = PARTIES
        .get_or_init(|| (0..2).map(|_| Party::new(PKey::from_rsa(Rsa::generate(3072).unwrap()).unwrap())).collect());
    &parties[i]
}

pub(super) fn p256() -> &'static Party {
    static PARTY: OnceLock<Party> = OnceLock::new();
    PARTY.get_or_init(|| Party::ec(Nid::X9_62_PRIME256V1))
}

pub(super) fn parse_doc(xml: &str) -> Document {
    Document::parse(xml.as_bytes(), &Limits::default()).unwrap()
}

/// The first element `{ns}local` in document order.
pub(super) fn find(doc: &Document, ns: &str, local: &str) -> Option<NodeId> {
    let mut stack = vec![doc.root()];
    while let Some(n) = stack.pop() {
        if doc.is(n, ns, local) {
            return Some(n);
        }
        stack.extend(doc.child_elements(n).collect::<Vec<_>>().into_iter().rev());
    }
    None
}

pub(super) fn encrypted_assertion(doc: &Document) -> NodeId {
    find(doc, NS_SAML, "EncryptedAssertion").unwrap()
}

/// SAMPLE with its Assertion encrypted to `to`, serialized; and the Assertion's canonical form.
pub(super) fn encrypt_sample(to: &Party, content: ContentAlgorithm, transport: KeyTransport) -> (String, Vec<u8>) {
    let mut doc = parse_doc(SAMPLE);
    let assertion = find(&doc, NS_SAML, "Assertion").unwrap();
    let c14n = canonicalize(&doc, assertion, None, &[]).unwrap();
    let data = encrypt_element(&mut doc, assertion, &to.trusted(), content, transport).unwrap();
    assert!(doc.is(data, NS_XENC, "EncryptedData"));
    assert_eq!(doc.parent(data), Some(encrypted_assertion(&doc)));
    assert_eq!(doc.find_id("_a"), None, "the encrypted element's ID left the index");
    (to_xml(&doc), c14n)
}

pub(super) fn rsa_doc() -> String {
    encrypt_sample(rsa(0), ContentAlgorithm::Aes256Gcm, OAEP_256).0
}

pub(super) fn ec_doc() -> String {
    encrypt_sample(p256(), ContentAlgorithm::Aes256Gcm, OAEP_256).0
}

pub(super) fn decrypt_with(xml: &str, keys: &[PrivateKey], policy: &DecryptionPolicy) -> Result<Vec<u8>, EncError> {
    let doc = parse_doc(xml);
    decrypt_bytes(&doc, encrypted_assertion(&doc), keys, policy)
}

pub(super) fn decrypt(xml: &str, keys: &[PrivateKey]) -> Result<Vec<u8>, EncError> {
    decrypt_with(xml, keys, &DecryptionPolicy::default())
}

/// `xml` with the first `from` replaced by `to` (which must be there).
pub(super) fn edit(xml: &str, from: &str, to: &str) -> String {
    assert!(xml.contains(from), "{from} not in the document");
    xml.replacen(from, to, 1)
}

/// Applies `change` to the parsed `xml` and serializes the result.
pub(super) fn edit_tree(xml: &str, change: impl FnOnce(&mut Document)) -> String {
    let mut doc = parse_doc(xml);
    change(&mut doc);
    to_xml(&doc)
}

/// Attaches a copy of `node` (from `from`) as the last child of `parent`, declaring on it the
/// namespaces it inherited where it was.
pub(super) fn graft(doc: &mut Document, parent: NodeId, from: &Document, node: NodeId) {
    let copy = doc.import(from, node);
    let inherited = from.parent(node).map(|p| from.in_scope_namespaces(p)).unwrap_or_default();
    let e = doc.element_mut(copy).unwrap();
    for d in inherited {
        if !d.uri.is_empty() && !e.ns_decls.iter().any(|x| x.prefix == d.prefix) {
            e.ns_decls.push(d);
        }
    }
    let slot = doc.append(parent, Node::Comment(String::new()));
    doc.replace(slot, copy);
}

pub(super) fn set_text(doc: &mut Document, element: NodeId, text: &str) {
    for c in doc.children(element).to_vec() {
        doc.detach(c);
    }
    doc.append(element, Node::Text(text.to_owned()));
}

pub(super) fn path(doc: &Document, from: NodeId, steps: &[(&str, &str)]) -> NodeId {
    steps.iter().fold(from, |n, (ns, local)| doc.first_child_named(n, ns, local).unwrap())
}

pub(super) fn data_cipher_value(doc: &Document) -> NodeId {
    let data = find(doc, NS_XENC, "EncryptedData").unwrap();
    path(doc, data, &[(NS_XENC, "CipherData"), (NS_XENC, "CipherValue")])
}

pub(super) fn key_cipher_value(doc: &Document) -> NodeId {
    let key = find(doc, NS_XENC, "EncryptedKey").unwrap();
    path(doc, key, &[(NS_XENC, "CipherData"), (NS_XENC, "CipherValue")])
}

pub(super) fn b64(doc: &Document, node: NodeId) -> Vec<u8> {
    decode_base64(&doc.simple_text(node).unwrap()).unwrap()
}

/// The EncryptedKey's own `ds:KeyInfo` (key transport) or `RecipientKeyInfo` (agreement).
pub(super) fn naming_key_info(doc: &Document) -> NodeId {
    find(doc, NS_XENC, "RecipientKeyInfo").unwrap_or_else(|| {
        let key = find(doc, NS_XENC, "EncryptedKey").unwrap();
        doc.first_child_named(key, NS_DS, "KeyInfo").unwrap()
    })
}

// --- round trips ---

fn assert_round_trip(to: &Party, content: ContentAlgorithm, transport: KeyTransport, policy: &DecryptionPolicy) {
    let (xml, c14n) = encrypt_sample(to, content, transport);
    let doc = parse_doc(&xml);
    let keys = [rsa(1).private(), to.private()];
    let out = decrypt_element(&doc, encrypted_assertion(&doc), &keys, policy, &Limits::default()).unwrap();
    assert!(out.is(out.root(), NS_SAML, "Assertion"));
    assert_eq!(canonicalize(&out, out.root(), None, &[]).unwrap(), c14n);
}

#[test]
fn round_trip_rsa_oaep_sha256_mgf1sha256_with_each_gcm_size() {
    for content in [ContentAlgorithm::Aes128Gcm, ContentAlgorithm::Aes192Gcm, ContentAlgorithm::Aes256Gcm] {
        assert_round_trip(rsa(0), content, OAEP_256, &DecryptionPolicy::default());
    }
    let strong = KeyTransport::RsaOaep { digest: Sha512, mgf: Sha384 };
    assert_round_trip(rsa(0), ContentAlgorithm::Aes256Gcm, strong, &DecryptionPolicy::default());
}

#[test]
fn round_trip_rsa_oaep_mgf1p_with_sha1_and_sha256_digests() {
    for digest in [Sha1, Sha256] {
        let transport = KeyTransport::RsaOaepMgf1p { digest };
        assert_round_trip(rsa(0), ContentAlgorithm::Aes128Gcm, transport, &DecryptionPolicy::default());
    }
}

#[test]
fn round_trip_ecdh_es_on_every_allowed_curve() {
    for nid in crate::xmlsec::keys::ALLOWED_CURVES {
        assert_round_trip(&Party::ec(nid), ContentAlgorithm::Aes256Gcm, OAEP_256, &DecryptionPolicy::default());
    }
}

#[test]
fn encrypt_refuses_a_recipient_below_the_key_policy() {
    let weak = Party::new(PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap());
    let mut doc = parse_doc(SAMPLE);
    let assertion = find(&doc, NS_SAML, "Assertion").unwrap();
    let err = encrypt_element(&mut doc, assertion, &weak.trusted(), ContentAlgorithm::Aes256Gcm, OAEP_256);
    assert_eq!(err.unwrap_err(), EncError::AlgorithmForbidden);
}

// --- EncryptedData shape and content encryption (rules 22, 23, 26) ---

#[test]
fn decrypt_rejects_type_other_than_element() {
    let xml = rsa_doc();
    let content = edit(&xml, "xmlenc#Element\"", "xmlenc#Content\"");
    assert_eq!(decrypt(&content, &[rsa(0).private()]).unwrap_err(), EncError::Structure);
    let absent = edit(&xml, " Type=\"http://www.w3.org/2001/04/xmlenc#Element\"", "");
    assert_eq!(decrypt(&absent, &[rsa(0).private()]).unwrap_err(), EncError::Structure);
}

#[test]
fn decrypt_rejects_aes_cbc_before_private_key_use() {
    // attacks.md E1/E2: refused even with no key at all, so before key selection and any
    // private-key operation.
    for cbc in ["aes128-cbc", "aes192-cbc", "aes256-cbc", "tripledes-cbc"] {
        let xml = edit(&rsa_doc(), AES256_GCM, &format!("http://www.w3.org/2001/04/xmlenc#{cbc}"));
        assert_eq!(decrypt(&xml, &[]).unwrap_err(), EncError::AlgorithmForbidden, "{cbc}");
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::AlgorithmForbidden, "{cbc}");
    }
}

#[test]
fn decrypt_rejects_unlisted_content_algorithm() {
    for uri in ["urn:example:none", "http://www.w3.org/2009/xmlenc11#aes256-gcm ", ""] {
        let xml = edit(&rsa_doc(), &format!("\"{AES256_GCM}\""), &format!("\"{uri}\""));
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::AlgorithmForbidden, "{uri:?}");
    }
    let missing = edit(&rsa_doc(), &format!("<xenc:EncryptionMethod Algorithm=\"{AES256_GCM}\"/>"), "");
    assert_eq!(decrypt(&missing, &[rsa(0).private()]).unwrap_err(), EncError::Structure);
}

#[test]
fn decrypt_fails_uniformly_on_short_cipher_value() {
    for len in [0usize, 12, 27, 28] {
        let xml = edit_tree(&rsa_doc(), |doc| {
            let cv = data_cipher_value(doc);
            set_text(doc, cv, &encode_base64(&vec![1u8; len]));
        });
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::DecryptionFailed, "{len}");
    }
}

#[test]
fn decrypt_fails_on_flipped_tag_or_ciphertext_bit() {
    let xml = rsa_doc();
    let doc = parse_doc(&xml);
    let value = b64(&doc, data_cipher_value(&doc));
    for at in [0, GCM_IV_LEN, value.len() - 1] {
        let mut flipped = value.clone();
        flipped[at] ^= 0x01;
        let xml = edit_tree(&xml, |doc| {
            let cv = data_cipher_value(doc);
            set_text(doc, cv, &encode_base64(&flipped));
        });
        assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::DecryptionFailed, "{at}");
    }
}

#[test]
fn decrypt_fails_when_cek_length_does_not_match_algorithm() {
    let xml = edit(&rsa_doc(), AES256_GCM, AES128_GCM);
    assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::DecryptionFailed);
    let xml = edit(&ec_doc(), AES256_GCM, AES192_GCM);
    assert_eq!(decrypt(&xml, &[p256().private()]).unwrap_err(), EncError::DecryptionFailed);
}

#[test]
fn decrypt_rejects_two_encrypted_data_children() {
    let xml = edit_tree(&rsa_doc(), |doc| {
        let data = find(doc, NS_XENC, "EncryptedData").unwrap();
        let copy = doc.clone();
        graft(doc, encrypted_assertion(&copy), &copy, data);
    });
    assert_eq!(decrypt(&xml, &[rsa(0).private()]).unwrap_err(), EncError::Structure);
}

// --- parsing the plaintext (rule 28, attacks.md E10) ---

/// An EncryptedData for `plaintext` inside `<saml:EncryptedAssertion>` with the given
/// namespace declaration for `saml`, decrypted with `decrypt_element`.
fn decrypt_plaintext(plaintext: &[u8], saml_ns: &str, limits: &Limits) -> Result<Document, EncError> {
    let fragment = encrypted_data_for(plaintext, &p256().trusted(), ContentAlgorithm::Aes128Gcm, OAEP_256).unwrap();
    let xml = format!(
        "<samlp:Response xmlns:samlp=\"urn:p\" xmlns:saml=\"{saml_ns}\"><saml:EncryptedAssertion>{}</saml:EncryptedAssertion></samlp:Response>",
        subtree_to_xml(&fragment, fragment.root())
    );
    let doc = parse_doc(&xml);
    decrypt_element(&doc, encrypted_assertion_any(&doc), &[p256().private()], &DecryptionPolicy::default(), limits)
}

fn encrypted_assertion_any(doc: &Document) -> NodeId {
    doc.parent(find(doc, NS_XENC, "EncryptedData").unwrap()).unwrap()
}

#[test]
fn decrypt_element_resolves_prefixes_declared_outside_the_plaintext() {
    let out = decrypt_plaintext(b"<saml:Assertion ID=\"_x\"/>", NS_SAML, &Limits::default()).unwrap();
    assert!(out.is(out.root(), NS_SAML, "Assertion"));
    assert_eq!(out.find_id("_x"), Some(out.root()));
}

#[test]
fn decrypt_element_applies_the_hardened_parser_and_limits() {
    let limits = Limits::default();
    let xxe = b"<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><saml:A>&x;</saml:A>";
    assert_eq!(decrypt_plaintext(xxe, NS_SAML, &limits).unwrap_err(), EncError::Xml(XmlError::DoctypeForbidden));
    let two_roots = decrypt_plaintext(b"<saml:A/><saml:B/>", NS_SAML, &limits).unwrap_err();
    assert_eq!(two_roots.code(), "xml.malformed");
    let deep = format!("{}{}", "<a>".repeat(10), "</a>".repeat(10));
    let shallow = Limits { max_depth: 5, ..limits };
    assert_eq!(decrypt_plaintext(deep.as_bytes(), NS_SAML, &shallow).unwrap_err(), EncError::Xml(XmlError::TooDeep));
    let small = Limits { max_bytes: 8, ..limits };
    assert_eq!(
        decrypt_plaintext(b"<saml:Assertion/>", NS_SAML, &small).unwrap_err(),
        EncError::Xml(XmlError::TooLarge)
    );
}

#[test]
fn error_codes_are_stable() {
    assert_eq!(EncError::AlgorithmForbidden.code(), "enc.algorithm_forbidden");
    assert_eq!(EncError::Structure.code(), "enc.structure");
    assert_eq!(EncError::KeyNotFound.code(), "enc.key_not_found");
    assert_eq!(EncError::DecryptionFailed.code(), "enc.decryption_failed");
    assert_eq!(EncError::EncryptionFailed.code(), "enc.encryption_failed");
    assert_eq!(EncError::Xml(XmlError::Base64).code(), "xml.base64");
}

// --- robustness ---

fn fixtures() -> &'static [String; 2] {
    static DOCS: OnceLock<[String; 2]> = OnceLock::new();
    DOCS.get_or_init(|| [rsa_doc(), ec_doc()])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decrypt_never_panics_on_mutated_documents(
        which in 0usize..2,
        mutations in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
        cut in proptest::option::of(any::<proptest::sample::Index>()),
    ) {
        let mut bytes = fixtures()[which].clone().into_bytes();
        for (at, byte) in mutations {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if let Some(c) = cut {
            bytes.truncate(c.index(bytes.len() + 1));
        }
        if let Ok(doc) = Document::parse(&bytes, &Limits::default()) {
            let node = find(&doc, NS_XENC, "EncryptedData").and_then(|d| doc.parent(d)).unwrap_or(doc.root());
            let keys = [rsa(0).private(), p256().private()];
            let policy = DecryptionPolicy::default();
            let _ = decrypt_element(&doc, node, &keys, &policy, &Limits::default());
            let _ = decrypt_bytes(&doc, doc.root(), &keys, &policy);
        }
    }
}
