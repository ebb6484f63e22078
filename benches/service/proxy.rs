//! The foreign proxy service's side, played by the bench with the crate's own signer and
//! encrypter (fine for a benchmark: the tests prove interoperability with independent
//! implementations).

use eidas_connector::saml::NS_SAML;
use eidas_connector::xmlsec::dsig::sign_element;
use eidas_connector::xmlsec::keys::{DigestAlgorithm, PrivateKey, SignatureAlgorithm, TrustedCert};
use eidas_connector::xmlsec::serialize::{subtree_to_xml, to_xml};
use eidas_connector::xmlsec::xmlenc::{
    decrypt_element, encrypt_element, ContentAlgorithm, DecryptionPolicy, KeyTransport,
};
use eidas_connector::xmlsec::{encode_base64, Document, Limits};
use time::OffsetDateTime;

use crate::{read, replace};

/// The vector's values that each Response replaces.
const VECTOR_ACS: &str = "https://connector.example.fr/eidas/acs";
const VECTOR_ENTITY_ID: &str = "https://connector.example.fr/eidas/metadata";
const VECTOR_REQUEST_ID: &str = "_req3c239fe7ceee689c37c54495235d7d8338c8dd42ac57dee66286bae455ecdd01";
const VECTOR_RESPONSE_ID: &str = "_resp22b16530a2447b89f266c63b70d6f8f40c8a1dbc931baa200a5dc0d800c184aa";
const VECTOR_ASSERTION_ID: &str = "_assert21ce58e9b2f7e62d6ef12e3454b9adf0d36088843ca5d1129976ffd5883c05af";
const VECTOR_ISSUED: &str = "2026-11-25T10:00:00Z";
const VECTOR_EXPIRES: &str = "2026-11-25T10:05:00Z";

/// A fresh SAML ID (`_` and 64 hex digits, as ours).
fn fresh_id() -> String {
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes).unwrap();
    format!("_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// The foreign proxy service's side: a fresh signed and encrypted Response to any of our
/// AuthnRequests, made from `tests/vectors/saml/accept_success.xml`.
pub(crate) struct ProxyService {
    /// The Response without its signature, the Assertion's place marked `{ASSERTION}`; our
    /// ACS already in `Destination`.
    envelope: String,
    /// The plaintext Assertion (PersonIdentifier `ES/FR/…`), our ACS and entityID already in.
    assertion: String,
    /// Our encryption certificate (`certs/demo/enc.crt.pem`).
    recipient: TrustedCert,
    /// The proxy's signing key (the `use="signing"` certificate of its metadata).
    signing_key: PrivateKey,
    issued: String,
    expires: String,
}

impl ProxyService {
    pub(crate) fn new(acs_url: &str, entity_id: &str, now: OffsetDateTime) -> Self {
        let vector = String::from_utf8(read("tests/vectors/saml/accept_success.xml")).unwrap();
        let limits = Limits::default();
        let key = PrivateKey::from_pem(
            &read("certs/test-pki/sp-enc-rsa3072.key.pem"),
            Some(&read("certs/test-pki/sp-enc-rsa3072.crt.pem")),
        )
        .unwrap();
        let doc = Document::parse(vector.as_bytes(), &limits).unwrap();
        let encrypted = doc.child_elements(doc.root()).find(|n| doc.is(*n, NS_SAML, "EncryptedAssertion")).unwrap();
        let plain = decrypt_element(&doc, encrypted, &[key], &DecryptionPolicy::default(), &limits).unwrap();
        let assertion = subtree_to_xml(&plain, plain.root());
        let assertion = replace(&assertion, VECTOR_ACS, acs_url);
        let assertion = replace(&assertion, VECTOR_ENTITY_ID, entity_id);

        // The envelope: the vector's text without its ds:Signature, the EncryptedAssertion's
        // content replaced by the marker.
        let sig_start = vector.find("<ds:Signature>").unwrap();
        let sig_end = vector.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        let envelope = format!("{}{}", &vector[..sig_start], &vector[sig_end..]);
        let open = envelope.find("<saml2:EncryptedAssertion>").unwrap() + "<saml2:EncryptedAssertion>".len();
        let close = envelope.find("</saml2:EncryptedAssertion>").unwrap();
        let envelope = format!("{}{{ASSERTION}}{}", &envelope[..open], &envelope[close..]);
        let envelope = replace(&envelope, VECTOR_ACS, acs_url);

        let format = &time::format_description::well_known::Rfc3339;
        Self {
            envelope,
            assertion,
            recipient: TrustedCert::from_pem(&read("certs/demo/enc.crt.pem")).unwrap().remove(0),
            signing_key: PrivateKey::from_pem(&read("certs/test-pki/idp-rsa3072.key.pem"), None).unwrap(),
            issued: now.format(format).unwrap(),
            expires: (now + time::Duration::minutes(5)).format(format).unwrap(),
        }
    }

    /// The `SAMLResponse` (base64) answering AuthnRequest `in_response_to`: fresh Response and
    /// Assertion IDs, instants from now, the Assertion encrypted to our certificate (RSA-OAEP
    /// SHA-256 + AES-256-GCM), the Response signed (RSA-PSS SHA-256).
    pub(crate) fn respond(&self, in_response_to: &str) -> String {
        let assertion_id = fresh_id();
        let assertion = self
            .assertion
            .replace(VECTOR_ASSERTION_ID, &assertion_id)
            .replace(VECTOR_REQUEST_ID, in_response_to)
            .replace(VECTOR_ISSUED, &self.issued)
            .replace(VECTOR_EXPIRES, &self.expires);
        let xml = self
            .envelope
            .replace(VECTOR_RESPONSE_ID, &fresh_id())
            .replace(VECTOR_REQUEST_ID, in_response_to)
            .replace(VECTOR_ISSUED, &self.issued)
            .replace("{ASSERTION}", &assertion);
        let mut doc = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
        let node = doc.find_id(&assertion_id).unwrap();
        let transport = KeyTransport::RsaOaep { digest: DigestAlgorithm::Sha256, mgf: DigestAlgorithm::Sha256 };
        encrypt_element(&mut doc, node, &self.recipient, ContentAlgorithm::Aes256Gcm, transport).unwrap();
        let root = doc.root();
        sign_element(&mut doc, root, &self.signing_key, SignatureAlgorithm::RsaPssSha256, DigestAlgorithm::Sha256)
            .unwrap();
        encode_base64(to_xml(&doc).as_bytes())
    }
}
