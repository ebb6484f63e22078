//! Signatures made by the EU reference node and the German middleware (`../shared/interop`,
//! provenance in its SOURCES.md) verify under us where SOURCES.md marks them valid, and the
//! broken-digest request is refused.
//!
//! These files carry their signer's certificate in `KeyInfo`; the tests trust that certificate
//! explicitly (the crypto is what is proven here; trust selection is tested elsewhere).

use eidas_connector::xmlsec::dsig::{verify_element, SignaturePolicy};
use eidas_connector::xmlsec::keys::{KeyPolicy, TrustedCert};
use eidas_connector::xmlsec::{Document, Limits, NodeId, NS_DS};

use crate::support::interop;

fn embedded_cert(doc: &Document, element: NodeId) -> TrustedCert {
    let sig = doc.first_child_named(element, NS_DS, "Signature").expect("signature");
    let ki = doc.first_child_named(sig, NS_DS, "KeyInfo").expect("KeyInfo");
    let xd = doc.first_child_named(ki, NS_DS, "X509Data").expect("X509Data");
    let xc = doc.first_child_named(xd, NS_DS, "X509Certificate").expect("X509Certificate");
    TrustedCert::from_base64_der(&doc.simple_text(xc).unwrap()).unwrap()
}

fn verify_file(rel: &str, policy: &SignaturePolicy) -> Result<(), String> {
    let dir = interop().expect("checked by caller");
    let bytes = std::fs::read(dir.join(rel)).unwrap();
    let doc = Document::parse(&bytes, &Limits::metadata()).map_err(|e| e.code().to_owned())?;
    let cert = embedded_cert(&doc, doc.root());
    verify_element(&doc, doc.root(), &[cert], policy).map(|_| ()).map_err(|e| e.code().to_owned())
}

#[test]
fn reference_node_and_middleware_metadata_signatures_verify() {
    if interop().is_none() {
        return;
    }
    let metadata = SignaturePolicy { allow_whole_document_reference: true, ..SignaturePolicy::default() };
    for f in ["metadata/cef-node_connector-metadata.xml", "metadata/cef-node_proxyservice-metadata.xml"] {
        verify_file(f, &metadata).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    // The German middleware test metadata is signed with RSA-2048: valid, but under the floor.
    let middleware = "metadata/german-eidas-middleware_proxyservice-metadata.xml";
    assert_eq!(verify_file(middleware, &metadata).unwrap_err(), "sig.key_too_small");
    let legacy = SignaturePolicy { keys: KeyPolicy { min_rsa_bits: 2048 }, allow_whole_document_reference: true };
    verify_file(middleware, &legacy).unwrap_or_else(|e| panic!("{middleware}: {e}"));
    // Edited after signing (SOURCES.md): the digest no longer matches.
    assert_eq!(
        verify_file("metadata/cef-node_proxyservice-metadata_requesterid-flag.xml", &metadata).unwrap_err(),
        "sig.digest_mismatch"
    );
    // URI="" is only for metadata.
    assert_eq!(
        verify_file("metadata/cef-node_connector-metadata.xml", &SignaturePolicy::default()).unwrap_err(),
        "sig.reference"
    );
}

#[test]
fn middleware_authn_requests_verify_and_the_broken_digest_is_refused() {
    if interop().is_none() {
        return;
    }
    // The Governikus keys are RSA-2048, under the eIDAS floor: verified with the floor lowered,
    // and refused at the default floor.
    let legacy = SignaturePolicy { keys: KeyPolicy { min_rsa_bits: 2048 }, ..SignaturePolicy::default() };
    for f in [
        "authnrequests/governikus_authnrequest_rsapss-sha256_2016.xml",
        "authnrequests/governikus_authnrequest_rsapss-sha256_sptype-public.xml",
    ] {
        verify_file(f, &legacy).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(verify_file(f, &SignaturePolicy::default()).unwrap_err(), "sig.key_too_small");
    }
    assert_eq!(
        verify_file("authnrequests/governikus_authnrequest_rsapss_BROKEN-DIGEST.xml", &legacy).unwrap_err(),
        "sig.digest_mismatch"
    );
    // PKCS#1 v1.5 + SHA-1: valid cryptographically, refused by the profile.
    assert_eq!(
        verify_file("authnrequests/governikus_authnrequest_rsa-sha256_scoping-requesterid.xml", &legacy).unwrap_err(),
        "sig.algorithm_forbidden"
    );
}

#[test]
fn reference_node_brainpool_assertion_signatures_verify() {
    if interop().is_none() {
        return;
    }
    for f in [
        "responses/decrypted-assertions/saml_ec_Brainpool_kw-aes128_encrypted_response.decrypted-assertion.xml",
        "responses/decrypted-assertions/saml_ec_Brainpool_kw-aes256_encrypted_response.decrypted-assertion.xml",
    ] {
        verify_file(f, &SignaturePolicy::default()).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}
