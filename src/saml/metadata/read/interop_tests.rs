//! Reader tests on real metadata from `../shared/interop/metadata/` (provenance in
//! `../shared/interop/SOURCES.md`). Each test is skipped with a message when that folder is
//! absent, and fails instead when `EIDAS_TEST_REQUIRE_ALL=1`.

use super::*;
use crate::saml::metadata::MetadataOptions;
use crate::xmlsec::dsig::DsigError;
use time::macros::datetime;

/// "Today" for the expiry tests.
const TODAY: OffsetDateTime = datetime!(2026-11-25 12:00 UTC);

/// Reads an interop metadata file, or returns `None` (after saying why) when the shared
/// folder is absent and `EIDAS_TEST_REQUIRE_ALL` is not `1`.
fn interop(name: &str) -> Option<Vec<u8>> {
    let path = crate::test_support::interop(&format!("metadata/{name}"))?;
    Some(std::fs::read(path).expect("interop file readable"))
}

/// The certificate in the document signature's `ds:KeyInfo` (the first `X509Certificate`
/// after `SignatureValue`).
fn embedded_signer(xml: &[u8]) -> TrustedCert {
    let text = std::str::from_utf8(xml).unwrap();
    let after = &text[text.find("</ds:SignatureValue>").unwrap()..];
    let start = after.find("<ds:X509Certificate>").unwrap() + "<ds:X509Certificate>".len();
    let end = after.find("</ds:X509Certificate>").unwrap();
    TrustedCert::from_base64_der(&after[start..end]).unwrap()
}

fn insecure_unsigned() -> MetadataOptions {
    MetadataOptions { insecure_allow_unsigned: true, ..MetadataOptions::default() }
}

// ---------------------------------------------------------------- production aggregate

