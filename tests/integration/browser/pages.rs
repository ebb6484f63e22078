//! The connector's own pages in Chromium: the country page in both languages, a keyboard-only
//! choice, the no-JavaScript path; screenshots and an axe-core pass on each.

use fantoccini::key::Key;
use fantoccini::Locator;

use super::Chromium;
use std::time::Duration;

use crate::service::{consume, setup, start, start_body, TestApp};

/// A started request without a country: its browser start URL (the country page).
async fn country_page_url(app: &TestApp, mock: &crate::mock_proxy::MockProxy, lang: &str) -> String {
    let mut body = start_body(mock, "substantial");
    body.as_object_mut().unwrap().remove("citizen_country");
    body["ui_locales"] = lang.into();
    let (status, started) = start(app, &body).await;
    assert_eq!(status, 201, "{started}");
    started["browser_redirect_url"].as_str().unwrap().to_owned()
}

/// Presses Tab until the element `css` has the focus (at most 40 times).
async fn tab_to(browser: &Chromium, css: &str) {
    let target = browser.client.find(Locator::Css(css)).await.unwrap();
    for _ in 0..40 {
        browser.client.active_element().await.unwrap().send_keys(&Key::Tab.to_string()).await.unwrap();
        if browser.client.active_element().await.unwrap().element_id() == target.element_id() {
            return;
        }
    }
    panic!("{css} is not reachable with Tab");
}

fn assert_accessible(page: &str, violations: &[String]) {
    assert!(violations.is_empty(), "{page}: serious or critical axe-core violations:\n{}", violations.join("\n"));
}

#[tokio::test]
async fn the_country_page_reads_in_french_and_english_and_passes_axe() {
    let Some((mock, app)) = setup().await else { return };
    let Some(browser) = Chromium::start().await else { return };
    for (lang, title) in [("fr", "Choisissez votre pays"), ("en", "Choose your country")] {
        let url = country_page_url(&app, &mock, lang).await;
        browser.client.goto(&url).await.unwrap();
        let html = browser.text().await;
        assert!(html.contains(title), "{lang}: {html}");
        assert!(html.contains(&format!("lang=\"{lang}\"")), "{lang}: {html}");
        browser.screenshot(&format!("connector-country-page-{lang}")).await;
        assert_accessible(&format!("country page ({lang})"), &browser.serious_accessibility_violations().await);
    }
    drop(browser);
    app.stop().await;
}

#[tokio::test]
async fn a_country_is_chosen_with_the_keyboard_alone_and_the_journey_comes_back_to_the_hub() {
    let Some((mock, app)) = setup().await else { return };
    let Some(browser) = Chromium::start().await else { return };
    let url = country_page_url(&app, &mock, "en").await;
    browser.client.goto(&url).await.unwrap();
    // Tab to the country's radio, Space to choose it, Tab to "Continue", Enter.
    tab_to(&browser, "input[name='country'][value='XA']").await;
    browser.client.active_element().await.unwrap().send_keys(" ").await.unwrap();
    tab_to(&browser, "form button[type='submit']:not([name])").await;
    browser.client.active_element().await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();
    // The auto-submit page posts to the proxy service by itself; the (Python) mock proxy answers
    // with its own auto-submit form to our ACS, which sends the browser back to the hub.
    let hub = "http://127.0.0.1:9/hub/callback?response_handle=";
    let mut back = None;
    for _ in 0..100 {
        let now = browser.client.current_url().await.unwrap().to_string();
        if now.starts_with(hub) {
            back = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let back = back.unwrap_or_else(|| panic!("the browser did not come back to the hub"));
    assert_eq!(mock.last_request()["signature_verified"], true);
    let url = url::Url::parse(&back).unwrap();
    let handle = url.query_pairs().find(|(k, _)| k == "response_handle").unwrap().1.into_owned();
    let (status, body) = consume(&app, &handle).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("success")), "{body}");
    drop(browser);
    app.stop().await;
}

#[tokio::test]
async fn without_javascript_the_country_choice_and_the_continue_button_reach_the_proxy_service() {
    let Some((mock, app)) = setup().await else { return };
    let Some(browser) = Chromium::start_without_javascript().await else { return };
    let url = country_page_url(&app, &mock, "fr").await;
    browser.client.goto(&url).await.unwrap();
    browser.choose_country("XA").await;
    // The auto-submit page does not submit itself: its <noscript> button does.
    let button = browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("form#saml button[type='submit']"))
        .await
        .unwrap();
    // (axe-core cannot run with JavaScript off; the same page is checked with it on below.)
    browser.screenshot("connector-auto-submit-no-javascript").await;
    button.click().await.unwrap();
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url::Url::parse(mock.sso_url()).unwrap())
        .await
        .ok();
    let now = browser.client.current_url().await.unwrap();
    assert!(now.as_str().starts_with(mock.sso_url()), "at {now}");
    assert_eq!(mock.last_request()["signature_verified"], true);
    drop(browser);
    app.stop().await;
}
