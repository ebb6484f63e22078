//! What the fuzz targets share: the test keys and the fixed validation context of the
//! `tests/vectors/saml/accept_success.xml` vector (its clock, request, proxy service and our
//! decryption keys), so that a valid Response from the seed corpus is accepted and every
//! mutation of it is checked as the ACS checks it.
//!
//! Test keys only (`certs/test-pki/`); nothing here may be used outside the fuzz targets.

use std::collections::HashMap;
use std::sync::LazyLock;

use eidas_connector::saml::authn_request::RequestedAttribute;
use eidas_connector::saml::response::{
    validate_response, CheckResult, Outcome, Peer, PendingRequest, ResponseContext, ResponseError, ResponsePolicy,
    CHECKS,
};
use eidas_connector::saml::{CountryCode, LevelOfAssurance, NameIdFormat};
use eidas_connector::xmlsec::keys::{PrivateKey, TrustedCert};
use time::macros::datetime;
use time::OffsetDateTime;

/// The clock of the vectors.
pub const NOW: OffsetDateTime = datetime!(2026-11-25 10:00:30 UTC);
/// Our entityID in the vectors.
pub const ENTITY_ID: &str = "https://connector.example.fr/eidas/metadata";
/// Our ACS URL in the vectors.
pub const ACS_URL: &str = "https://connector.example.fr/eidas/acs";
/// The request the vectors answer.
pub const REQUEST_ID: &str = "_req3c239fe7ceee689c37c54495235d7d8338c8dd42ac57dee66286bae455ecdd01";
/// The Spanish test proxy service.
pub const PROXY_ENTITY_ID: &str = "https://eidas.example.es/EidasNode/ServiceMetadata";

fn certs(pem: &[u8]) -> Vec<TrustedCert> {
    TrustedCert::from_pem(pem).unwrap_or_default()
}

/// Everything a Response validation needs besides the message, built once.
pub struct Fixture {
    pending: PendingRequest,
    peer: Peer,
    keys: Vec<PrivateKey>,
    policy: ResponsePolicy,
}

impl Fixture {
    /// The `accept_success` context, the proxy service signing with `signing_certs`.
    fn new(signing_certs: Vec<TrustedCert>) -> Self {
        let natural = "http://eidas.europa.eu/attributes/naturalperson/";
        let requested = [
            ("PersonIdentifier", true),
            ("CurrentFamilyName", true),
            ("CurrentGivenName", true),
            ("DateOfBirth", true),
            ("PlaceOfBirth", false),
            ("CurrentAddress", false),
            ("Gender", false),
        ];
        let keys = [
            &include_bytes!("../../certs/test-pki/sp-enc-rsa3072.key.pem")[..],
            &include_bytes!("../../certs/test-pki/sp-enc-ec-p256.key.pem")[..],
        ];
        Self {
            pending: PendingRequest {
                id: REQUEST_ID.into(),
                country: "ES".into(),
                proxy_entity_id: PROXY_ENTITY_ID.into(),
                level_of_assurance: LevelOfAssurance::Substantial,
                requested_attributes: requested
                    .iter()
                    .map(|(n, r)| RequestedAttribute { name: format!("{natural}{n}"), required: *r })
                    .collect(),
                name_id_format: NameIdFormat::Unspecified,
            },
            peer: Peer {
                entity_id: PROXY_ENTITY_ID.into(),
                country: CountryCode::parse("ES").expect("ES"),
                node_country: CountryCode::parse("ES"),
                signing_certs,
                levels_of_assurance: vec![LevelOfAssurance::Substantial, LevelOfAssurance::High],
                highest_protocol_version: Some("1.2".into()),
                require_signed_assertion: false,
                insecure_ignore_certificate_validity: false,
                allow_sha1_oaep: true,
            },
            keys: keys.iter().map(|k| PrivateKey::from_pem(k, None).expect("test key")).collect(),
            policy: ResponsePolicy::default(),
        }
    }

    /// Our decryption keys (RSA, then EC).
    pub fn decryption_keys(&self) -> &[PrivateKey] {
        &self.keys
    }
}

/// The fixture of the vectors (`accept_success.xml`'s context in
/// `tests/vectors/saml/manifest.json`): the proxy signs with `idp-rsa3072`.
pub static FIXTURE: LazyLock<Fixture> =
    LazyLock::new(|| Fixture::new(certs(include_bytes!("../../certs/test-pki/idp-rsa3072.crt.pem"))));

/// The same, the proxy also signing with `idp-ec-p256` (the `response_signed` target's key).
pub static FIXTURE_EC: LazyLock<Fixture> = LazyLock::new(|| {
    let mut signing = certs(include_bytes!("../../certs/test-pki/idp-ec-p256.crt.pem"));
    signing.extend(certs(include_bytes!("../../certs/test-pki/idp-rsa3072.crt.pem")));
    Fixture::new(signing)
});

/// The proxy metadata signer trusted for the Spanish test proxy service.
pub static METADATA_TRUST: LazyLock<Vec<TrustedCert>> =
    LazyLock::new(|| certs(include_bytes!("../../certs/test-pki/idp-metadata-signer.crt.pem")));

/// Validates `message` (base64 or XML, as the ACS receives it) with the fixture, and checks
/// what must hold whatever the input: the trace lists checks in [`CHECKS`] order, every
/// recorded check passed except, on a refusal, the last one, which carries the error's code.
pub fn validate_and_check(message: &[u8]) -> Result<Outcome, ResponseError> {
    validate_and_check_with(&FIXTURE, message)
}

/// [`validate_and_check`] with another fixture.
pub fn validate_and_check_with(f: &Fixture, message: &[u8]) -> Result<Outcome, ResponseError> {
    let ctx = ResponseContext {
        now: NOW,
        entity_id: ENTITY_ID,
        acs_url: ACS_URL,
        our_country: CountryCode::parse("FR").expect("FR"),
        pending: &f.pending,
        peer: &f.peer,
        decryption_keys: &f.keys,
        policy: &f.policy,
    };
    let mut trace: Vec<CheckResult> = Vec::new();
    let result = validate_response(message, &ctx, &mut HashMap::new(), &mut trace);
    let mut at = 0;
    for c in &trace {
        let next = CHECKS.iter().skip(at).position(|k| *k == c.check);
        assert!(next.is_some(), "check {} out of order in {trace:?}", c.check);
        at += next.unwrap_or(0) + 1;
    }
    let (last, before) = trace.split_last().expect("at least the parse check runs");
    assert!(before.iter().all(|c| c.passed), "a failed check did not stop the validation: {trace:?}");
    match &result {
        Ok(_) => assert!(last.passed, "accepted after a failed check: {trace:?}"),
        Err(e) => {
            assert!(!last.passed, "refused ({}) after passing checks: {trace:?}", e.code());
            assert_eq!(last.code.as_deref(), Some(e.code().as_str()), "trace code differs from the error");
            let _ = e.failure_code();
        }
    }
    result
}
