//! Whole journeys through the real ACS: success at each LoA, the citizen's refusals, and the
//! Responses the connector must refuse, each ending with the hub's consume call.

use super::*;

/// The hub's consume of the failure a 303 carries: checks the status and the code, that no
/// identity came with it, and returns the `error` object.
async fn failure_at_hub(app: &TestApp, page: &Page, code: &str) -> Value {
    let (handle, state) = back_at_hub(page);
    assert_eq!(state.as_deref(), Some("hub-state-42"));
    let (status, body) = consume(app, &handle).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "failure", "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    for identity in ["issuer", "level_of_assurance", "authn_instant", "subject", "attributes", "person", "claims"] {
        assert!(body.get(identity).is_none(), "{identity} in a failure: {body}");
    }
    body["error"].clone()
}

#[tokio::test]
async fn a_citizen_signs_in_at_each_level_and_the_hub_consumes_the_identity_once() {
    let Some((mock, app)) = setup().await else { return };
    for loa in ["substantial", "high"] {
        let page = journey(&app, &mock, loa, &format!("scenario=success&loa={loa}")).await;
        let (handle, state) = back_at_hub(&page);
        assert_eq!(state.as_deref(), Some("hub-state-42"));
        let (status, body) = consume(&app, &handle).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "success", "{body}");
        assert_eq!(body["citizen_country"], "XA");
        assert_eq!(body["level_of_assurance"], loa);
        assert_eq!(body["acr"], if loa == "high" { "eidas3" } else { "eidas2" });
        assert_eq!(body["amr"], serde_json::json!(["eidas"]));
        let sent = mock.last_request();
        let values = &sent["response"]["values"];
        assert_eq!(body["claims"]["sub_source"], values["PersonIdentifier"], "{body}\n{sent}");
        assert!(body["claims"]["sub_source"].as_str().unwrap().starts_with("XA/FR/"), "{body}");
        assert_eq!(body["claims"]["family_name"], values["CurrentFamilyName"], "{body}\n{sent}");
        assert_eq!(body["claims"]["birthdate"], values["DateOfBirth"], "{body}\n{sent}");
        // Single use.
        let (again, problem) = consume(&app, &handle).await;
        assert_eq!(again, 404, "{problem}");
        assert_eq!(problem["code"], "response_handle_not_found");
    }
    app.stop().await;
}

#[tokio::test]
async fn cancel_at_the_proxy_returns_to_the_hub_with_user_cancelled_and_the_saml_status() {
    let Some((mock, app)) = setup().await else { return };
    let page = journey(&app, &mock, "substantial", "scenario=cancel").await;
    let error = failure_at_hub(&app, &page, "user_cancelled").await;
    assert_eq!(error["oidc_error"], "access_denied");
    assert_eq!(error["saml"]["status_code"], "urn:oasis:names:tc:SAML:2.0:status:Responder");
    assert_eq!(error["saml"]["sub_status_code"], "urn:oasis:names:tc:SAML:2.0:status:RequestDenied");
    assert_eq!(error["saml"]["status_message"], "Consent not given for a mandatory attribute.");
    app.stop().await;
}

#[tokio::test]
async fn a_failed_authentication_at_the_proxy_gives_authentication_failed() {
    let Some((mock, app)) = setup().await else { return };
    let page = journey(&app, &mock, "substantial", "scenario=authn_failed").await;
    let error = failure_at_hub(&app, &page, "authentication_failed").await;
    assert_eq!(error["oidc_error"], "access_denied");
    assert_eq!(error["saml"]["status_code"], "urn:oasis:names:tc:SAML:2.0:status:Responder");
    assert_eq!(error["saml"]["sub_status_code"], "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed");
    app.stop().await;
}

