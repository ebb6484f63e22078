//! attacks.md §2.2, XML Signature Wrapping: SAML Raider's XSW1-XSW8 and the eIDAS XSW-E, the
//! attacker's identity encrypted to our certificate and bound to the real request.
//! XSW3-XSW8 target an Assertion signature: they are built around an Assertion signed by the
//! proxy's key (python-xmlsec), with the Response signed after the wrapping where the recipe
//! leaves it intact, so that only the wrap is the defect.

use super::*;

const ROWS: &[Row] = &[
    refused("atk_xsw1", "sig.structure"),
    refused("atk_xsw2", "sig.misplaced"),
    refused("atk_xsw1_same_id", "xml.duplicate_id"),
    refused("atk_xsw_e", "sig.digest_mismatch"),
    refused("atk_xsw3", "sig.digest_mismatch"),
    refused("atk_xsw4", "sig.digest_mismatch"),
    refused("atk_xsw5", "saml.assertion_count"),
    refused("atk_xsw6", "saml.assertion_sig_structure"),
    refused("atk_xsw7", "saml.assertion_count"),
    refused("atk_xsw8", "saml.assertion_sig_structure"),
];

#[tokio::test]
async fn acs_refuses_every_signature_wrapping_attack() {
    let Some(lab) = Lab::ready(None).await else { return };
    let n = run_refused(&lab, ROWS).await;
    eprintln!("wrapping: {n} attacks refused");
}
