//! One whole flow over HTTP, each step timed: the hub's start call, the browser's start page,
//! the proxy service (its SSO endpoint and its login form), the ACS and the hub's consume call.
//! A failure is named `{step}:{what}` (`acs:http_503`, `start:http_503:store_unavailable`,
//! `consume:failure:expired`, `page:timeout`), so the report can count errors by code.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::setup::{Connector, COUNTRY, RETURN_PREFIX};

/// The timed steps, in order.
pub const STEPS: [&str; 5] = ["start", "page", "proxy", "acs", "consume"];
/// One request's longest wait (a hung connector is a `timeout`, not a hung driver).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What one flow did.
#[derive(Debug, Clone)]
pub struct FlowResult {
    /// Each step's latency, for the steps that answered as expected.
    pub steps: [Option<Duration>; STEPS.len()],
    /// The whole flow, when it succeeded.
    pub total: Option<Duration>,
    /// `Ok` or the error code.
    pub outcome: Result<(), String>,
}

/// The hub, the browser and the way to the proxy service.
pub struct Driver {
    http: reqwest::Client,
    public: String,
    internal: String,
    token: String,
    mock: String,
}

/// A step's error code.
type StepError = String;

fn transport(step: &str, e: &reqwest::Error) -> StepError {
    let what = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "transport"
    };
    format!("{step}:{what}")
}

/// `&amp;` and friends, as askama writes them.
fn unescape(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
}

/// The value of the first `name="…" value="…"` input, or of the attribute `attr="…"` after
/// `after`.
fn attribute_after(html: &str, after: &str, attr: &str) -> Option<String> {
    let rest = html.get(html.find(after)? + after.len()..)?;
    let marker = format!("{attr}=\"");
    let start = rest.find(&marker)? + marker.len();
    let value = rest.get(start..)?;
    Some(unescape(value.get(..value.find('"')?)?))
}

/// The string at `path` in `json`, or `-`.
fn text<'a>(json: &'a serde_json::Value, path: &[&str]) -> &'a str {
    path.iter().try_fold(json, |v, key| v.get(*key)).and_then(serde_json::Value::as_str).unwrap_or("-")
}

fn hidden(html: &str, name: &str) -> Option<String> {
    attribute_after(html, &format!("name=\"{name}\""), "value")
}

