//! attacks.md §2.7, level of assurance: downgrade, non-notified, missing or ambiguous LoA, and
//! an LoA placed where it is not signed as the Assertion's.

use super::*;

const ROWS: &[Row] = &[
    Row { scenario: "atk_loa_low", hub: "loa_not_met", code: Some("saml.loa") },
    Row { scenario: "atk_loa_not_notified", hub: "loa_not_met", code: Some("saml.loa") },
    Row { scenario: "atk_loa_missing", hub: "loa_not_met", code: Some("saml.loa") },
    Row { scenario: "atk_loa_case_variant", hub: "loa_not_met", code: Some("saml.loa") },
    refused("atk_loa_two_statements", "saml.assertion_structure"),
    Row { scenario: "atk_loa_decl_ref", hub: "loa_not_met", code: Some("saml.loa") },
    Row { scenario: "atk_loa_in_extensions", hub: "loa_not_met", code: Some("saml.loa") },
    // attacks.md L3: exact URI match, no normalisation (not even xs:anyURI's whitespace collapse).
    Row { scenario: "atk_loa_whitespace", hub: "loa_not_met", code: Some("saml.loa") },
];

#[tokio::test]
async fn acs_refuses_every_level_of_assurance_attack() {
    let Some(lab) = Lab::ready(None).await else { return };
    let n = run_refused(&lab, ROWS).await;
    eprintln!("loa: {n} attacks refused");
}
