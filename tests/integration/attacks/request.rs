//! attacks.md §2.10, the request side: the hub's start body must not let hostile values through
//! to the AuthnRequest, the auto-submit page or the redirect (R1-R3).

use super::*;

/// R2: a `return_url` outside the allow-list is refused at the start (422), nothing started.
#[tokio::test]
async fn start_refuses_a_return_url_outside_the_allow_list() {
    let Some(lab) = Lab::ready(None).await else { return };
    for url in ["https://evil.example/hub/callback", "http://127.0.0.1:9/hubx/callback", "javascript:alert(1)"] {
        let mut body = start_body(&lab.mock, "substantial");
        body["return_url"] = url.into();
        let (status, problem) = lab.start_request(&body).await;
        assert_eq!((status, problem["code"].as_str()), (400, Some("return_url_not_allowed")), "{url}: {problem}");
        assert!(problem["request_id"].is_string(), "{url}: {problem}");
    }
}

/// R3: markup in `provider_name` and `state` is carried as text: never raw
/// in the start page, the AuthnRequest's ProviderName is the exact string (escaped in XML), and
/// the state comes back URL-encoded.
#[tokio::test]
async fn start_never_lets_markup_from_the_hub_into_the_pages_or_the_authn_request() {
    let Some(lab) = Lab::ready(None).await else { return };
    let markup = "\"><script>alert(1)</script><x a='";
    let mut body = start_body(&lab.mock, "substantial");
    body["provider_name"] = markup.into();
    body["state"] = format!("s{markup}").into();
    let (status, started) = lab.start_request(&body).await;
    assert_eq!(status, 201, "{started}");
    let mut browser = Browser::new();
    let page = browser.get(started["browser_redirect_url"].as_str().unwrap()).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(!page.body.contains("<script>"), "raw markup in the start page: {}", page.body);
    let (action, fields) = crate::mock_proxy::parse_form(&page.body).expect("the auto-submit form");
    assert_eq!(action, lab.mock.sso_url(), "the form posts to the proxy's SSO URL only");
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["SAMLRequest", "RelayState"], "{fields:?}");
    let mock_page = browser.post_form(&format!("{action}?scenario=success"), &fields).await;
    assert_eq!(mock_page.status, 200, "{}", mock_page.body);
    let sent = lab.mock.last_request();
    assert!(sent["signature_verified"] == true, "{sent}");
    assert_eq!(sent["provider_name"], markup, "the AuthnRequest's ProviderName, as the mock's lxml read it");
    let (acs, fields) = crate::mock_proxy::parse_form(&mock_page.body).unwrap();
    let back = browser.post_form(&acs, &fields).await;
    assert_eq!(back.status, 303, "{back:?}");
    let location = back.location.clone().unwrap();
    assert!(!location.contains('<') && !location.contains('"'), "{location}");
    let url = url::Url::parse(&location).unwrap();
    let state = url.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned());
    assert_eq!(state.as_deref(), Some(format!("s{markup}").as_str()));
}

/// R1: a RelayState that is not ours (markup, oversize) posted to the ACS with a Response that
/// has no pending request gives a 4xx page that does not reflect it.
#[tokio::test]
async fn acs_does_not_reflect_a_hostile_relay_state() {
    let Some(lab) = Lab::ready(None).await else { return };
    let (_, mut browser, acs, fields) = lab.at_proxy("atk_in_response_to_unknown").await;
    for relay in ["<script>alert(1)</script>", &"A".repeat(5000)] {
        let hostile: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| if k == "RelayState" { (k.clone(), relay.to_owned()) } else { (k.clone(), v.clone()) })
            .collect();
        let page = browser.post_form(&acs, &hostile).await;
        assert!((400..500).contains(&page.status), "{page:?}");
        assert!(!page.body.contains(relay), "the RelayState is reflected: {}", page.body);
    }
}
