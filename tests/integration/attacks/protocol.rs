//! attacks.md §2.6, protocol binding: replay, unsolicited Responses, correlation with another
//! request or another browser, Destination / Recipient / Audience, validity windows, Issuer and
//! Subject games, a non-success status carrying an Assertion.

use super::*;

const ROWS: &[Row] = &[
    refused("atk_unsolicited", "saml.in_response_to_mismatch"),
    refused("atk_in_response_to_unknown", "saml.in_response_to_mismatch"),
    refused("atk_scd_in_response_to_other", "saml.subject_confirmation"),
    refused("atk_destination_other", "saml.destination_mismatch"),
    refused("atk_destination_other_path", "saml.destination_mismatch"),
    refused("atk_destination_missing", "saml.destination_mismatch"),
    refused("atk_recipient_other", "saml.subject_confirmation"),
    refused("atk_audience_other", "saml.audience_mismatch"),
    Row { scenario: "atk_conditions_expired", hub: "expired", code: Some("saml.expired") },
    Row { scenario: "atk_not_yet_valid", hub: "expired", code: Some("saml.expired") },
    refused("atk_scd_expired", "saml.subject_confirmation"),
    Row { scenario: "atk_issue_instant_stale", hub: "expired", code: Some("saml.stale") },
    Row { scenario: "atk_issue_instant_future", hub: "expired", code: Some("saml.stale") },
    refused("atk_instant_without_timezone", "saml.version"),
    refused("atk_issuer_other", "saml.issuer_mismatch"),
    refused("atk_assertion_issuer_other", "saml.issuer_mismatch"),
    refused("atk_issuer_format_not_entity", "saml.issuer_mismatch"),
    refused("atk_subject_sender_vouches", "saml.subject_confirmation"),
    refused("atk_subject_confirmation_missing", "saml.subject_confirmation"),
    // attacks.md P7: exactly one bearer SubjectConfirmation (the Estonia client's rule).
    refused("atk_two_subject_confirmations", "saml.subject_confirmation"),
    // P8: an outcome for the hub (the status), the Assertion it carries ignored.
    Row { scenario: "atk_status_failure_with_assertion", hub: "authentication_failed", code: None },
];

#[tokio::test]
async fn acs_refuses_every_protocol_attack_bound_to_the_pending_request() {
    let Some(lab) = Lab::ready(None).await else { return };
    let n = run_refused(&lab, ROWS).await;
    eprintln!("protocol: {n} attacks refused");
}

/// The status the hub reads for `started`'s request.
async fn request_status(lab: &Lab, started: &Value) -> Value {
    let id = started["request_id"].as_str().unwrap();
    let res =
        client().get(format!("{}/api/v1/authn-requests/{id}", lab.internal)).bearer_auth(TOKEN).send().await.unwrap();
    res.json().await.unwrap_or(Value::Null)
}

fn assert_client_error(what: &str, page: &Page) {
    assert!((400..500).contains(&page.status), "{what}: wanted a 4xx page, got {page:?}");
    assert!(page.location.is_none(), "{what}: {page:?}");
}

/// P1: the same Response posted twice (same browser, then another browser): the second post
/// completes nothing (a 4xx page), and the handle of the first is consumed once.
#[tokio::test]
async fn acs_refuses_a_replayed_response_from_the_same_or_another_browser() {
    let Some(lab) = Lab::ready(None).await else { return };
    let (_, mut browser, acs, fields) = lab.at_proxy("ok_baseline").await;
    let first = browser.post_form(&acs, &fields).await;
    assert_eq!(first.status, 303, "{first:?}");
    let again = browser.post_form(&acs, &fields).await;
    assert_client_error("the same browser again", &again);
    let mut other = Browser::new();
    let elsewhere = other.post_form(&acs, &fields).await;
    assert_client_error("another browser", &elsewhere);
    let out = lab.finish(first, lab.mock.last_request(), 0).await;
    assert!(check_accepted(&out).is_empty(), "{:?}", check_accepted(&out));
    let handle = url::Url::parse(out.acs.location.as_deref().unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "response_handle")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let (status, body) = lab.consume(&handle).await;
    assert!(status == 404 || status == 410, "a second consume: {status} {body}");
    assert!(leaks(&lab.logs(), &[]).is_empty(), "{:?}", leaks(&lab.logs(), &[]));
}

