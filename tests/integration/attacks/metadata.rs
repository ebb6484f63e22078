//! attacks.md §2.9, metadata: the proxy's metadata garbage, expired, unsigned, tampered (its
//! signing certificate swapped), signed by another key, or wrapped (XSW1 on the
//! EntityDescriptor): the country is unavailable, a start for it fails with its code. Metadata
//! for another entityID (signed by the trusted anchor) is used as a mirror, with a warning, and
//! then a Response whose Issuer is the fetched URL is refused. And
//! once a good copy is held, a tampered refresh (triggered by a Response signed by an unknown
//! key) installs nothing, so that Response is refused and the country stays available.

use super::*;

/// The metadata modes of the mock that the connector must refuse.
const MODES: &[&str] = &["garbage", "expired", "unsigned", "tampered", "other_signer", "xsw"];

#[tokio::test]
async fn a_country_whose_metadata_is_hostile_is_unavailable_and_cannot_be_started() {
    let mut failures = Vec::new();
    for mode in MODES {
        let Some(lab) = Lab::start(Some(mode)).await else { return };
        let xa = lab.wait_country(false).await;
        let (status, problem) = lab.start_request(&start_body(&lab.mock, "substantial")).await;
        eprintln!("metadata {mode}: {xa} / start {status} {problem}");
        if status != 422 || problem["code"] != "country_unavailable" {
            failures.push(format!("{mode}: start gave {status} {problem}"));
        }
        let leaked = leaks(&lab.logs(), &[]);
        if !leaked.is_empty() {
            failures.push(format!("{mode}: {leaked:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_tampered_metadata_refresh_never_lets_a_response_signed_by_an_unknown_key_through() {
    let Some(lab) = Lab::ready(None).await else { return };
    for mode in ["tampered", "other_signer", "xsw"] {
        mock_control(&lab.mock, "/control/metadata", &format!("{{\"mode\": \"{mode}\"}}"));
        let row = refused("signed_by_attacker", "sig.invalid");
        let out = lab.run("signed_by_attacker").await;
        let problems = check_refused(&row, &out);
        assert!(problems.is_empty(), "{mode}: {problems:?}");
        assert_eq!(lab.country().await["available"], true, "{mode}: the last good copy is kept");
    }
}

/// A correctly signed EntityDescriptor whose entityID is not the configured URL: the country's only
/// entity is used (a mirror, `peers.entity_id_differs_from_url` logged), so the Issuer expected
/// is that entityID, and the mock's Responses (Issuer = its URL) are refused.
#[tokio::test]
async fn metadata_for_another_entity_id_makes_responses_from_the_fetched_url_refused() {
    let Some(lab) = Lab::ready(Some("entity_mismatch")).await else { return };
    assert!(lab.logs().iter().any(|l| l.contains("peers.entity_id_differs_from_url")), "no warning logged");
    let problems = check_refused(&refused("ok_baseline", "saml.issuer_mismatch"), &lab.run("ok_baseline").await);
    assert!(problems.is_empty(), "entity_mismatch: {problems:?}");
}
