//! The demo (`eidas-connector demo`: the connector, two TEST proxy services in Rust and the demo
//! hub) walked in Chromium as a foreign citizen would: the five steps of the journey, a cancel at
//! the proxy service, a refused LoA. Screenshots of every page; axe-core on each.

use std::time::Duration;

use eidas_connector::demo::{start, DemoPorts, RunningDemo};
use fantoccini::Locator;

use super::Chromium;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn demo() -> (RunningDemo, String) {
    let ports =
        DemoPorts { hub: free_port(), public: free_port(), internal: free_port(), xa: free_port(), xb: free_port() };
    let running = start(ports).await.expect("the demo starts");
    (running, format!("http://127.0.0.1:{}/", ports.hub))
}

/// Waits for `css` on the current page (pages change after form posts and redirects).
async fn element(browser: &Chromium, css: &str) -> fantoccini::elements::Element {
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} not found: {e}"))
}

/// The hub's failure page, once the browser is on it.
async fn failure_page(browser: &Chromium, hub: &str) -> String {
    let failure = url::Url::parse(&format!("{hub}hub/failure")).unwrap();
    browser.client.wait().at_most(Duration::from_secs(15)).for_url(&failure).await.ok();
    browser.text().await
}

async fn accessible(browser: &Chromium, page: &str) {
    let violations = browser.serious_accessibility_violations().await;
    assert!(violations.is_empty(), "{page}: serious or critical axe-core violations:\n{}", violations.join("\n"));
}

/// Steps 1–3: the hub's login page, the connector's country page (XA), the proxy's login page.
async fn to_the_proxy_login(browser: &Chromium, hub: &str, shots: bool) {
    browser.client.goto(hub).await.unwrap();
    let start = element(browser, "form[action='/hub/start'] button[type='submit']").await;
    if shots {
        browser.screenshot("journey-1-hub-login").await;
        accessible(browser, "demo hub login page").await;
    }
    start.click().await.unwrap();
    element(browser, "input[name='country'][value='XA']").await;
    if shots {
        browser.screenshot("journey-2-country-page").await;
        accessible(browser, "connector country page").await;
    }
    browser.choose_country("XA").await;
    element(browser, "form[action='/sso/answer']").await;
    if shots {
        browser.screenshot("journey-3-proxy-login").await;
        accessible(browser, "test proxy service login page").await;
    }
}

#[tokio::test]
async fn a_greek_citizen_signs_in_and_the_step_4_page_shows_her_claims_in_both_scripts() {
    let Some(browser) = Chromium::start().await else { return };
    let (demo, hub) = demo().await;
    to_the_proxy_login(&browser, &hub, true).await;
    element(&browser, "input[name='identity'][value='greek']").await.click().await.unwrap();
    element(&browser, "button[name='action'][value='sign_in']").await.click().await.unwrap();
    // Step 4: the hub's consent page, after the connector's ACS and the consume call.
    element(&browser, "form[action='/hub/continue']").await;
    let html = browser.text().await;
    browser.screenshot("journey-4-hub-consent").await;
    accessible(&browser, "demo hub consent page").await;
    // The identity chosen at the proxy (src/mock_proxy/identities.rs): Latin claims, and the
    // original Greek script beside them.
    for expected in ["Papadopoulou", "Παπαδοπούλου", "Eleni", "Ελένη", "1970-05-12", "eidas2"] {
        assert!(html.contains(expected), "the step-4 page lacks {expected:?}:\n{html}");
    }
    assert!(html.contains("XA/FR/"), "{html}");
    element(&browser, "button[name='action'][value='continue']").await.click().await.unwrap();
    // Step 5: signed in.
    element(&browser, "form[action='/hub/logout']").await;
    browser.screenshot("journey-5-signed-in").await;
    accessible(&browser, "demo hub signed-in page").await;
    drop(browser);
    demo.stop().await;
}

#[tokio::test]
async fn a_cancel_at_the_proxy_service_shows_the_hub_its_user_cancelled_page() {
    let Some(browser) = Chromium::start().await else { return };
    let (demo, hub) = demo().await;
    to_the_proxy_login(&browser, &hub, false).await;
    element(&browser, "button[name='action'][value='cancel']").await.click().await.unwrap();
    let html = failure_page(&browser, &hub).await;
    assert!(html.contains("user_cancelled"), "{html}");
    browser.screenshot("journey-cancelled-at-proxy").await;
    accessible(&browser, "demo hub failure page").await;
    drop(browser);
    demo.stop().await;
}

#[tokio::test]
async fn a_level_below_the_request_is_refused_and_the_hub_shows_loa_not_met() {
    let Some(browser) = Chromium::start().await else { return };
    let (demo, hub) = demo().await;
    to_the_proxy_login(&browser, &hub, false).await;
    element(&browser, "select#loa option[value='low']").await.click().await.unwrap();
    element(&browser, "button[name='action'][value='sign_in']").await.click().await.unwrap();
    let html = failure_page(&browser, &hub).await;
    assert!(html.contains("loa_not_met"), "{html}");
    browser.screenshot("journey-loa-refused").await;
    drop(browser);
    demo.stop().await;
}
