//! Property test: random mutations of valid Responses never panic the Response validation
//! (it returns an outcome or a named error), whatever check they reach.

use std::collections::HashMap;

use eidas_connector::saml::authn_request::RequestedAttribute;
use eidas_connector::saml::response::{
    validate_response, CheckResult, Outcome, Peer, PendingRequest, ResponseContext, ResponseError, ResponsePolicy,
};
use eidas_connector::saml::{CountryCode, LevelOfAssurance, NameIdFormat};
use eidas_connector::xmlsec::keys::{PrivateKey, TrustedCert};
use proptest::prelude::*;
use time::macros::datetime;

use crate::support::repo_file;

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(repo_file(rel)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_responses_never_panic_the_validation(
        file in proptest::sample::select(vec!["accept_success.xml", "accept_success_signed_assertion.xml", "accept_failure_consent_denied.xml", "accept_success_ecdh_es.xml"]),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut message = read(&format!("tests/vectors/saml/{file}"));
        for (at, byte, kind) in edits {
            let len = message.len().max(1);
            match kind {
                0 => if let Some(b) = message.get_mut(at % len) { *b = byte },
                1 => { let i = (at % len).min(message.len()); message.insert(i, byte) },
                _ => { let i = at % len; if i < message.len() { message.remove(i); } },
            }
        }
        let _ = validate_as_accept_success(&message, "certs/test-pki/idp-rsa3072.crt.pem", &mut Vec::new());
    }
}

/// Validates `message` in the context of the `accept_success` vector (the pending request it
/// answers, the Spanish proxy service signing with the certificate at `signing`, our RSA and EC
/// decryption keys), at a time within its validity; the fuzz targets use the same context.
pub(crate) fn validate_as_accept_success(
    message: &[u8],
    signing: &str,
    trace: &mut Vec<CheckResult>,
) -> Result<Outcome, ResponseError> {
    let pending = PendingRequest {
        id: "_req3c239fe7ceee689c37c54495235d7d8338c8dd42ac57dee66286bae455ecdd01".into(),
        country: "ES".into(),
        proxy_entity_id: "https://eidas.example.es/EidasNode/ServiceMetadata".into(),
        level_of_assurance: LevelOfAssurance::Substantial,
        requested_attributes: vec![RequestedAttribute {
            name: "http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier".into(),
            required: true,
        }],
        name_id_format: NameIdFormat::Unspecified,
    };
    let peer = Peer {
        entity_id: pending.proxy_entity_id.clone(),
        country: CountryCode::parse("ES").unwrap(),
        node_country: CountryCode::parse("ES"),
        signing_certs: TrustedCert::from_pem(&read(signing)).unwrap(),
        levels_of_assurance: vec![LevelOfAssurance::Substantial, LevelOfAssurance::High],
        highest_protocol_version: Some("1.2".into()),
        require_signed_assertion: false,
        insecure_ignore_certificate_validity: false,
        allow_sha1_oaep: true,
    };
    let keys = [
        PrivateKey::from_pem(&read("certs/test-pki/sp-enc-rsa3072.key.pem"), None).unwrap(),
        PrivateKey::from_pem(&read("certs/test-pki/sp-enc-ec-p256.key.pem"), None).unwrap(),
    ];
    let policy = ResponsePolicy::default();
    let ctx = ResponseContext {
        now: datetime!(2026-11-25 10:00:30 UTC),
        entity_id: "https://connector.example.fr/eidas/metadata",
        acs_url: "https://connector.example.fr/eidas/acs",
        our_country: CountryCode::parse("FR").unwrap(),
        pending: &pending,
        peer: &peer,
        decryption_keys: &keys,
        policy: &policy,
    };
    validate_response(message, &ctx, &mut HashMap::new(), trace)
}
