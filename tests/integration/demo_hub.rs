//! The demo hub (issue 8) in front of the real connector and the Python mock proxy service:
//! the whole journey a citizen walks in the demo (login page, connector, mock SSO, ACS,
//! callback, consent, signed in), the failure page of a cancel at the proxy, the login-CSRF
//! state check, and the error pages when the connector refuses or is down.

use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use eidas_connector::demo_hub::{build_server, DemoHubSettings};
use serde_json::Value;

use crate::mock_proxy::{parse_form, MockProxy};
use crate::service::{spawn_app, to_proxy_and_back, AppOptions, Browser, Page, TestApp, TOKEN};

const SERVICE: &str = "Service public de démonstration";

/// A running demo hub.
struct TestHub {
    /// `http://127.0.0.1:PORT`.
    url: String,
    handle: ServerHandle,
}

impl TestHub {
    /// `path` on the hub (an absolute URL is kept).
    fn at(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.url)
        }
    }

    async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// Starts the hub on `listener`, calling the connector's internal API at `api`.
fn start_hub(listener: TcpListener, api: &str) -> TestHub {
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let settings = DemoHubSettings {
        public_url: url.clone(),
        connector_api_url: api.to_owned(),
        api_token: TOKEN.to_owned(),
        service_name: SERVICE.to_owned(),
    };
    let server = build_server(settings, listener).unwrap();
    let handle = server.handle();
    tokio::spawn(server);
    TestHub { url, handle }
}

/// The mock for `XA`, the connector allowing the hub's callback, and the hub.
async fn setup() -> Option<(MockProxy, TestApp, TestHub)> {
    let mock = MockProxy::start("XA")?;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let hub_url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let opts = AppOptions { return_urls: vec![format!("{hub_url}/hub/")], ..AppOptions::default() };
    let app = spawn_app(&mock, &opts).await;
    let hub = start_hub(listener, &app.internal);
    Some((mock, app, hub))
}

fn field(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

/// What askama writes for `s` in text and attribute values.
fn escaped(s: &str) -> String {
    s.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;").replace('\'', "&#39;")
}

fn header<'a>(page: &'a Page, name: &str) -> Option<&'a str> {
    page.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks what every hub page carries: a nonce CSP for its style, no caching, the demo banner.