/// P3b (login CSRF): the victim's Response posted by the attacker's browser (no binding cookie)
/// gives the hub a failure, and the victim's own post then completes nothing.
#[tokio::test]
async fn acs_refuses_a_response_posted_by_a_browser_that_did_not_start_the_request() {
    let Some(lab) = Lab::ready(None).await else { return };
    let from = lab.logs().len();
    let (_, mut victim, acs, fields) = lab.at_proxy("success").await;
    let sent = lab.mock.last_request();
    let mut attacker = Browser::new();
    let page = attacker.post_form(&acs, &fields).await;
    let out = lab.finish(page, sent, from).await;
    let problems = check_refused(&Row { scenario: "other_browser", hub: "invalid_response", code: None }, &out);
    assert!(problems.is_empty(), "other_browser: {problems:?}");
    assert_client_error("the victim after the attacker", &victim.post_form(&acs, &fields).await);
}

/// P3: the Response to request B posted with the RelayState of request A (same browser, both
/// pending): A gets a failure, B is not completed by it.
#[tokio::test]
async fn acs_refuses_a_response_for_another_pending_request() {
    let Some(lab) = Lab::ready(None).await else { return };
    let from = lab.logs().len();
    let (started_a, mut browser, acs, fields_a) = lab.at_proxy("success").await;
    let (status, started_b) = lab.start_request(&start_body(&lab.mock, "substantial")).await;
    assert_eq!(status, 201);
    let (_, fields_b) =
        to_proxy_and_back(&mut browser, started_b["browser_redirect_url"].as_str().unwrap(), "scenario=success").await;
    let sent = lab.mock.last_request();
    let relay_a = fields_a.iter().find(|(k, _)| k == "RelayState").cloned().unwrap();
    let mixed: Vec<(String, String)> =
        fields_b.iter().filter(|(k, _)| k != "RelayState").cloned().chain(std::iter::once(relay_a)).collect();
    let page = browser.post_form(&acs, &mixed).await;
    let out = lab.finish(page, sent, from).await;
    let row = refused("response_for_another_request", "saml.in_response_to_mismatch");
    let problems = check_refused(&row, &out);
    assert!(problems.is_empty(), "response_for_another_request: {problems:?}");
    assert_eq!(request_status(&lab, &started_a).await["status"], "consumed");
    assert_eq!(request_status(&lab, &started_b).await["status"], "pending");
}

/// P2: an unsolicited Response (no InResponseTo) posted without RelayState: nothing to tie it to,
/// so a clear 4xx page; the pending request is untouched and nothing is stored for the hub.
#[tokio::test]
async fn acs_answers_a_4xx_page_to_an_unsolicited_response_and_stores_nothing() {
    let Some(lab) = Lab::ready(None).await else { return };
    let from = lab.logs().len();
    let (started, mut browser, acs, fields) = lab.at_proxy("atk_unsolicited").await;
    let sent = lab.mock.last_request();
    let bare: Vec<(String, String)> = fields.into_iter().filter(|(k, _)| k != "RelayState").collect();
    let page = browser.post_form(&acs, &bare).await;
    assert_client_error("unsolicited", &page);
    assert!(page.body.contains("<code>"), "the page shows a request id: {}", page.body);
    let out = lab.finish(page, sent, from).await;
    assert!(out.consumed.is_none());
    assert_eq!(request_status(&lab, &started).await["status"], "pending");
    assert!(leaks(&out.logs, &[]).is_empty(), "{:?}", leaks(&out.logs, &[]));
}
