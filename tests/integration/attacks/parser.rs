//! attacks.md §2.1, parser level: DTDs, entities, XInclude, limits, encodings, processing
//! instructions, each bound to a real pending request and posted through the ACS; plus a
//! 20 MB and a garbage `SAMLResponse` field posted by the browser itself.

use super::*;

const ROWS: &[Row] = &[
    refused("atk_doctype", "xml.doctype_forbidden"),
    refused("atk_xxe", "xml.doctype_forbidden"),
    refused("atk_xxe_parameter_entity", "xml.doctype_forbidden"),
    refused("atk_billion_laughs", "xml.doctype_forbidden"),
    refused("atk_undeclared_entity", "xml.entity_forbidden"),
    refused("atk_doctype_differential", "xml.doctype_forbidden"),
    refused("atk_xinclude", "saml.assertion_structure"),
    refused("atk_deep_nesting", "xml.too_deep"),
    // Over the form size limit: refused before any parsing, nothing to tie it to.
    client_error("atk_very_deep_nesting"),
    refused("atk_many_attributes", "xml.too_many_attributes"),
    refused("atk_many_namespaces", "xml.too_many_namespaces"),
    refused("atk_many_elements", "xml.too_many_nodes"),
    refused("atk_utf16", "xml.malformed"),
    refused("atk_latin1_declaration", "xml.malformed"),
    refused("atk_nul_char_ref", "xml.malformed"),
    refused("atk_surrogate_char_ref", "xml.malformed"),
    refused("atk_invalid_utf8", "xml.malformed"),
    refused("atk_pi_in_person_identifier", "xml.pi_forbidden"),
];

#[tokio::test]
async fn acs_refuses_every_parser_level_attack_of_a_bound_response() {
    let Some(lab) = Lab::ready(None).await else { return };
    let n = run_refused(&lab, ROWS).await;
    eprintln!("parser: {n} attacks refused");
}

/// A5: the browser posts a 20 MB field, then a base64 field full of invalid characters, with
/// the real RelayState: never a 5xx, nothing consumable, the request is not completed by it.
#[tokio::test]
async fn acs_refuses_an_oversize_or_garbage_saml_response_field_without_a_5xx() {
    let Some(lab) = Lab::ready(None).await else { return };
    for (name, value) in
        [("oversize_20mb", "PD94".repeat(5 * 1024 * 1024)), ("base64_garbage", "%%%% not base64 !!!! ".repeat(4000))]
    {
        let from = lab.logs().len();
        let (_, mut browser, acs, fields) = lab.at_proxy("success").await;
        let sent = lab.mock.last_request();
        let fields: Vec<(String, String)> =
            fields.into_iter().map(|(k, v)| if k == "SAMLResponse" { (k, value.clone()) } else { (k, v) }).collect();
        let page = browser.post_form(&acs, &fields).await;
        let out = lab.finish(page, sent, from).await;
        assert!(out.acs.status < 500, "{name}: {:?}", out.acs.status);
        if let Some((status, body)) = &out.consumed {
            assert_eq!((*status, body["status"].as_str()), (200, Some("failure")), "{name}: {body}");
        } else {
            assert!((400..500).contains(&out.acs.status), "{name}: {}", out.acs.status);
        }
        assert!(leaks(&out.logs, &[]).is_empty(), "{name}: {:?}", leaks(&out.logs, &[]));
    }
}
