//! The service end to end (issue 7): the real app on loopback ports, a mock foreign proxy
//! service (`tests/oracles/mock_proxy.py`: Responses signed and encrypted by python-xmlsec and
//! cryptography, never by our code) on real HTTP, and a test "browser" that carries cookies and
//! forms between them. Scenario tests live in `service/`.

mod api;
mod journeys;
mod pages;
mod peers_failing;
mod rollover;
mod shared_state;
pub(crate) mod shutdown;

use std::collections::HashMap;
use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eidas_connector::clock::{Clock, ManualClock, SystemClock};
use eidas_connector::config::Config;
use eidas_connector::startup::{AppHandle, Application};
use serde_json::Value;

use crate::mock_proxy::{parse_form, MockProxy};
use crate::support::{repo_file, TempFile};

/// The hub's bearer token in the tests.
pub const TOKEN: &str = "a-long-random-token";

/// How a test app is configured.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// `memory` or a Redis URL.
    pub redis_url: Option<String>,
    /// Extra TOML appended to the `[api]` section.
    pub api_extra: String,
    /// Extra TOML appended to the country entry.
    pub country_extra: String,
    /// Where metadata is cached (a restart reads it).
    pub cache_dir: Option<String>,
    /// The connector's clock (default: the system clock).
    pub clock: Option<Arc<ManualClock>>,
    /// The public origin (`http://127.0.0.1:PORT`) the browser and the proxy service see, when
    /// several instances share one behind a load balancer: `connector.entity_id`, `acs_url` and
    /// `server.public_base_url` use it, while each instance binds its own listener. Default:
    /// this instance's public listener.
    pub public_origin: Option<String>,
    /// The `[peers]` section's lines (the metadata refresh schedule; default: the reference's).
    pub peers: String,
    /// More prefixes for `api.return_urls`, beside the tests' `http://127.0.0.1:9/hub/` (a demo
    /// hub's `{public_url}/hub/`).
    pub return_urls: Vec<String>,
    /// The `[keys]` section's lines, replacing the reference's (absolute paths).
    pub keys: Option<String>,
}

/// The one foreign proxy service a test connector is configured with.
#[derive(Debug, Clone)]
pub struct PeerConfig {
    /// Its country code.
    pub country: String,
    /// Its metadata URL (= its entityID).
    pub metadata_url: String,
    /// The metadata-signing certificate trusted for it (a path).
    pub trust: String,
}

impl PeerConfig {
    /// The Python mock `mock`, trusted through `idp-metadata-signer`.
    pub fn of(mock: &MockProxy) -> Self {
        Self {
            country: mock.country().to_owned(),
            metadata_url: mock.metadata_url().to_owned(),
            trust: repo_file("certs/test-pki/idp-metadata-signer.crt.pem").to_string_lossy().into_owned(),
        }
    }
}

/// A running connector.
pub struct TestApp {
    /// `http://127.0.0.1:PORT` of the public listener.
    pub public: String,
    /// `http://127.0.0.1:PORT` of the internal listener.
    pub internal: String,
    /// Stops it.
    pub handle: AppHandle,
    /// The task serving it.
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    _config: TempFile,
}

impl TestApp {
    /// Stops the app gracefully and waits for it.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
    }
}

fn free_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

