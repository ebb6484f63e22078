//! The internal API's contract: authentication, validation, problem+json codes; and the public
//! listener's metadata, health and readiness.

use eidas_connector::xmlsec::dsig::{verify_element, SignaturePolicy};
use eidas_connector::xmlsec::keys::TrustedCert;
use eidas_connector::xmlsec::{Document, Limits};

use super::*;

fn authn_requests(app: &TestApp) -> String {
    format!("{}/api/v1/authn-requests", app.internal)
}

/// `POST /api/v1/authn-requests` of `body` as JSON with the hub's token.
async fn post_start(app: &TestApp, body: &Value) -> Reply {
    send(client().post(authn_requests(app)).bearer_auth(TOKEN).json(body)).await
}

/// `POST /api/v1/authn-requests` of raw bytes with `content_type` and the hub's token.
async fn post_start_raw(app: &TestApp, content_type: &str, body: Vec<u8>) -> Reply {
    send(client().post(authn_requests(app)).bearer_auth(TOKEN).header("content-type", content_type).body(body)).await
}

#[tokio::test]
async fn calls_without_a_token_or_with_a_wrong_one_are_401_and_the_second_token_works() {
    let Some((mock, app)) = setup().await else { return };
    let countries = format!("{}/api/v1/countries", app.internal);
    let unauthorized = [
        send(client().get(&countries)).await,
        send(client().get(&countries).bearer_auth("a-wrong-but-long-token")).await,
        // A prefix of the real token, and the token under another scheme.
        send(client().get(&countries).bearer_auth(&TOKEN[..TOKEN.len() - 1])).await,
        send(client().get(&countries).basic_auth(TOKEN, Some(""))).await,
        // The token is checked before the body is read.
        send(client().post(authn_requests(&app)).json(&start_body(&mock, "substantial"))).await,
    ];
    for reply in &unauthorized {
        assert_problem(reply, 401, "unauthorized");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{reply:?}");
    }
    // Rotation: both configured tokens are accepted.
    for token in [TOKEN, "a-second-token-for-rotation"] {
        let reply = send(client().get(&countries).bearer_auth(token)).await;
        assert_eq!(reply.status, 200, "{reply:?}");
    }
    // The authentication scheme is case-insensitive (RFC 9110 §11.1).
    for scheme in ["bearer", "BEARER"] {
        let reply = send(client().get(&countries).header("authorization", format!("{scheme} {TOKEN}"))).await;
        assert_eq!(reply.status, 200, "{scheme}: {reply:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_malformed_json_body_is_400_invalid_request() {
    let Some((_mock, app)) = setup().await else { return };
    let reply = post_start_raw(&app, "application/json", br#"{"level_of_assurance": "#.to_vec()).await;
    assert_problem(&reply, 400, "invalid_request");
    app.stop().await;
}

#[tokio::test]
async fn a_body_of_another_content_type_is_415() {
    let Some((mock, app)) = setup().await else { return };
    let json = serde_json::to_vec(&start_body(&mock, "substantial")).unwrap();
    let reply = post_start_raw(&app, "text/plain", json).await;
    assert_problem(&reply, 415, "unsupported_media_type");
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_field_is_400_invalid_request_naming_it() {
    let Some((mock, app)) = setup().await else { return };
    let mut body = start_body(&mock, "substantial");
    body["favourite_colour"] = "blue".into();
    let problem = assert_problem(&post_start(&app, &body).await, 400, "invalid_request");
    assert!(problem["detail"].as_str().unwrap().contains("favourite_colour"), "{problem}");
    app.stop().await;
}

#[tokio::test]
async fn a_json_body_over_max_json_bytes_is_413_payload_too_large() {
    let Some((mock, app)) = setup().await else { return };
    let mut body = start_body(&mock, "substantial");
    // server.max_json_bytes defaults to 64 KiB.
    body["state"] = "x".repeat(64 * 1024).into();
    assert_problem(&post_start(&app, &body).await, 413, "payload_too_large");
    app.stop().await;
}

#[tokio::test]
async fn an_acs_form_over_max_form_bytes_is_413_with_the_error_page() {
    let Some((_mock, app)) = setup().await else { return };
    // server.max_form_bytes defaults to 512 KiB.
    let body = format!("SAMLResponse={}&RelayState=r", "A".repeat(512 * 1024));
    let reply = send(
        client()
            .post(format!("{}/eidas/acs", app.public))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await;
    assert_eq!(reply.status, 413, "{}", reply.status);
    assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(page_request_id(&reply.text), reply.header("x-request-id"), "{}", reply.text);
    assert_style_allowed(&reply.text, reply.header("content-security-policy"));
    app.stop().await;
}

#[tokio::test]
async fn low_and_unknown_levels_of_assurance_are_422_loa_not_supported() {
    let Some((mock, app)) = setup().await else { return };
    for loa in ["low", "http://eidas.europa.eu/LoA/low", "medium", ""] {
        let reply = post_start(&app, &start_body(&mock, loa)).await;
        assert_problem(&reply, 422, "loa_not_supported");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_country_is_422_country_unknown() {
    let Some((mock, app)) = setup().await else { return };
    for country in ["QQ", "FR", "xa1"] {
        let mut body = start_body(&mock, "substantial");
        body["citizen_country"] = country.into();
        assert_problem(&post_start(&app, &body).await, 422, "country_unknown");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_return_url_outside_the_allow_list_is_400_return_url_not_allowed() {
    let Some((mock, app)) = setup().await else { return };
    // The allow-list is ["http://127.0.0.1:9/hub/"].
    for url in [
        "http://127.0.0.1:9/elsewhere",
        "https://evil.example/hub/callback",
        "http://127.0.0.1:99/hub/callback",
        "http://127.0.0.1:9/hub/../elsewhere",
        "http://127.0.0.1:9/hub/%2e%2e/elsewhere",
        "http://127.0.0.1:9/hub/..\\elsewhere",
        "not a url",
    ] {
        let mut body = start_body(&mock, "substantial");
        body["return_url"] = url.into();
        let reply = post_start(&app, &body).await;
        assert_problem(&reply, 400, "return_url_not_allowed");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_attribute_is_400_unknown_attribute() {
    let Some((mock, app)) = setup().await else { return };
    let mut body = start_body(&mock, "substantial");
    body["requested_attributes"] = serde_json::json!([{"name": "FavouriteColour", "required": true}]);
    assert_problem(&post_start(&app, &body).await, 400, "unknown_attribute");
    app.stop().await;
}

#[tokio::test]
async fn natural_and_legal_person_attributes_together_are_400_attributes_mixed_person_kinds() {
    let Some((mock, app)) = setup().await else { return };
    let mut body = start_body(&mock, "substantial");
    body["requested_attributes"] = serde_json::json!([{"name": "CurrentAddress"}, {"name": "LegalName"}]);
    assert_problem(&post_start(&app, &body).await, 400, "attributes_mixed_person_kinds");
    app.stop().await;
}

#[tokio::test]
async fn the_countries_list_the_mock_available_with_its_levels_in_the_asked_language() {
    let Some((_mock, app)) = setup().await else { return };
    let en = api_get(&app, "/api/v1/countries?lang=en").await;
    assert_eq!(en.status, 200, "{en:?}");
    let countries = en.json()["countries"].clone();
    assert_eq!(countries.as_array().map(Vec::len), Some(1), "{countries}");
    let xa = &countries[0];
    assert_eq!(xa["code"], "XA", "{xa}");
    assert_eq!(xa["name"], "Test country A", "{xa}");
    assert_eq!(xa["available"], true, "{xa}");
    assert_eq!(xa["reason"], Value::Null, "{xa}");
    assert_eq!(xa["levels_of_assurance"], serde_json::json!(["substantial", "high"]), "{xa}");
    assert!(xa["metadata_valid_until"].is_string(), "{xa}");
    for query in ["?lang=fr", ""] {
        let fr = api_get(&app, &format!("/api/v1/countries{query}")).await;
        assert_eq!(fr.json()["countries"][0]["name"], "Pays de test A", "{fr:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_status_is_pending_then_completed_then_consumed() {
    let Some((mock, app)) = setup().await else { return };
    let (status, started) = start(&app, &start_body(&mock, "substantial")).await;
    assert_eq!(status, 201, "{started}");
    let request_id = started["request_id"].as_str().unwrap();
    let path = format!("/api/v1/authn-requests/{request_id}");
    let pending = api_get(&app, &path).await;
    assert_eq!(pending.status, 200, "{pending:?}");
    let body = pending.json();
    assert_eq!(body["status"], "pending", "{body}");
    assert_eq!(body["request_id"], request_id);
    assert_eq!(body["citizen_country"], "XA");
    assert_eq!(body["level_of_assurance"], "substantial");
    assert_eq!(body["correlation_id"], "corr-1");
    assert_eq!(body["outcome"], Value::Null);
    assert_eq!(body["expires_at"], started["expires_at"]);

    let mut browser = Browser::new();
    let (acs, fields) =
        to_proxy_and_back(&mut browser, started["browser_redirect_url"].as_str().unwrap(), "scenario=success").await;
    let (handle, _) = back_at_hub(&browser.post_form(&acs, &fields).await);
    let completed = api_get(&app, &path).await.json();
    assert_eq!(completed["status"], "completed", "{completed}");
    assert_eq!(completed["outcome"], "success", "{completed}");

    assert_eq!(consume(&app, &handle).await.0, 200);
    let consumed = api_get(&app, &path).await.json();
    assert_eq!(consumed["status"], "consumed", "{consumed}");
    assert_eq!(consumed["outcome"], "success", "{consumed}");
    app.stop().await;
}

#[tokio::test]
async fn status_and_cancel_of_an_unknown_request_are_404_request_not_found() {
    let Some((_mock, app)) = setup().await else { return };
    let unknown = "A".repeat(43);
    for id in ["nope", unknown.as_str()] {
        assert_problem(&api_get(&app, &format!("/api/v1/authn-requests/{id}")).await, 404, "request_not_found");
        assert_problem(&api_post(&app, &format!("/api/v1/authn-requests/{id}/cancel")).await, 404, "request_not_found");
    }
    app.stop().await;
}

#[tokio::test]
async fn cancel_of_a_pending_request_kills_its_start_page_and_is_idempotent() {
    let Some((mock, app)) = setup().await else { return };
    let (status, started) = start(&app, &start_body(&mock, "substantial")).await;
    assert_eq!(status, 201, "{started}");
    let request_id = started["request_id"].as_str().unwrap();
    let cancel = format!("/api/v1/authn-requests/{request_id}/cancel");
    for _ in 0..2 {
        let reply = api_post(&app, &cancel).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.json(), serde_json::json!({"request_id": request_id, "status": "cancelled"}));
    }
    let status = api_get(&app, &format!("/api/v1/authn-requests/{request_id}")).await.json();
    assert_eq!(status["status"], "cancelled", "{status}");
    assert_eq!(status["outcome"], "user_cancelled", "{status}");
    let page = Browser::new().get(started["browser_redirect_url"].as_str().unwrap()).await;
    assert_eq!(page.status, 404, "{page:?}");
    assert_eq!(page_request_id(&page.body), page.headers["x-request-id"].to_str().ok(), "{}", page.body);
    app.stop().await;
}

#[tokio::test]
async fn cancel_of_a_completed_request_is_409_request_not_pending() {
    let Some((mock, app)) = setup().await else { return };
    let (started, mut browser, acs, fields) =
        at_proxy(&app, &start_body(&mock, "substantial"), "scenario=success").await;
    let (handle, _) = back_at_hub(&browser.post_form(&acs, &fields).await);
    let cancel = format!("/api/v1/authn-requests/{}/cancel", started["request_id"].as_str().unwrap());
    assert_problem(&api_post(&app, &cancel).await, 409, "request_not_pending");
    // The result is still there for the hub.
    let (status, body) = consume(&app, &handle).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("success")), "{body}");
    assert_problem(&api_post(&app, &cancel).await, 409, "request_not_pending");
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_is_3_1_with_the_five_paths() {
    let Some((_mock, app)) = setup().await else { return };
    let reply = send(client().get(format!("{}/api/v1/openapi.json", app.internal))).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let doc = reply.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")), "{}", doc["openapi"]);
    let mut paths: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/api/v1/authn-requests",
            "/api/v1/authn-requests/{request_id}",
            "/api/v1/authn-requests/{request_id}/cancel",
            "/api/v1/authn-responses/{response_handle}/consume",
            "/api/v1/countries",
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_the_outcomes_and_show_the_metadata_availability() {
    let Some((mock, app)) = setup().await else { return };
    let page = journey(&app, &mock, "substantial", "scenario=success").await;
    back_at_hub(&page);
    let reply = send(client().get(format!("{}/metrics", app.internal))).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.header("content-type").is_some_and(|c| c.starts_with("text/plain; version=0.0.4")), "{reply:?}");
    let lines: Vec<&str> = reply.text.lines().collect();
    assert!(lines.contains(&r#"eidas_outcomes_total{country="XA",code="success"} 1"#), "{}", reply.text);
    assert!(lines.contains(&r#"eidas_metadata_available{country="XA"} 1"#), "{}", reply.text);
    assert!(lines.contains(&r#"eidas_requests_total{country="XA"} 1"#), "{}", reply.text);
    app.stop().await;
}

#[tokio::test]
async fn healthz_and_readyz_are_200_with_the_store_and_the_country_available() {
    let Some((_mock, app)) = setup().await else { return };
    let health = send(client().get(format!("{}/healthz", app.public))).await;
    assert_eq!(health.status, 200, "{health:?}");
    assert_eq!(health.json(), serde_json::json!({"status": "ok"}));
    let ready = send(client().get(format!("{}/readyz", app.public))).await;
    assert_eq!(ready.status, 200, "{ready:?}");
    let body = ready.json();
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(body["store"], "ok", "{body}");
    assert_eq!(body["store_backend"], "memory", "{body}");
    assert_eq!(body["countries"], serde_json::json!({"XA": "available"}), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn our_metadata_is_served_signed_by_the_demo_key_with_the_app_url_as_entity_id() {
    let Some((_mock, app)) = setup().await else { return };
    let reply = send(client().get(format!("{}/eidas/metadata", app.public))).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/samlmetadata+xml"));
    let doc = Document::parse(reply.text.as_bytes(), &Limits::metadata()).unwrap();
    assert_eq!(doc.attr(doc.root(), "entityID"), Some(format!("{}/eidas/metadata", app.public).as_str()));
    let cert = std::fs::read(crate::support::repo_file("certs/demo/sign.crt.pem")).unwrap();
    let trusted = TrustedCert::from_pem(&cert).unwrap();
    let verified = verify_element(&doc, doc.root(), &trusted, &SignaturePolicy::default())
        .unwrap_or_else(|e| panic!("{}", e.code()));
    assert_eq!(verified.node(), doc.root());
    app.stop().await;
}

#[tokio::test]
async fn internal_endpoints_are_not_served_on_the_public_listener_and_public_ones_not_on_the_internal() {
    let Some((_mock, app)) = setup().await else { return };
    for path in ["/metrics", "/api/v1/countries", "/api/v1/openapi.json"] {
        let reply = send(client().get(format!("{}{path}", app.public)).bearer_auth(TOKEN)).await;
        assert_eq!(reply.status, 404, "public {path}: {reply:?}");
    }
    for path in ["/healthz", "/readyz", "/eidas/metadata"] {
        let reply = send(client().get(format!("{}{path}", app.internal)).bearer_auth(TOKEN)).await;
        assert_problem(&reply, 404, "not_found");
    }
    let acs = send(
        client()
            .post(format!("{}/eidas/acs", app.internal))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("SAMLResponse=PHg%2B"),
    )
    .await;
    assert_problem(&acs, 404, "not_found");
    app.stop().await;
}