impl Driver {
    /// A driver of `connector` through the mock at `mock`.
    pub fn new(connector: &Connector, mock: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            public: connector.public.clone(),
            internal: connector.internal.clone(),
            token: connector.token.clone(),
            mock: mock.to_owned(),
        })
    }

    /// Runs one flow.
    pub async fn flow(&self) -> FlowResult {
        let mut steps = [None; STEPS.len()];
        let started = Instant::now();
        let outcome = self.steps(&mut steps).await;
        let total = outcome.is_ok().then(|| started.elapsed());
        FlowResult { steps, total, outcome }
    }

    async fn steps(&self, steps: &mut [Option<Duration>; STEPS.len()]) -> Result<(), StepError> {
        let mut timed = |i: usize, since: Instant| {
            if let Some(slot) = steps.get_mut(i) {
                *slot = Some(since.elapsed());
            }
        };
        let t = Instant::now();
        let redirect = self.start().await?;
        timed(0, t);
        let t = Instant::now();
        let (cookie, sso, saml_request, relay_state) = self.start_page(&redirect).await?;
        timed(1, t);
        let t = Instant::now();
        let (acs, saml_response, relay_state) = self.proxy(&sso, &saml_request, &relay_state).await?;
        timed(2, t);
        let t = Instant::now();
        let handle = self.acs(&acs, &cookie, &saml_response, &relay_state).await?;
        timed(3, t);
        let t = Instant::now();
        self.consume(&handle).await?;
        timed(4, t);
        Ok(())
    }

    /// `POST /api/v1/authn-requests` → the browser redirect URL.
    async fn start(&self) -> Result<String, StepError> {
        let body = serde_json::json!({
            "citizen_country": COUNTRY,
            "level_of_assurance": "substantial",
            "requested_attributes": [{"name": "PlaceOfBirth", "required": false}],
            "return_url": format!("{RETURN_PREFIX}callback"),
            "state": "load-state",
            "correlation_id": "load",
        });
        let res = self
            .http
            .post(format!("{}/api/v1/authn-requests", self.internal))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| transport("start", &e))?;
        let status = res.status().as_u16();
        let json: serde_json::Value = res.json().await.unwrap_or(serde_json::Value::Null);
        if status != 201 {
            return Err(format!("start:http_{status}:{}", text(&json, &["code"])));
        }
        match text(&json, &["browser_redirect_url"]) {
            "-" => Err("start:no_redirect".to_owned()),
            url => Ok(url.to_owned()),
        }
    }

    /// `GET /eidas/start/{handle}` → the binding cookie and the auto-submit form (action,
    /// SAMLRequest, RelayState).
    async fn start_page(&self, url: &str) -> Result<(String, String, String, String), StepError> {
        let res = self.http.get(url).send().await.map_err(|e| transport("page", &e))?;
        let status = res.status().as_u16();
        let cookie = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .collect::<Vec<_>>()
            .join("; ");
        let html = res.text().await.map_err(|e| transport("page", &e))?;
        if status != 200 {
            return Err(format!("page:http_{status}"));
        }
        let action = attribute_after(&html, "<form id=\"saml\"", "action").ok_or("page:no_form")?;
        let request = hidden(&html, "SAMLRequest").ok_or("page:no_saml_request")?;
        let relay = hidden(&html, "RelayState").ok_or("page:no_relay_state")?;
        Ok((cookie, action, request, relay))
    }

    /// The proxy service: the AuthnRequest to its SSO endpoint (its login page), then "sign in
    /// as the plain test identity" → the auto-submit form to our ACS.
    async fn proxy(&self, sso: &str, saml_request: &str, relay: &str) -> Result<(String, String, String), StepError> {
        let login = self.post_form("proxy", sso, &[("SAMLRequest", saml_request), ("RelayState", relay)], None).await?;
        let pending = hidden(&login, "pending").ok_or("proxy:no_pending")?;
        let answer = [("pending", pending.as_str()), ("action", "sign_in"), ("identity", "plain")];
        let page = self.post_form("proxy", &format!("{}/sso/answer", self.mock), &answer, None).await?;
        let acs = attribute_after(&page, "<form id=\"saml\"", "action").ok_or("proxy:no_form")?;
        let response = hidden(&page, "SAMLResponse").ok_or("proxy:no_saml_response")?;
        let relay = hidden(&page, "RelayState").ok_or("proxy:no_relay_state")?;
        Ok((acs, response, relay))
    }

    async fn post_form(
        &self,
        step: &str,
        url: &str,
        fields: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Result<String, StepError> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut req = self.http.post(url).header("content-type", "application/x-www-form-urlencoded").body(body);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.map_err(|e| transport(step, &e))?;
        let status = res.status().as_u16();
        let text = res.text().await.map_err(|e| transport(step, &e))?;
        if status != 200 {
            return Err(format!("{step}:http_{status}"));
        }
        Ok(text)
    }

    /// `POST /eidas/acs` with the binding cookie → the `response_handle` of the 303.
    async fn acs(&self, acs: &str, cookie: &str, response: &str, relay: &str) -> Result<String, StepError> {
        if !acs.starts_with(&self.public) {
            return Err("acs:unexpected_url".into());
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("SAMLResponse", response), ("RelayState", relay)])
            .finish();
        let res = self
            .http
            .post(acs)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookie)
            .body(body)
            .send()
            .await
            .map_err(|e| transport("acs", &e))?;
        let status = res.status().as_u16();
        let location = res.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let _ = res.bytes().await;
        if status != 303 {
            return Err(format!("acs:http_{status}"));
        }
        let url = location.and_then(|l| url::Url::parse(&l).ok()).ok_or("acs:no_location")?;
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        query.get("response_handle").cloned().ok_or_else(|| "acs:no_response_handle".to_owned())
    }

    /// `POST /api/v1/authn-responses/{handle}/consume`: a success.
    async fn consume(&self, handle: &str) -> Result<(), StepError> {
        let res = self
            .http
            .post(format!("{}/api/v1/authn-responses/{handle}/consume", self.internal))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| transport("consume", &e))?;
        let status = res.status().as_u16();
        let json: serde_json::Value = res.json().await.unwrap_or(serde_json::Value::Null);
        if status != 200 {
            return Err(format!("consume:http_{status}:{}", text(&json, &["code"])));
        }
        if text(&json, &["status"]) != "success" {
            return Err(format!("consume:failure:{}", text(&json, &["error", "code"])));
        }
        Ok(())
    }
}