fn assert_hub_page(page: &Page) {
    crate::service::assert_style_allowed(&page.body, header(page, "content-security-policy"));
    let csp = header(page, "content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!page.body.contains("<script"), "{}", page.body);
    assert_eq!(header(page, "cache-control"), Some("no-store"));
    assert!(page.body.contains("Démonstration") || page.body.contains("Demonstration"), "{}", page.body);
}

/// From the login page to the connector: `POST /hub/start`; returns the connector's start URL.
async fn start_at_hub(browser: &mut Browser, hub: &TestHub, app: &TestApp, fields: &[(String, String)]) -> String {
    let started = browser.post_form(&hub.at("/hub/start"), fields).await;
    assert_eq!(started.status, 303, "{started:?}");
    let location = started.location.clone().unwrap();
    assert!(location.starts_with(&format!("{}/eidas/start/", app.public)), "{location}");
    let cookie = header(&started, "set-cookie").expect("the session cookie");
    assert!(cookie.starts_with("demo_hub_session="), "{cookie}");
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert!(attributes.contains(&"HttpOnly") && attributes.contains(&"SameSite=Lax"), "{cookie}");
    location
}

/// The connector start page, the mock's SSO with `query`, the ACS: the 303 back to the hub's
/// callback (checked), as a URL.
async fn through_connector(browser: &mut Browser, hub: &TestHub, redirect: &str, query: &str) -> String {
    let (acs, fields) = to_proxy_and_back(browser, redirect, query).await;
    let back = browser.post_form(&acs, &fields).await;
    assert_eq!(back.status, 303, "{back:?}");
    let callback = back.location.unwrap();
    assert!(callback.starts_with(&hub.at("/hub/callback?response_handle=")), "{callback}");
    assert!(callback.contains("&state="), "{callback}");
    callback
}

#[tokio::test]
async fn a_citizen_walks_from_the_service_login_page_to_signed_in_through_the_connector() {
    let Some((mock, app, hub)) = setup().await else { return };
    let mut browser = Browser::new();

    // Step 1: the service's login page, with the countries the connector offers.
    let login = browser.get(&hub.at("/")).await;
    assert_eq!(login.status, 200, "{login:?}");
    assert_hub_page(&login);
    assert!(login.body.contains(&escaped(SERVICE)), "{}", login.body);
    assert!(
        login.body.contains(&escaped("Se connecter avec une identité numérique d'un autre pays européen")),
        "{}",
        login.body
    );
    assert!(login.body.contains(r#"<option value="XA">Pays de test A</option>"#), "{}", login.body);
    let (action, hidden) = parse_form(&login.body).unwrap();
    assert_eq!(action, "/hub/start");
    assert_eq!(hidden, [field("lang", "fr")]);

    // Steps 2–3: the hub chose the country; the connector, the mock's SSO (a Greek identity,
    // names in two scripts) and the ACS bring the browser back to the callback.
    let fields = [field("lang", "fr"), field("country", "XA"), field("loa", "high")];
    let redirect = start_at_hub(&mut browser, &hub, &app, &fields).await;
    let callback = through_connector(&mut browser, &hub, &redirect, "scenario=success&identity=greek").await;
    let sent = mock.last_request();
    assert_eq!(sent["provider_name"], SERVICE, "{sent}");
    let back = browser.get(&callback).await;
    assert_eq!(back.status, 303, "{back:?}");
    assert_eq!(back.location.as_deref(), Some("/hub/consent"));

    // Step 4: the claims the hub would issue and the raw attributes, both scripts.
    let consent = browser.get(&hub.at("/hub/consent")).await;
    assert_eq!(consent.status, 200, "{consent:?}");
    assert_hub_page(&consent);
    let csp = header(&consent, "content-security-policy").unwrap();
    assert!(csp.contains("form-action 'self'"), "{csp}");
    let body = &consent.body;
    assert!(body.contains("Vous allez vous connecter en tant que"), "{body}");
    let values = &sent["response"]["values"];
    let text = |v: &Value| escaped(v.as_str().unwrap());
    assert!(body.contains(&format!("{} {}", text(&values["CurrentGivenName"]), "PAPADOPOULOU")), "{body}");
    for (claim, value) in [
        ("given_name", &values["CurrentGivenName"]),
        ("family_name", &values["CurrentFamilyName"]),
        ("preferred_username", &values["CurrentFamilyName"]),
        ("birthdate", &values["DateOfBirth"]),
        ("birthplace", &values["PlaceOfBirth"]),
        ("sub_source", &values["PersonIdentifier"]),
    ] {
        assert!(body.contains(&format!(r#"data-claim="{claim}">{}</td>"#, text(value))), "{claim}: {body}\n{sent}");
    }
    assert!(body.contains(r#"data-claim="gender">female</td>"#), "{body}");
    assert!(body.contains(r#"data-claim="acr">eidas3</td>"#) && body.contains(r#"data-claim="amr">eidas</td>"#));
    assert!(body.contains("Pays de test A (XA)") && body.contains("élevé"), "{body}");
    let both_scripts = format!(
        "<td lang=\"\"><div>{}</div></td><td lang=\"\"><div>{}</div></td>",
        text(&values["CurrentFamilyName"]),
        text(&values["CurrentFamilyName_original"])
    );
    assert!(body.contains(&both_scripts), "{body}");
    assert!(body.contains(&format!("Continuer vers {}", escaped(SERVICE))), "{body}");

    // The same page in English, from the switch; the result was consumed once.
    let english = browser.get(&hub.at("/hub/consent?lang=en")).await;
    assert_eq!(english.status, 200);
    assert!(english.body.contains("You are about to sign in as"), "{}", english.body);
    assert!(english.body.contains(r#"<html lang="en">"#));
    let again = browser.get(&callback).await;
    assert_eq!(again.status, 400, "a second callback: {again:?}");
    assert!(again.body.contains("login_not_pending"), "{}", again.body);

    // Step 5.
    let (action, hidden) = parse_form(&consent.body).unwrap();
    assert_eq!(action, "/hub/continue");
    let mut fields = hidden.clone();
    fields.push(field("action", "continue"));
    let continued = browser.post_form(&hub.at(&action), &fields).await;
    assert_eq!(continued.status, 303, "{continued:?}");
    assert_eq!(continued.location.as_deref(), Some("/hub/signed-in"));
    let signed_in = browser.get(&hub.at("/hub/signed-in")).await;
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    assert_hub_page(&signed_in);
    assert!(signed_in.body.contains("You are signed in"), "the language chosen stays: {}", signed_in.body);
    assert!(signed_in.body.contains("Eleni PAPADOPOULOU"), "{}", signed_in.body);

    // Sign out: back to the login page, the session gone.
    let (action, _) = parse_form(&signed_in.body).unwrap();
    assert_eq!(action, "/hub/logout");
    let out = browser.post_form(&hub.at(&action), &[]).await;
    assert_eq!(out.status, 303, "{out:?}");
    assert_eq!(out.location.as_deref(), Some("/?lang=en"));
    assert_eq!(browser.get(&hub.at("/hub/signed-in")).await.status, 400);

    hub.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn cancel_at_the_proxy_shows_the_user_cancelled_page_with_the_oidc_error() {
    let Some((_mock, app, hub)) = setup().await else { return };
    let mut browser = Browser::new();
    let fields = [field("lang", "fr"), field("country", "XA"), field("loa", "substantial")];
    let redirect = start_at_hub(&mut browser, &hub, &app, &fields).await;
    let callback = through_connector(&mut browser, &hub, &redirect, "scenario=cancel").await;
    let back = browser.get(&callback).await;
    assert_eq!(back.location.as_deref(), Some("/hub/failure"), "{back:?}");
    let page = browser.get(&hub.at("/hub/failure")).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert_hub_page(&page);
    assert!(page.body.contains("Vous avez annulé la connexion"), "{}", page.body);
    assert!(page.body.contains("<code>access_denied</code>"), "{}", page.body);
    assert!(page.body.contains("<code>user_cancelled</code>"), "{}", page.body);
    assert!(page.body.contains("urn:oasis:names:tc:SAML:2.0:status:RequestDenied"), "{}", page.body);
    assert!(page.body.contains(r#"<a href="/?lang=fr">Recommencer</a>"#), "{}", page.body);
    hub.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_callback_with_another_state_or_from_another_browser_is_refused_and_the_login_survives() {
    let Some((_mock, app, hub)) = setup().await else { return };
    let mut browser = Browser::new();
    let fields = [field("lang", "en"), field("loa", "substantial")];
    // No country: the connector's own country page comes first.
    let redirect = start_at_hub(&mut browser, &hub, &app, &fields).await;
    let country_page = browser.get(&redirect).await;
    assert!(country_page.body.contains(r#"value="XA""#), "{}", country_page.body);
    let chosen = browser.post_form(&redirect, &[field("country", "XA")]).await;
    let (sso, fields) = parse_form(&chosen.body).unwrap();
    let mock_page = browser.post_form(&format!("{sso}?scenario=success"), &fields).await;
    let (acs, fields) = parse_form(&mock_page.body).unwrap();
    let back = browser.post_form(&acs, &fields).await;
    let callback = back.location.unwrap();

    let mut url = url::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let forged: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| if k == "state" { (k.clone(), format!("{v}x")) } else { (k.clone(), v.clone()) })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(&forged);
    let refused = browser.get(url.as_str()).await;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert_hub_page(&refused);
    assert!(refused.body.contains("<code>state_mismatch</code>"), "{}", refused.body);
    assert!(refused.body.contains("does not belong to a sign-in started in this browser"), "{}", refused.body);

    // Another browser (no session cookie) with the right state is refused too.
    let elsewhere = Browser::new().get(&callback).await;
    assert_eq!(elsewhere.status, 400, "{elsewhere:?}");
    assert!(elsewhere.body.contains("<code>session_missing</code>"), "{}", elsewhere.body);

    // The citizen's own callback still works: the forged ones consumed nothing.
    let ok = browser.get(&callback).await;
    assert_eq!(ok.location.as_deref(), Some("/hub/consent"), "{ok:?}");
    hub.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_start_refused_by_the_connector_shows_its_problem_code_and_request_id() {
    // The connector does not allow this hub's callback.
    let Some(mock) = MockProxy::start("XA") else { return };
    let app = spawn_app(&mock, &AppOptions::default()).await;
    let hub = start_hub(TcpListener::bind("127.0.0.1:0").unwrap(), &app.internal);
    let mut browser = Browser::new();
    let page = browser.post_form(&hub.at("/hub/start"), &[field("country", "XA"), field("lang", "en")]).await;
    assert_eq!(page.status, 502, "{page:?}");
    assert_hub_page(&page);
    assert!(page.body.contains("<code>return_url_not_allowed</code>"), "{}", page.body);
    // The hub passes its request id on: the connector's problem names the same one.
    let request_id = header(&page, "x-request-id").unwrap();
    assert!(page.body.contains(&format!("<code>{request_id}</code>")), "{request_id}: {}", page.body);
    assert!(header(&page, "set-cookie").is_none(), "no session for a refused start");
    hub.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn with_the_connector_down_the_login_page_still_shows_and_the_start_gives_an_error_page() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let hub = start_hub(TcpListener::bind("127.0.0.1:0").unwrap(), &api);
    let mut browser = Browser::new();
    let login = browser.get(&hub.at("/?lang=en")).await;
    assert_eq!(login.status, 200, "{login:?}");
    assert!(login.body.contains("The list of countries could not be read"), "{}", login.body);
    let page = browser.post_form(&hub.at("/hub/start"), &[field("lang", "en"), field("loa", "high")]).await;
    assert_eq!(page.status, 503, "{page:?}");
    assert_hub_page(&page);
    assert!(page.body.contains("The eIDAS connector does not answer"), "{}", page.body);
    assert!(page.body.contains("<code>connector_unreachable</code>"), "{}", page.body);
    // Bad input never reaches the connector.
    let bad = browser.post_form(&hub.at("/hub/start"), &[field("lang", "fr"), field("loa", "low")]).await;
    assert_eq!(bad.status, 400, "{bad:?}");
    assert!(bad.body.contains("<code>invalid_loa</code>"), "{}", bad.body);
    hub.stop().await;
}