#[test]
fn aggregate_2023_parses_all_production_entities_when_unsigned_is_tolerated() {
    let Some(xml) = interop("eu-proxyservices-aggregate_2023.xml") else {
        return;
    };
    let parsed = parse_proxy_metadata_detailed(&xml, &[], TODAY, &insecure_unsigned()).unwrap();
    assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
    let countries: Vec<Option<&str>> =
        parsed.entities.iter().map(|e| e.node_country.as_ref().map(CountryCode::as_str)).collect();
    // SOURCES.md: ES, HR, IT, LU, DK, LT, BE, AT, LI, CZ, MT, SK, EE, LV, NL, DE-middleware, PT ×2;
    // PT's second entity has no NodeCountry.
    let expected =
        ["ES", "HR", "IT", "LU", "DK", "LT", "BE", "AT", "LI", "CZ", "MT", "SK", "EE", "LV", "NL", "DE", "PT"];
    let mut want: Vec<Option<&str>> = expected.iter().map(|c| Some(*c)).collect();
    want.push(None);
    assert_eq!(countries, want);
    for (i, e) in parsed.entities.iter().enumerate() {
        assert_eq!(e.position, Some(i));
        assert!(!e.signed);
        assert!(e.entity_id.starts_with("https://"), "{}", e.entity_id);
        assert!(e.sso_post_url.as_deref().is_some_and(|u| u.starts_with("https://")), "{}", e.entity_id);
        assert!(e.sso_redirect_url.is_some());
        assert_eq!(e.signing_certs.len(), 1, "{}", e.entity_id);
        assert_eq!(e.encryption_certs.len(), 1, "{}", e.entity_id);
        assert!(e.publishes(LevelOfAssurance::High) || e.publishes(LevelOfAssurance::Substantial));
        assert!(e.highest_protocol_version().is_some());
        assert!(!e.supported_attributes.is_empty());
        assert_eq!(e.name_id_formats.len(), 3);
        assert!(e.want_authn_requests_signed);
        // Inherited from the EntitiesDescriptor.
        assert_eq!(e.valid_until, datetime!(2030-08-30 10:20:34 UTC));
        assert_eq!(e.cache_duration, Some(Duration::minutes(20)));
    }
    let json = serde_json::to_string(&parsed).unwrap();
    assert!(json.contains(r#""node_country":"ES""#));
    assert!(json.contains(r#""valid_until":"2030-08-30T10:20:34.000Z""#));
}

#[test]
fn aggregate_2023_shows_the_known_real_world_variations() {
    let Some(xml) = interop("eu-proxyservices-aggregate_2023.xml") else {
        return;
    };
    let all = parse_proxy_metadata(&xml, &[], TODAY, &insecure_unsigned()).unwrap();
    let by = |id: &str| all.iter().find(|e| e.entity_id == id).unwrap();

    // eidas-spec §4: NL also publishes bare High/Substantial/Low.
    let nl = by("https://eidas.minez.nl/EidasNodeP/ServiceMetadata");
    assert_eq!(nl.levels_of_assurance, [LevelOfAssurance::Low, LevelOfAssurance::Substantial, LevelOfAssurance::High]);
    assert_eq!(nl.unrecognized_loa, ["High", "Substantial", "Low"]);

    // eidas-spec §8: the middleware publishes only aes256-gcm and the requesterid category.
    let de = by("https://demw.eidas.swedenconnect.se/eidas-middleware/Metadata");
    assert!(de.requester_id_flag);
    assert_eq!(de.application_identifier.as_deref(), Some("German eIDAS Middleware version: 2.2.8"));
    assert_eq!(de.encryption_methods, ["http://www.w3.org/2009/xmlenc11#aes256-gcm"]);
    let rsa_pss = de.signing_methods.iter().find(|m| m.algorithm.ends_with("sha256-rsa-MGF1")).unwrap();
    assert_eq!((rsa_pss.min_key_size, rsa_pss.max_key_size), (Some(3072), Some(4096)));
    assert!(all.iter().filter(|e| e.requester_id_flag).count() == 1);

    // IT/PT/DK advertise PKCS#1 v1.5: listed, but not allowed by our profile.
    let it = by("https://service.eid.gov.it/EidasNode/ServiceMetadata");
    let pkcs1 = it.signing_methods.iter().find(|m| m.algorithm.ends_with("#rsa-sha256")).unwrap();
    assert!(!pkcs1.allowed && pkcs1.signature_algorithm().is_none());
    assert_eq!(it.protocol_versions, ["1.1"]);
    assert_eq!((it.signing_certs[0].key_type, it.signing_certs[0].key_bits), ("EC", 384));
    assert_eq!(it.encryption_certs[0].key_type, "RSA");

    let dk = by("https://eidasservice.eid.digst.dk/Metadata");
    assert_eq!(dk.protocol_versions, ["1.0", "1.1", "1.2"]);
    assert_eq!(dk.highest_protocol_version(), Some("1.2"));
    assert_eq!(dk.application_identifier, None);

    // BE lists sha512-rsa-MGF1 under the wrong namespace: kept, not allowed.
    let be = by("https://idp.iamfas.belgium.be/EidasNode/ServiceMetadata");
    assert!(be
        .signing_methods
        .iter()
        .any(|m| m.algorithm == "http://www.w3.org/2001/04/xmldsig-more#sha512-rsa-MGF1" && !m.allowed));

    let cz = by("https://srv.eidasnode.cz/EidasNode/ServiceMetadata");
    assert_eq!(cz.signing_certs[0].curve, Some("secp521r1"));
    let pt = by("https://eidas.autenticacao.gov.pt/EidasNode/ServiceMetadata");
    assert!(pt.digest_methods.iter().any(|d| d.algorithm.ends_with("#sha1") && !d.allowed));
    assert_eq!(pt.signing_certs[0].not_after, datetime!(2026-05-30 13:00:36 UTC));
    assert!(pt.signing_certs[0].subject.contains("CN=EIDAS"));
    assert_eq!(pt.signing_certs[0].sha256_fingerprint.len(), 64);
}

#[test]
fn aggregate_2023_is_refused_as_unsigned_by_default() {
    let Some(xml) = interop("eu-proxyservices-aggregate_2023.xml") else {
        return;
    };
    let err = parse_proxy_metadata(&xml, &[], TODAY, &MetadataOptions::default()).unwrap_err();
    assert_eq!(err, MetadataError::Unsigned);
    assert_eq!(err.code(), "metadata.unsigned");
}

// ---------------------------------------------------------------- signed single entities

#[test]
fn cef_proxy_metadata_verifies_against_its_embedded_cert_before_valid_until() {
    let Some(xml) = interop("cef-node_proxyservice-metadata.xml") else {
        return;
    };
    let trust = [embedded_signer(&xml)];
    let now = datetime!(2020-03-20 00:00 UTC);
    // Its self-signed metadata signer expired on 2016-10-11: refused unless the country relaxes it
    // (the reference node's check.certificate.validity.period=false).
    let err = parse_proxy_metadata(&xml, &trust, now, &MetadataOptions::default()).unwrap_err();
    assert_eq!(err.code(), "metadata.trust_anchor_expired");
    let relaxed = MetadataOptions { insecure_ignore_certificate_validity: true, ..MetadataOptions::default() };
    let all = parse_proxy_metadata(&xml, &trust, now, &relaxed).unwrap();
    let [e] = all.as_slice() else { panic!("one entity expected") };
    assert!(e.signed);
    assert_eq!(e.trust_anchor_validity, Some(crate::xmlsec::keys::CertValidity::Expired));
    assert_eq!(e.position, None);
    assert_eq!(e.entity_id, "http://localhost:8080/EidasNode/ServiceMetadata");
    assert_eq!(e.node_country, CountryCode::parse("CA"));
    assert_eq!(e.levels_of_assurance, [LevelOfAssurance::Substantial]);
    assert!(e.unrecognized_loa.is_empty());
    assert_eq!(e.protocol_versions, ["1.1"]);
    assert_eq!(e.application_identifier.as_deref(), Some("CEF:eIDAS-ref:2.5.0"));
    assert_eq!(e.sso_post_url.as_deref(), Some("http://cef-eid-build-1:8080/EidasNode/ColleagueRequest"));
    assert!(!e.requester_id_flag);
    assert_eq!(e.valid_until, datetime!(2020-03-21 13:33:58.823 UTC));
    assert_eq!(e.cache_duration, None);
    assert!(e
        .supported_attributes
        .iter()
        .any(|a| a == "http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier"));
    assert_eq!(e.signing_methods.len(), 6);
    assert!(e.signing_methods.iter().all(|m| m.allowed));
    assert_eq!(e.encryption_methods.len(), 3);
}

#[test]
fn cef_proxy_metadata_is_refused_as_expired_today() {
    let Some(xml) = interop("cef-node_proxyservice-metadata.xml") else {
        return;
    };
    let trust = [embedded_signer(&xml)];
    // The signer's own validity is checked first (it expired in 2016), then validUntil.
    let err = parse_proxy_metadata(&xml, &trust, TODAY, &MetadataOptions::default()).unwrap_err();
    assert_eq!(err.code(), "metadata.trust_anchor_expired");
    let relaxed = MetadataOptions { insecure_ignore_certificate_validity: true, ..MetadataOptions::default() };
    let err = parse_proxy_metadata(&xml, &trust, TODAY, &relaxed).unwrap_err();
    assert_eq!(err.code(), "metadata.expired");
    assert_eq!(err, MetadataError::Expired { valid_until: datetime!(2020-03-21 13:33:58.823 UTC) });
}

/// A trusted RSA-4096 certificate that did not sign the CEF or middleware samples (ES's
/// production signing certificate).
fn unrelated_rsa_cert() -> Option<TrustedCert> {
    let xml = interop("eu-proxyservices-aggregate_2023.xml")?;
    let all = parse_proxy_metadata(&xml, &[], TODAY, &insecure_unsigned()).unwrap();
    Some(all[0].signing_certs[0].cert.clone())
}

#[test]
fn cef_proxy_metadata_is_refused_against_another_cert() {
    let Some(xml) = interop("cef-node_proxyservice-metadata.xml") else {
        return;
    };
    let Some(other) = unrelated_rsa_cert() else {
        return;
    };
    let now = datetime!(2020-03-20 00:00 UTC);
    let err = parse_proxy_metadata(&xml, &[other], now, &MetadataOptions::default()).unwrap_err();
    assert_eq!(err, MetadataError::Signature(DsigError::Invalid));
    assert_eq!((err.code(), err.cause_code()), ("metadata.signature", Some("sig.invalid")));
    // Tolerating unsigned metadata does not tolerate a bad signature.
    let err = parse_proxy_metadata(&xml, &[], now, &insecure_unsigned()).unwrap_err();
    assert_eq!(err.cause_code(), Some("sig.no_trusted_key"));
}

#[test]
fn german_middleware_metadata_verifies_with_its_rsa_2048_signer_only_when_allowed() {
    let Some(xml) = interop("german-eidas-middleware_proxyservice-metadata.xml") else {
        return;
    };
    let trust = [embedded_signer(&xml)];
    let now = datetime!(2020-02-01 00:00 UTC);
    // CR 1.4: RSA ≥ 3072; this test file is signed with RSA-2048.
    let err = parse_proxy_metadata(&xml, &trust, now, &MetadataOptions::default()).unwrap_err();
    assert_eq!(err.cause_code(), Some("sig.key_too_small"));

    let opts = MetadataOptions { insecure_allow_rsa_2048: true, ..MetadataOptions::default() };
    let all = parse_proxy_metadata(&xml, &trust, now, &opts).unwrap();
    let [e] = all.as_slice() else { panic!("one entity expected") };
    assert!(e.signed);
    assert_eq!(e.entity_id, "https://localhost:9443/eidas-middleware/Metadata");
    assert_eq!(e.node_country, None);
    assert_eq!(e.levels_of_assurance, [LevelOfAssurance::High]);
    assert_eq!(e.protocol_versions, ["1.2"]);
    assert_eq!(e.application_identifier.as_deref(), Some("German eIDAS Middleware version: 2.0"));
    assert_eq!(e.encryption_methods, ["http://www.w3.org/2009/xmlenc11#aes256-gcm"]);
    assert_eq!(e.supported_attributes.len(), 7);
    assert_eq!(e.signing_certs[0].key_bits, 2048);
    assert_eq!(e.valid_until, datetime!(2020-02-08 11:42:48.509 UTC));

    // Its signer expired in 2024: refused for that first, then for validUntil once relaxed.
    let err = parse_proxy_metadata(&xml, &trust, TODAY, &opts).unwrap_err();
    assert_eq!(err.code(), "metadata.trust_anchor_expired");
    let relaxed = MetadataOptions { insecure_ignore_certificate_validity: true, ..opts };
    let err = parse_proxy_metadata(&xml, &trust, TODAY, &relaxed).unwrap_err();
    assert_eq!(err.code(), "metadata.expired");
    let Some(other) = unrelated_rsa_cert() else {
        return;
    };
    let err = parse_proxy_metadata(&xml, &[other], now, &opts).unwrap_err();
    assert_eq!(err.cause_code(), Some("sig.invalid"));
}

#[test]
fn requesterid_flag_metadata_stays_refused_for_its_digest_mismatch() {
    let Some(xml) = interop("cef-node_proxyservice-metadata_requesterid-flag.xml") else {
        return;
    };
    let trust = [embedded_signer(&xml)];
    for opts in [MetadataOptions::default(), insecure_unsigned()] {
        let err = parse_proxy_metadata(&xml, &trust, datetime!(2020-01-01 0:00 UTC), &opts).unwrap_err();
        assert_eq!(err, MetadataError::Signature(DsigError::DigestMismatch));
    }
}

#[test]
fn requesterid_flag_is_read_once_the_signature_is_stripped() {
    let Some(xml) = interop("cef-node_proxyservice-metadata_requesterid-flag.xml") else {
        return;
    };
    let text = String::from_utf8(xml).unwrap();
    let start = text.find("<ds:Signature").unwrap();
    let end = text.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let stripped = format!("{}{}", &text[..start], &text[end..]);
    // The file has no validUntil (MF 1.4 §2.1 requires one).
    let err = parse_proxy_metadata(stripped.as_bytes(), &[], TODAY, &insecure_unsigned()).unwrap_err();
    assert_eq!(err, MetadataError::MissingValidUntil);
    let dated =
        stripped.replacen("<md:EntityDescriptor ", "<md:EntityDescriptor validUntil=\"2030-01-01T00:00:00Z\" ", 1);
    let all = parse_proxy_metadata(dated.as_bytes(), &[], TODAY, &insecure_unsigned()).unwrap();
    assert!(all[0].requester_id_flag);
    assert!(!all[0].signed);
    assert_eq!(all[0].node_country, CountryCode::parse("CA"));
}
