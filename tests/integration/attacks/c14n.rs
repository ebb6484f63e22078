//! attacks.md §2.4, whitespace and canonicalisation: what must be accepted (namespace prefixes,
//! a default namespace, no whitespace, CRLF, wrapped base64, CDATA, an InclusiveNamespaces
//! PrefixList, xml:lang, attribute order, a signed Assertion) and what must be refused (an
//! enumeration with a trailing space, an empty Issuer).

use super::*;

const ROWS: &[Row] =
    &[refused("atk_status_trailing_space", "saml.status"), refused("atk_empty_issuer", "saml.issuer_mismatch")];

#[tokio::test]
async fn acs_refuses_whitespace_tricks_in_signed_values() {
    let Some(lab) = Lab::ready(None).await else { return };
    let n = run_refused(&lab, ROWS).await;
    eprintln!("c14n: {n} attacks refused");
}

#[tokio::test]
async fn acs_accepts_the_valid_serialisation_variants() {
    let Some(lab) = Lab::ready(None).await else { return };
    let n = run_accepted(
        &lab,
        &[
            "ok_baseline",
            "ok_other_prefixes",
            "ok_default_namespace",
            "ok_whitespace_compact",
            "ok_crlf_line_ends",
            "ok_base64_wrapped",
            "ok_cdata",
            "ok_inclusive_prefixes",
            "ok_xml_lang",
            "ok_attribute_order",
            "ok_signed_assertion",
        ],
    )
    .await;
    eprintln!("c14n: {n} valid variants accepted");
}
