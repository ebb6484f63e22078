//! The demo hub's client of the connector's internal JSON API (DESIGN §2.1): start, consume
//! and the country list, with the bearer token and short timeouts. It is what a real hub
//! does, through HTTP only; it never reaches into the connector's state.
//!
//! Failures are typed: the connector did not answer, it answered a problem (with its `code`
//! and `request_id`), or it answered something unreadable.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::flow::types::Consumed;

/// How long the TCP connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a whole call may take (start signs an AuthnRequest; consume is a store read).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the country list may take (it is on the login page: a slow connector must not
/// hold the page).
const COUNTRIES_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a call to the connector failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No answer (refused, timed out, reset).
    #[error("the connector did not answer: {0}")]
    Unreachable(#[source] reqwest::Error),
    /// An RFC 9457 problem (or another non-success status).
    #[error("the connector answered {status} {code}")]
    Problem {
        /// The HTTP status.
        status: u16,
        /// The problem's `code` (`http_{status}` when the body is not a problem).
        code: String,
        /// The problem's `request_id`, else the `X-Request-Id` of the answer.
        request_id: Option<String>,
    },
    /// A success whose body is not what the contract says.
    #[error("the connector's answer is malformed: {0}")]
    Malformed(String),
}

impl ClientError {
    /// Stable code (shown on the error page): the problem's own code when there is one.
    pub fn code(&self) -> &str {
        match self {
            Self::Unreachable(_) => "connector_unreachable",
            Self::Problem { code, .. } => code,
            Self::Malformed(_) => "connector_answer_malformed",
        }
    }