/// `toml` without its `[name]` table (from the header to the next table or the end).
pub fn without_table(toml: &str, name: &str) -> String {
    let header = format!("[{name}]");
    let mut out = String::new();
    let mut inside = false;
    for line in toml.lines() {
        if line.starts_with('[') {
            inside = line.trim() == header;
        }
        if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The test configuration: `docker/config.toml`'s keys and organization (or `opts.keys`),
/// loopback URLs, one country served by `peer`.
pub fn config_text(public_port: u16, peer: &PeerConfig, opts: &AppOptions) -> String {
    let certs = repo_file("certs").to_string_lossy().into_owned();
    let reference = std::fs::read_to_string(repo_file("docker/config.toml")).unwrap();
    let origin = opts.public_origin.clone().unwrap_or_else(|| format!("http://127.0.0.1:{public_port}"));
    let replaced: &[&str] = if opts.keys.is_some() {
        &["server", "api", "store", "peers", "keys"]
    } else {
        &["server", "api", "store", "peers"]
    };
    let reference = replaced
        .iter()
        .fold(reference, |text, table| without_table(&text, table))
        .replace("\"../certs/", &format!("\"{certs}/"))
        .replace("https://localhost:8443", &origin);
    let store = match &opts.redis_url {
        Some(url) => format!("backend = \"redis\"\nredis_url = \"{url}\"\nop_timeout_ms = 500"),
        None => "backend = \"memory\"".into(),
    };
    let cache = opts.cache_dir.as_ref().map(|d| format!("metadata_cache_dir = \"{d}\"")).unwrap_or_default();
    format!(
        "{reference}\n\
[server]\npublic_listen = \"127.0.0.1:{public_port}\"\ninternal_listen = \"127.0.0.1:0\"\nworkers = 2\n\
public_base_url = \"{origin}\"\n{cache}\n\
[peers]\n{peers}\n\
[api]\ntokens = [\"{TOKEN}\", \"a-second-token-for-rotation\"]\nreturn_urls = [{return_urls}]\n{api}\n\
[store]\n{store}\n\
{keys}\n\
[[countries]]\ncode = \"{code}\"\nmetadata_url = \"{md}\"\ntrust = [\"{trust}\"]\n\
insecure_allow_http = true\nrequire_signed_assertion = false\n{country}\n",
        api = opts.api_extra,
        keys = opts.keys.as_ref().map(|k| format!("[keys]\n{k}")).unwrap_or_default(),
        code = peer.country,
        md = peer.metadata_url,
        trust = peer.trust,
        country = opts.country_extra,
        peers = opts.peers,
        return_urls = std::iter::once("http://127.0.0.1:9/hub/")
            .chain(opts.return_urls.iter().map(String::as_str))
            .map(|u| format!("\"{u}\""))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// Starts the connector for `mock` (the mock is pointed at our metadata).
pub async fn spawn_app(mock: &MockProxy, opts: &AppOptions) -> TestApp {
    let app = spawn_app_for(&PeerConfig::of(mock), opts).await;
    mock.set_connector_metadata_url(&format!("{}/eidas/metadata", app.public));
    app
}

/// Starts the connector configured with the proxy service `peer`.
pub async fn spawn_app_for(peer: &PeerConfig, opts: &AppOptions) -> TestApp {
    let public = free_listener();
    let internal = free_listener();
    let port = public.local_addr().unwrap().port();
    let file = TempFile::new("config.toml", config_text(port, peer, opts).as_bytes());
    let config = Config::load(Some(std::path::Path::new(file.path()))).unwrap();
    let clock: Arc<dyn Clock> = match &opts.clock {
        Some(c) => Arc::clone(c) as Arc<dyn Clock>,
        None => Arc::new(SystemClock),
    };
    let app = Application::build_with_listeners(config, clock, public, internal).await.unwrap();
    let (public, internal) =
        (format!("http://127.0.0.1:{}", app.public_port()), format!("http://127.0.0.1:{}", app.internal_port()));
    let handle = app.handle();
    let task = tokio::spawn(app.run_until_stopped());
    TestApp { public, internal, handle, task, _config: file }
}

/// A browser: no automatic redirects, its own cookies (by name; loopback only).
pub struct Browser {
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

/// What a browser request got.
#[derive(Debug)]
pub struct Page {
    /// Status.
    pub status: u16,
    /// `Location`, on a redirect.
    pub location: Option<String>,
    /// The body.
    pub body: String,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A fresh browser.
    pub fn new() -> Self {
        Self { http: client(), cookies: HashMap::new() }
    }

    fn absorb(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all(reqwest::header::SET_COOKIE) {
            if let Some((pair, _)) = v.to_str().unwrap_or("").split_once(';').or(Some((v.to_str().unwrap_or(""), ""))) {
                if let Some((k, val)) = pair.split_once('=') {
                    self.cookies.insert(k.trim().to_owned(), val.trim().to_owned());
                }
            }
        }
    }

    /// The `Cookie` header it sends.
    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn page(&mut self, res: reqwest::Response) -> Page {
        self.absorb(&res);
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let location = headers.get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Page { status, location, body: res.text().await.unwrap(), headers }
    }

    /// GET `url`.
    pub async fn get(&mut self, url: &str) -> Page {
        let res = self.http.get(url).header("cookie", self.cookie_header()).send().await.unwrap();
        self.page(res).await
    }

    /// POST a form to `url`.
    pub async fn post_form(&mut self, url: &str, fields: &[(String, String)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let res = self
            .http
            .post(url)
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.page(res).await
    }

    /// Forgets every cookie (another browser).
    #[allow(dead_code)] // For the API and journey tests of issue 7.
    pub fn clear_cookies(&mut self) {
        self.cookies.clear();
    }
}

/// An HTTP client that never follows redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy().build().unwrap()
}

/// `POST /api/v1/authn-requests` with `body`; (status, JSON).
pub async fn start(app: &TestApp, body: &Value) -> (u16, Value) {
    start_at(&app.internal, body).await
}

/// `POST {internal}/api/v1/authn-requests` with `body`, to any instance; (status, JSON).
pub async fn start_at(internal: &str, body: &Value) -> (u16, Value) {
    let res =
        client().post(format!("{internal}/api/v1/authn-requests")).bearer_auth(TOKEN).json(body).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A start body for the mock's country at `loa`.
pub fn start_body(mock: &MockProxy, loa: &str) -> Value {
    serde_json::json!({
        "citizen_country": mock.country(),
        "level_of_assurance": loa,
        "requested_attributes": [{"name": "PlaceOfBirth", "required": false}, {"name": "Gender", "required": false}],
        "return_url": "http://127.0.0.1:9/hub/callback",
        "state": "hub-state-42",
        "correlation_id": "corr-1",
    })
}

/// `POST /api/v1/authn-responses/{handle}/consume`; (status, JSON).
pub async fn consume(app: &TestApp, handle: &str) -> (u16, Value) {
    consume_at(&app.internal, handle).await
}

/// `POST {internal}/api/v1/authn-responses/{handle}/consume`, to any instance; (status, JSON).
pub async fn consume_at(internal: &str, handle: &str) -> (u16, Value) {
    let res = client()
        .post(format!("{internal}/api/v1/authn-responses/{handle}/consume"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The `response_handle` and `state` of a 303 back to the hub.
pub fn back_at_hub(page: &Page) -> (String, Option<String>) {
    assert_eq!(page.status, 303, "expected the 303 back to the hub, got {page:?}");
    let location = page.location.as_deref().unwrap();
    assert!(location.starts_with("http://127.0.0.1:9/hub/callback?"), "{location}");
    let url = url::Url::parse(location).unwrap();
    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    (q.get("response_handle").cloned().unwrap(), q.get("state").cloned())
}

/// The browser journey up to the proxy's answer: our start page, the POST to the mock's SSO
/// endpoint with `query` (the scenario), and the mock's auto-submit form (action, fields).
pub async fn to_proxy_and_back(browser: &mut Browser, redirect: &str, query: &str) -> (String, Vec<(String, String)>) {
    let start_page = browser.get(redirect).await;
    assert_eq!(start_page.status, 200, "{start_page:?}");
    let (action, fields) = parse_form(&start_page.body).expect("the auto-submit form");
    let mock_page = browser.post_form(&format!("{action}?{query}"), &fields).await;
    assert_eq!(mock_page.status, 200, "the mock refused our AuthnRequest: {}", mock_page.body);
    parse_form(&mock_page.body).expect("the mock's auto-submit form")
}

/// Started by the hub with `body`: the browser has the start page's auto-submit form posted to
/// the mock with `query`, and holds the mock's form to the ACS (action, fields).
pub async fn at_proxy(app: &TestApp, body: &Value, query: &str) -> (Value, Browser, String, Vec<(String, String)>) {
    let (status, started) = start(app, body).await;
    assert_eq!(status, 201, "{started}");
    let mut browser = Browser::new();
    let (acs, fields) = to_proxy_and_back(&mut browser, started["browser_redirect_url"].as_str().unwrap(), query).await;
    assert_eq!(acs, format!("{}/eidas/acs", app.public));
    (started, browser, acs, fields)
}

/// The whole journey for `scenario` (`success`, `cancel`, …): start, browser, proxy, ACS; the
/// page the ACS answered.
pub async fn journey(app: &TestApp, mock: &MockProxy, loa: &str, query: &str) -> Page {
    let (_, mut browser, acs, fields) = at_proxy(app, &start_body(mock, loa), query).await;
    browser.post_form(&acs, &fields).await
}

/// A mock proxy service for `XA` and the connector beside it, configured by `opts`.
pub async fn setup_with(opts: &AppOptions) -> Option<(MockProxy, TestApp)> {
    let mock = MockProxy::start("XA")?;
    let app = spawn_app(&mock, opts).await;
    Some((mock, app))
}

/// [`setup_with`] the default options.
pub async fn setup() -> Option<(MockProxy, TestApp)> {
    setup_with(&AppOptions::default()).await
}

/// An HTTP answer read whole (API calls, public endpoints).
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: u16,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body.
    pub text: String,
}

impl Reply {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// The first header `name`, when present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An API call's status, headers and JSON body (`Value::Null` when not JSON).
pub struct ApiReply {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body.
    pub json: Value,
}

impl ApiReply {
    async fn read(res: reqwest::Response) -> Self {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        Self { status, headers, json: res.json().await.unwrap_or(Value::Null) }
    }

    /// The header `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends `request` and reads the answer whole.
pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    Reply { status, headers, text: res.text().await.unwrap() }
}

/// `GET` of an internal API path with the hub's token.
pub async fn api_get(app: &TestApp, path: &str) -> Reply {
    send(client().get(format!("{}{path}", app.internal)).bearer_auth(TOKEN)).await
}

/// `POST` of an internal API path with the hub's token and no body.
pub async fn api_post(app: &TestApp, path: &str) -> Reply {
    send(client().post(format!("{}{path}", app.internal)).bearer_auth(TOKEN)).await
}

/// Checks that `reply` is an RFC 9457 problem with `status` and `code`, whose `request_id` is
/// the `X-Request-Id` of the answer; returns the body.
pub fn assert_problem(reply: &Reply, status: u16, code: &str) -> Value {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/problem+json"), "{reply:?}");
    let body = reply.json();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["type"], "about:blank", "{body}");
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    let request_id = reply.header("x-request-id").expect("X-Request-Id");
    assert_eq!(body["request_id"], request_id, "{body}");
    body
}

/// The request id an error page shows (`<code>…</code>`).
pub fn page_request_id(html: &str) -> Option<&str> {
    let start = html.find("<code>")? + "<code>".len();
    let end = html[start..].find("</code>")? + start;
    Some(&html[start..end])
}

/// Checks that the inline `<style>` of an HTML page is allowed by the page's CSP nonce.
pub fn assert_style_allowed(html: &str, csp: Option<&str>) {
    let nonce = html
        .split_once("<style nonce=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(nonce, _)| nonce)
        .unwrap_or_else(|| panic!("no styled page: {html}"));
    let csp = csp.expect("a CSP");
    assert!(nonce.len() >= 22, "a guessable nonce {nonce:?}");
    let style_src = csp
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("style-src "))
        .unwrap_or_else(|| panic!("no style-src: {csp}"));
    assert!(style_src.split_whitespace().any(|s| s == format!("'nonce-{nonce}'")), "{csp}\n{html}");
    assert!(!style_src.contains("'unsafe-inline'"), "{csp}");
}

/// `POST /api/v1/authn-requests` with `body`, waiting at most `bound` for the answer.
pub async fn start_within(app: &TestApp, body: &Value, bound: Duration) -> ApiReply {
    let res = client()
        .post(format!("{}/api/v1/authn-requests", app.internal))
        .bearer_auth(TOKEN)
        .timeout(bound)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("no answer to the start call within {bound:?}: {e}"));
    ApiReply::read(res).await
}

/// `GET /api/v1/countries`: the entry of `code`.
pub async fn country(app: &TestApp, code: &str) -> Value {
    let res = client().get(format!("{}/api/v1/countries", app.internal)).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    body["countries"].as_array().unwrap().iter().find(|c| c["code"] == code).cloned().unwrap_or(Value::Null)
}

/// `GET /readyz`, waiting at most `bound`.
pub async fn readyz_within(app: &TestApp, bound: Duration) -> ApiReply {
    let res = client()
        .get(format!("{}/readyz", app.public))
        .timeout(bound)
        .send()
        .await
        .unwrap_or_else(|e| panic!("no answer to /readyz within {bound:?}: {e}"));
    ApiReply::read(res).await
}

/// `GET /readyz`.
pub async fn readyz(app: &TestApp) -> ApiReply {
    readyz_within(app, Duration::from_secs(30)).await
}

/// `GET /metrics` (text).
pub async fn metrics(app: &TestApp) -> String {
    client().get(format!("{}/metrics", app.internal)).send().await.unwrap().text().await.unwrap()
}

/// The `eidas_metadata_refresh_error` series of `country` in `/metrics`: the code of its last
/// failed refresh, `None` while the last attempt succeeded.
pub async fn refresh_error(app: &TestApp, country: &str) -> Option<String> {
    let prefix = format!("eidas_metadata_refresh_error{{country=\"{country}\",code=\"");
    let text = metrics(app).await;
    let line = text.lines().find(|l| l.starts_with(&prefix))?;
    let (code, value) = line[prefix.len()..].split_once("\"} ")?;
    assert_eq!(value, "1", "{line}");
    Some(code.to_owned())
}

/// Polls `check` every 100 ms until it gives `Some`, for at most `bound` (a bounded wait, never
/// a timing assertion); panics naming `what` when it never does. Prints how long it took.
pub async fn wait_for<T, F, Fut>(what: &str, bound: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = check().await {
            eprintln!("{what}: after {:?}", started.elapsed());
            return v;
        }
        assert!(started.elapsed() < bound, "{what}: not within {bound:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A whole successful journey at `substantial` on `app`, then the hub's consume: the identity
/// the mock sent comes out.
pub async fn assert_journey_succeeds(app: &TestApp, mock: &MockProxy) {
    let page = journey(app, mock, "substantial", "scenario=success").await;
    let (handle, _) = back_at_hub(&page);
    let (status, body) = consume(app, &handle).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    let sent = mock.last_request();
    assert_eq!(body["claims"]["sub_source"], sent["response"]["values"]["PersonIdentifier"], "{body}\n{sent}");
}