#[tokio::test]
async fn an_assertion_at_loa_low_gives_loa_not_met() {
    let Some((mock, app)) = setup().await else { return };
    let page = journey(&app, &mock, "substantial", "scenario=loa_low").await;
    let error = failure_at_hub(&app, &page, "loa_not_met").await;
    assert_eq!(error["oidc_error"], "unmet_authentication_requirements");
    // Refused by our check, not a status of the proxy.
    assert_eq!(error["saml"], Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn an_assertion_at_substantial_when_high_was_asked_gives_loa_not_met() {
    let Some((mock, app)) = setup().await else { return };
    let page = journey(&app, &mock, "high", "scenario=success&loa=substantial").await;
    let error = failure_at_hub(&app, &page, "loa_not_met").await;
    assert_eq!(error["oidc_error"], "unmet_authentication_requirements");
    app.stop().await;
}

#[tokio::test]
async fn a_loa_not_met_status_gives_loa_not_met_with_the_saml_status() {
    let Some((mock, app)) = setup().await else { return };
    let page = journey(&app, &mock, "high", "scenario=loa_not_met").await;
    let error = failure_at_hub(&app, &page, "loa_not_met").await;
    assert_eq!(error["oidc_error"], "unmet_authentication_requirements");
    assert_eq!(error["saml"]["status_code"], "urn:oasis:names:tc:SAML:2.0:status:Responder");
    assert_eq!(error["saml"]["sub_status_code"], Value::Null);
    assert_eq!(error["saml"]["status_message"], "202019 - Incorrect Level of Assurance in IdP response");
    app.stop().await;
}

#[tokio::test]
async fn responses_whose_signature_is_refused_give_invalid_response_and_never_an_identity() {
    let Some((mock, app)) = setup().await else { return };
    for scenario in ["bad_signature", "signed_by_attacker", "unsigned"] {
        let page = journey(&app, &mock, "substantial", &format!("scenario={scenario}")).await;
        let error = failure_at_hub(&app, &page, "invalid_response").await;
        assert_eq!(error["oidc_error"], "server_error", "{scenario}");
        assert_eq!(error["saml"], Value::Null, "{scenario}");
    }
    app.stop().await;
}

#[tokio::test]
async fn responses_for_another_audience_or_destination_give_invalid_response() {
    let Some((mock, app)) = setup().await else { return };
    for scenario in ["wrong_audience", "wrong_destination"] {
        let page = journey(&app, &mock, "substantial", &format!("scenario={scenario}")).await;
        let error = failure_at_hub(&app, &page, "invalid_response").await;
        assert_eq!(error["oidc_error"], "server_error", "{scenario}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_assertion_past_its_conditions_gives_expired() {
    let Some((mock, app)) = setup().await else { return };
    // ResponseError::Expired (Conditions NotOnOrAfter passed) → FailureCode::Expired.
    let page = journey(&app, &mock, "substantial", "scenario=expired").await;
    let error = failure_at_hub(&app, &page, "expired").await;
    assert_eq!(error["oidc_error"], "temporarily_unavailable");
    app.stop().await;
}

#[tokio::test]
async fn the_same_acs_post_again_gets_an_error_page_and_the_first_handle_still_consumes_once() {
    let Some((mock, app)) = setup().await else { return };
    let (_, mut browser, acs, fields) = at_proxy(&app, &start_body(&mock, "substantial"), "scenario=success").await;
    let first = browser.post_form(&acs, &fields).await;
    let (handle, _) = back_at_hub(&first);

    let again = browser.post_form(&acs, &fields).await;
    assert_eq!(again.status, 400, "{again:?}");
    assert_eq!(again.location, None);
    assert_eq!(again.headers["content-type"], "text/html; charset=utf-8");
    let request_id = again.headers["x-request-id"].to_str().unwrap();
    assert_eq!(page_request_id(&again.body), Some(request_id), "{}", again.body);
    for detail in ["request_not_found", "saml", "replay", "InResponseTo", "RelayState"] {
        assert!(!again.body.contains(detail), "{detail} shown: {}", again.body);
    }
    assert_style_allowed(&again.body, again.headers["content-security-policy"].to_str().ok());

    let (status, body) = consume(&app, &handle).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    let (status, problem) = consume(&app, &handle).await;
    assert_eq!(status, 404, "{problem}");
    assert_eq!(problem["code"], "response_handle_not_found");
    app.stop().await;
}

#[tokio::test]
async fn consume_of_a_garbage_or_unknown_handle_is_404_response_handle_not_found() {
    let Some((_mock, app)) = setup().await else { return };
    let unknown = "A".repeat(43);
    for handle in ["garbage", "not-a-handle-%2e%2e", unknown.as_str()] {
        let reply = api_post(&app, &format!("/api/v1/authn-responses/{handle}/consume")).await;
        assert_problem(&reply, 404, "response_handle_not_found");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_response_after_the_request_expired_returns_to_the_hub_with_expired() {
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let opts = AppOptions { clock: Some(Arc::clone(&clock)), ..AppOptions::default() };
    let Some((mock, app)) = setup_with(&opts).await else { return };
    let (started, mut browser, acs, fields) =
        at_proxy(&app, &start_body(&mock, "substantial"), "scenario=success").await;
    // api.request_ttl_secs defaults to 600.
    clock.advance(time::Duration::seconds(601));
    let page = browser.post_form(&acs, &fields).await;
    let error = failure_at_hub(&app, &page, "expired").await;
    assert_eq!(error["oidc_error"], "temporarily_unavailable");
    assert_eq!(error["saml"], Value::Null);

    // The start link is dead too.
    let start_page = browser.get(started["browser_redirect_url"].as_str().unwrap()).await;
    assert_eq!(start_page.status, 404, "{start_page:?}");
    assert_eq!(
        page_request_id(&start_page.body),
        Some(start_page.headers["x-request-id"].to_str().unwrap()),
        "{}",
        start_page.body
    );
    app.stop().await;
}

#[tokio::test]
async fn an_expired_request_has_a_404_start_page_the_status_expired_and_cannot_be_cancelled() {
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let opts = AppOptions { clock: Some(Arc::clone(&clock)), ..AppOptions::default() };
    let Some((mock, app)) = setup_with(&opts).await else { return };
    let (status, started) = start(&app, &start_body(&mock, "substantial")).await;
    assert_eq!(status, 201, "{started}");
    clock.advance(time::Duration::seconds(601));
    let page = Browser::new().get(started["browser_redirect_url"].as_str().unwrap()).await;
    assert_eq!(page.status, 404, "{page:?}");
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    assert!(page.body.contains("plus valide"), "{}", page.body);
    assert!(parse_form(&page.body).is_none(), "no form to the proxy: {}", page.body);
    let request_id = started["request_id"].as_str().unwrap();
    let status = api_get(&app, &format!("/api/v1/authn-requests/{request_id}")).await.json();
    assert_eq!(status["status"], "expired", "{status}");
    let cancel = api_post(&app, &format!("/api/v1/authn-requests/{request_id}/cancel")).await;
    assert_problem(&cancel, 409, "request_not_pending");
    app.stop().await;
}

#[tokio::test]
async fn an_acs_post_from_a_browser_that_did_not_start_the_request_gives_invalid_response() {
    let Some((mock, app)) = setup().await else { return };
    let (started, mut browser, acs, fields) =
        at_proxy(&app, &start_body(&mock, "substantial"), "scenario=success").await;
    // Login CSRF: the Response arrives from a browser without the request's binding cookie.
    browser.clear_cookies();
    let page = browser.post_form(&acs, &fields).await;
    let error = failure_at_hub(&app, &page, "invalid_response").await;
    assert_eq!(error["saml"], Value::Null);
    let request_id = started["request_id"].as_str().unwrap();
    let status = api_get(&app, &format!("/api/v1/authn-requests/{request_id}")).await.json();
    assert_eq!(status["outcome"], "invalid_response", "{status}");
    app.stop().await;
}

#[tokio::test]
async fn without_a_country_the_start_page_lists_the_mock_country_and_the_choice_leads_to_a_success() {
    let Some((mock, app)) = setup().await else { return };
    let mut body = start_body(&mock, "substantial");
    body.as_object_mut().unwrap().remove("citizen_country");
    let (status, started) = start(&app, &body).await;
    assert_eq!(status, 201, "{started}");
    let redirect = started["browser_redirect_url"].as_str().unwrap();
    let mut browser = Browser::new();
    let page = browser.get(redirect).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        page.body.contains(r#"<input type="radio" id="country-XA" name="country" value="XA" required>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"<label class="fr-label" for="country-XA">Pays de test A</label>"#), "{}", page.body);
    assert!(!page.body.contains(" disabled "), "{}", page.body);
    let (action, hidden) = parse_form(&page.body).unwrap();
    assert_eq!(format!("{}{action}", app.public), redirect);
    assert!(hidden.is_empty(), "{hidden:?}");
    // The form posts to us; "back" answers a 303 to the hub, which browsers also hold to
    // form-action.
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("form-action 'self' http://127.0.0.1:9;"), "{csp}");
    assert!(page.headers.get("set-cookie").is_none(), "no binding before a country is chosen");

    let chosen = browser.post_form(redirect, &[("country".into(), "XA".into())]).await;
    assert_eq!(chosen.status, 200, "{chosen:?}");
    let (sso, fields) = parse_form(&chosen.body).expect("the auto-submit form");
    assert_eq!(sso, mock.sso_url());
    let mock_page = browser.post_form(&format!("{sso}?scenario=success"), &fields).await;
    assert_eq!(mock_page.status, 200, "{}", mock_page.body);
    let (acs, fields) = parse_form(&mock_page.body).unwrap();
    let back = browser.post_form(&acs, &fields).await;
    let (handle, _) = back_at_hub(&back);
    let (status, body) = consume(&app, &handle).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["citizen_country"], "XA");
    assert_eq!(body["request_id"], started["request_id"]);
    app.stop().await;
}

#[tokio::test]
async fn back_on_the_country_page_returns_to_the_hub_with_user_cancelled() {
    let Some((mock, app)) = setup().await else { return };
    let mut body = start_body(&mock, "substantial");
    body.as_object_mut().unwrap().remove("citizen_country");
    let (status, started) = start(&app, &body).await;
    assert_eq!(status, 201, "{started}");
    let redirect = started["browser_redirect_url"].as_str().unwrap();
    let mut browser = Browser::new();
    assert_eq!(browser.get(redirect).await.status, 200);
    let page = browser.post_form(redirect, &[("action".into(), "back".into())]).await;
    let error = failure_at_hub(&app, &page, "user_cancelled").await;
    assert_eq!(error["oidc_error"], "access_denied");
    assert_eq!(error["saml"], Value::Null);
    // The page cannot be used again.
    assert_eq!(browser.get(redirect).await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn a_greek_identity_gives_latin_claims_and_person_keeps_the_original_script() {
    let Some((mock, app)) = setup().await else { return };
    let page = journey(&app, &mock, "substantial", "scenario=success&identity=greek").await;
    let (handle, _) = back_at_hub(&page);
    let (status, body) = consume(&app, &handle).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["claims"]["family_name"], "Papadopoulou", "{body}");
    assert_eq!(body["claims"]["given_name"], "Eleni", "{body}");
    assert_eq!(body["claims"]["preferred_username"], "Papadopoulou", "{body}");
    assert_eq!(body["person"]["family_name"], serde_json::json!({"latin": "Papadopoulou", "original": "Παπαδοπούλου"}));
    assert_eq!(body["person"]["given_name"], serde_json::json!({"latin": "Eleni", "original": "Ελένη"}));
    let family = &body["attributes"]["http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName"];
    assert_eq!(
        *family,
        serde_json::json!([
            {"value": "Παπαδοπούλου", "latin_script": false},
            {"value": "Papadopoulou", "latin_script": true},
        ]),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_structured_current_address_is_typed_in_person() {
    let Some((mock, app)) = setup().await else { return };
    let mut body = start_body(&mock, "substantial");
    body["requested_attributes"] = serde_json::json!([{"name": "CurrentAddress", "required": false}]);
    let (_, mut browser, acs, fields) = at_proxy(&app, &body, "scenario=success&identity=address").await;
    let page = browser.post_form(&acs, &fields).await;
    let (handle, _) = back_at_hub(&page);
    let (status, body) = consume(&app, &handle).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(
        body["person"]["current_address"],
        serde_json::json!({"structured": {
            "locator_designator": "22",
            "thoroughfare": "Calle Mayor",
            "post_name": "Madrid",
            "post_code": "28013",
        }}),
        "{body}"
    );
    assert_eq!(body["claims"]["family_name"], "Garcia");
    app.stop().await;
}

#[tokio::test]
async fn the_authn_request_is_signed_forces_authn_and_asks_the_minimum_loa_and_the_attributes() {
    let Some((mock, app)) = setup().await else { return };
    let (started, mut browser, acs, fields) =
        at_proxy(&app, &start_body(&mock, "substantial"), "scenario=success").await;
    let sent = mock.last_request();
    assert_eq!(sent["error"], Value::Null, "{sent}");
    assert_eq!(sent["signature_verified"], true, "{sent}");
    assert_eq!(sent["issuer"], format!("{}/eidas/metadata", app.public), "{sent}");
    assert_eq!(sent["destination"], mock.sso_url(), "{sent}");
    assert_eq!(sent["force_authn"], true, "{sent}");
    assert_eq!(sent["is_passive"], false, "{sent}");
    assert_eq!(sent["loa_refs"], serde_json::json!(["http://eidas.europa.eu/LoA/substantial"]), "{sent}");
    assert_eq!(sent["comparison"], "minimum", "{sent}");
    assert_eq!(sent["relay_state"], started["request_id"], "{sent}");
    let np = "http://eidas.europa.eu/attributes/naturalperson/";
    let mut asked: Vec<(String, bool)> = sent["requested_attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap().to_owned(), a["is_required"].as_bool().unwrap()))
        .collect();
    asked.sort();
    let mut expected: Vec<(String, bool)> = [
        ("CurrentFamilyName", true),
        ("CurrentGivenName", true),
        ("DateOfBirth", true),
        ("Gender", false),
        ("PersonIdentifier", true),
        ("PlaceOfBirth", false),
    ]
    .iter()
    .map(|(n, r)| (format!("{np}{n}"), *r))
    .collect();
    expected.sort();
    assert_eq!(asked, expected, "{sent}");
    let page = browser.post_form(&acs, &fields).await;
    back_at_hub(&page);
    app.stop().await;
}

#[tokio::test]
async fn the_start_page_carries_a_nonce_csp_security_headers_and_an_httponly_binding_cookie() {
    let Some((mock, app)) = setup().await else { return };
    let (status, started) = start(&app, &start_body(&mock, "substantial")).await;
    assert_eq!(status, 201, "{started}");
    let page = Browser::new().get(started["browser_redirect_url"].as_str().unwrap()).await;
    assert_eq!(page.status, 200, "{page:?}");
    let header = |name: &str| page.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    let csp = header("content-security-policy").expect("CSP");
    let nonce = csp
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("script-src 'nonce-"))
        .and_then(|n| n.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no script nonce: {csp}"));
    assert!(nonce.len() >= 22, "{csp}");
    assert!(page.body.contains(&format!("<script nonce=\"{nonce}\">")), "{}", page.body);
    assert!(csp.contains(&format!("form-action http://127.0.0.1:{};", mock.port())), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert!(header("x-request-id").is_some_and(|id| !id.is_empty()));
    let cookie = header("set-cookie").expect("the binding cookie");
    assert!(cookie.starts_with("eidas-"), "{cookie}");
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert!(attributes.contains(&"HttpOnly"), "{cookie}");
    assert!(attributes.contains(&"Path=/"), "{cookie}");

    // A reload gets a fresh nonce.
    let again = Browser::new().get(started["browser_redirect_url"].as_str().unwrap()).await;
    let csp2 = again.headers["content-security-policy"].to_str().unwrap();
    assert!(!csp2.contains(nonce), "{csp2}");
    app.stop().await;
}