    /// The connector's request id, when it answered one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Problem { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}

/// One attribute asked (`requested_attributes`).
#[derive(Debug, Clone, Serialize)]
pub struct RequestedAttribute {
    /// eIDAS FriendlyName.
    pub name: &'static str,
    /// `isRequired`.
    pub required: bool,
}

/// The body of `POST /api/v1/authn-requests`.
#[derive(Debug, Clone, Serialize)]
pub struct StartBody {
    /// The country, when the hub chose it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citizen_country: Option<String>,
    /// `substantial` or `high`.
    pub level_of_assurance: String,
    /// Beyond the minimum data set.
    pub requested_attributes: Vec<RequestedAttribute>,
    /// The service's name, shown by the foreign consent page.
    pub provider_name: String,
    /// `{public_url}/hub/callback`.
    pub return_url: String,
    /// The login-CSRF state, echoed on the callback.
    pub state: String,
    /// Our id of this login.
    pub correlation_id: String,
    /// `fr` or `en`.
    pub ui_locales: String,
}

/// The `201` of the start call (the fields the hub uses).
#[derive(Debug, Clone, Deserialize)]
pub struct Started {
    /// The connector's id of the request.
    pub request_id: String,
    /// Where the browser goes.
    pub browser_redirect_url: String,
}

/// One country of `GET /api/v1/countries`.
#[derive(Debug, Clone, Deserialize)]
pub struct Country {
    /// eIDAS code.
    pub code: String,
    /// Its name in the asked language.
    pub name: String,
    /// Whether it can be chosen now.
    pub available: bool,
}

#[derive(Debug, Deserialize)]
struct Countries {
    countries: Vec<Country>,
}

#[derive(Debug, Deserialize)]
struct Problem {
    code: Option<String>,
    request_id: Option<String>,
}

/// The connector's internal API.
#[derive(Clone)]
pub struct ConnectorClient {
    http: reqwest::Client,
    base: url::Url,
    token: String,
}

impl std::fmt::Debug for ConnectorClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorClient").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

impl ConnectorClient {
    /// A client of the API at `base` (`http://127.0.0.1:8081`) with `token`.
    pub fn new(base: &str, token: &str) -> Result<Self, String> {
        let base = url::Url::parse(base).map_err(|e| format!("connector_api_url {base:?}: {e}"))?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALL_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            // The internal listener is reached directly, never through an environment proxy.
            .no_proxy()
            .user_agent(concat!("eidas-connector-demo-hub/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self { http, base, token: token.to_owned() })
    }

    /// `base` joined with the path `segments` (each percent-encoded).
    fn url(&self, segments: &[&str]) -> Result<url::Url, ClientError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| ClientError::Malformed("connector_api_url cannot be a base".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// `POST /api/v1/authn-requests`; `request_id` goes out as `X-Request-Id`, so that the
    /// connector's logs carry the hub's id.
    pub async fn start(&self, body: &StartBody, request_id: &str) -> Result<Started, ClientError> {
        let url = self.url(&["api", "v1", "authn-requests"])?;
        let res = self.send(self.http.post(url).json(body), request_id).await?;
        read_json(res, 201).await
    }

    /// `POST /api/v1/authn-responses/{handle}/consume`.
    pub async fn consume(&self, handle: &str, request_id: &str) -> Result<Consumed, ClientError> {
        let url = self.url(&["api", "v1", "authn-responses", handle, "consume"])?;
        let res = self.send(self.http.post(url), request_id).await?;
        read_json(res, 200).await
    }

    /// `GET /api/v1/countries?lang=…`.
    pub async fn countries(&self, lang: &str, request_id: &str) -> Result<Vec<Country>, ClientError> {
        let mut url = self.url(&["api", "v1", "countries"])?;
        url.query_pairs_mut().append_pair("lang", lang);
        let res = self.send(self.http.get(url).timeout(COUNTRIES_TIMEOUT), request_id).await?;
        read_json::<Countries>(res, 200).await.map(|c| c.countries)
    }

    async fn send(&self, req: reqwest::RequestBuilder, request_id: &str) -> Result<reqwest::Response, ClientError> {
        // The consume URL holds the single-use handle: never in an error message or a log.
        let unreachable = |e: reqwest::Error| ClientError::Unreachable(e.without_url());
        req.bearer_auth(&self.token).header("x-request-id", request_id).send().await.map_err(unreachable)
    }
}

/// The body of `res` when its status is `expected`, else the problem it carries.
async fn read_json<T: serde::de::DeserializeOwned>(res: reqwest::Response, expected: u16) -> Result<T, ClientError> {
    let status = res.status().as_u16();
    if status == expected {
        let bytes = res.bytes().await.map_err(|e| ClientError::Unreachable(e.without_url()))?;
        return serde_json::from_slice(&bytes).map_err(|e| ClientError::Malformed(e.to_string()));
    }
    let header_id = res.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let problem = res.json::<Problem>().await.ok();
    let (code, request_id) = problem.map(|p| (p.code, p.request_id)).unwrap_or_default();
    Err(ClientError::Problem {
        status,
        code: code.unwrap_or_else(|| format!("http_{status}")),
        request_id: request_id.or(header_id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded_under_the_base() {
        let c = ConnectorClient::new("http://127.0.0.1:8081/", "t").unwrap();
        let url = c.url(&["api", "v1", "authn-responses", "a/../b?x", "consume"]).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8081/api/v1/authn-responses/a%2F..%2Fb%3Fx/consume");
        let c = ConnectorClient::new("http://127.0.0.1:8081", "t").unwrap();
        assert_eq!(c.url(&["api"]).unwrap().as_str(), "http://127.0.0.1:8081/api");
    }

    #[test]
    fn the_start_body_leaves_out_an_absent_country() {
        let body = StartBody {
            citizen_country: None,
            level_of_assurance: "high".into(),
            requested_attributes: vec![RequestedAttribute { name: "Gender", required: false }],
            provider_name: "S".into(),
            return_url: "http://h/hub/callback".into(),
            state: "st".into(),
            correlation_id: "c".into(),
            ui_locales: "en".into(),
        };
        let v = serde_json::to_value(&body).unwrap();
        assert!(v.get("citizen_country").is_none(), "{v}");
        assert_eq!(v["requested_attributes"][0]["name"], "Gender");
    }

    #[test]
    fn error_codes_come_from_the_problem() {
        let e = ClientError::Problem {
            status: 404,
            code: "response_handle_not_found".into(),
            request_id: Some("r".into()),
        };
        assert_eq!((e.code(), e.request_id()), ("response_handle_not_found", Some("r")));
        assert_eq!(ClientError::Malformed("x".into()).code(), "connector_answer_malformed");
    }
}
