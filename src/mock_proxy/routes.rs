//! The mock proxy service's HTTP endpoints: `GET /` (index), `GET /metadata`, `GET /healthz`,
//! `POST /sso` (the AuthnRequest, HTTP-POST binding), `GET /sso/login` (the login page again,
//! in the other language), `POST /sso/answer` (the login form). Handlers extract, call the
//! checks and builders, and render; every HTML answer carries a CSP with its own nonce.

use std::sync::Arc;

use actix_web::error::UrlencodedError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use time::OffsetDateTime;

use super::connector::{ConnectorError, ConnectorInfo};
use super::identities::TestIdentity;
use super::pages;
use super::response::{build_response, Answer, ResponseBuildError, ResponseContext};
use super::sso::{self, CheckedRequest, ReceivedRequest, SsoError};
use super::MockState;
use crate::saml::LevelOfAssurance;
use crate::xmlsec::encode_base64;

/// Largest form accepted (a SAMLRequest is a few kB).
const MAX_FORM_BYTES: usize = 256 * 1024;

fn nonce() -> String {
    crate::flow::new_handle().unwrap_or_else(|_| "n".into())
}

/// `en` or `fr`: the one asked explicitly, else from `Accept-Language` (French by default).
fn language(req: &HttpRequest, explicit: Option<&str>) -> &'static str {
    match explicit {
        Some("en") => "en",
        Some("fr") => "fr",
        _ => crate::flow::choose_locale(None, req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())),
    }
}

/// An HTML answer whose CSP allows only this nonce's style and script, and forms to
/// `form_action`.
fn page(status: StatusCode, nonce: &str, form_action: &str, html: String) -> HttpResponse {
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    );
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8");
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.insert_header((header::CONTENT_SECURITY_POLICY, v));
    }
    res.body(html)
}

/// The refusal page: `code` and the detail, logged with the code.
fn refused(state: &MockState, lang: &str, status: StatusCode, code: &str, detail: &str) -> HttpResponse {
    tracing::info!(code, status = status.as_u16(), "mock proxy service refused");
    let n = nonce();
    page(status, &n, "'none'", pages::render_refused(lang, &n, &state.settings.display_name, code, detail))
}

/// Form bodies: too large → 413, malformed → 400, with the refusal page.
pub(super) fn form_config() -> web::FormConfig {
    web::FormConfig::default().limit(MAX_FORM_BYTES).error_handler(|e: UrlencodedError, req: &HttpRequest| {
        let status = match e {
            UrlencodedError::Overflow { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        let lang = language(req, None);
        let n = nonce();
        let html = pages::render_refused(lang, &n, "mock proxy service", "mock.form", &e.to_string());
        actix_web::error::InternalError::from_response(e, page(status, &n, "'none'", html)).into()
    })
}

#[get("/")]
async fn index(state: web::Data<MockState>, req: HttpRequest) -> HttpResponse {
    let s = &state.settings;
    let n = nonce();
    let html = pages::render_index(language(&req, None), &n, &s.display_name, &s.entity_id(), &s.sso_url());
    page(StatusCode::OK, &n, "'none'", html)
}

#[get("/metadata")]
async fn metadata(state: web::Data<MockState>) -> HttpResponse {
    match state.metadata.current(&state.settings, state.clock.now()) {
        Ok(xml) => HttpResponse::Ok()
            .content_type("application/samlmetadata+xml")
            .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
            .body(xml),
        Err(e) => {
            tracing::error!(code = e.code(), cause = %e, "mock proxy metadata");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}

#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// What the connector's auto-submit page posts (SAML Bindings 3.5.4).
#[derive(Debug, Deserialize)]
struct SsoForm {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

#[get("/sso")]
async fn sso_get(state: web::Data<MockState>, req: HttpRequest) -> HttpResponse {
    let detail = "Only the HTTP-POST binding is supported: POST SAMLRequest (base64) and RelayState to this URL.";
    refused(&state, language(&req, None), StatusCode::METHOD_NOT_ALLOWED, "mock.request.binding", detail)
}

#[post("/sso")]
async fn sso_post(state: web::Data<MockState>, req: HttpRequest, form: web::Form<SsoForm>) -> HttpResponse {
    let lang = language(&req, None);
    let now = state.clock.now();
    let form = form.into_inner();
    let received = match sso::receive(form.saml_request.as_deref()) {
        Ok(r) => r,
        Err(e) => return refused(&state, lang, StatusCode::BAD_REQUEST, e.code(), &e.to_string()),
    };
    let (request, connector) = match check_request(&state, &received, now).await {
        Ok(ok) => ok,
        Err(Refusal::Connector(e)) => {
            let status = if e.is_transport() { StatusCode::BAD_GATEWAY } else { StatusCode::BAD_REQUEST };
            return refused(&state, lang, status, e.code(), &e.to_string());
        }
        Err(Refusal::Request(e)) => return refused(&state, lang, StatusCode::BAD_REQUEST, e.code(), &e.to_string()),
    };
    let pending = state.pending.insert(request, connector, form.relay_state, now);
    let Some(id) = pending else {
        return refused(&state, lang, StatusCode::INTERNAL_SERVER_ERROR, "mock.pending", "cannot keep the request");
    };
    login_page(&state, lang, &id, now)
}

enum Refusal {
    Connector(ConnectorError),
    Request(SsoError),
}

/// Fetches the connector metadata (the configured URL, else the Issuer) and checks the request
/// with it; a signature refused with a cached copy is checked again with a fresh one (the
/// connector may have rolled its key over).
async fn check_request(
    state: &MockState,
    received: &ReceivedRequest,
    now: OffsetDateTime,
) -> Result<(CheckedRequest, Arc<ConnectorInfo>), Refusal> {
    let (url, configured) = match &state.settings.connector_metadata_url {
        Some(u) => (u.as_str(), true),
        None => (received.issuer.as_str(), false),
    };
    let sso_url = state.settings.sso_url();
    let mut fresh = false;
    loop {
        let (info, cached) =
            state.connectors.get(url, &received.issuer, configured, fresh, now).await.map_err(Refusal::Connector)?;
        match sso::check(received, &info, &sso_url, now) {
            Ok(request) => return Ok((request, info)),
            Err(SsoError::Signature(_)) if cached => fresh = true,
            Err(e) => return Err(Refusal::Request(e)),
        }
    }
}

fn login_page(state: &MockState, lang: &str, id: &str, now: OffsetDateTime) -> HttpResponse {
    match state.pending.get(id, now) {
        Some(p) => {
            let n = nonce();
            page(StatusCode::OK, &n, "'self'", pages::render_login(lang, &n, &state.settings.display_name, id, &p))
        }
        None => refused(
            state,
            lang,
            StatusCode::NOT_FOUND,
            "mock.pending.unknown",
            "This login page is unknown or expired (10 minutes): start again from the connector.",
        ),
    }
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    pending: Option<String>,
    lang: Option<String>,
}

#[get("/sso/login")]
async fn login_again(state: web::Data<MockState>, req: HttpRequest, query: web::Query<LoginQuery>) -> HttpResponse {
    let lang = language(&req, query.lang.as_deref());
    login_page(&state, lang, query.pending.as_deref().unwrap_or_default(), state.clock.now())
}

/// The login form.
#[derive(Debug, Deserialize)]
struct AnswerForm {
    pending: Option<String>,
    action: Option<String>,
    identity: Option<String>,
    loa: Option<String>,
    lang: Option<String>,
}

/// The answer chosen on the form, or why it is not one.
fn chosen_answer(form: &AnswerForm, requested: LevelOfAssurance) -> Result<Answer, (&'static str, &'static str)> {
    match form.action.as_deref() {
        Some("cancel") => Ok(Answer::Cancel),
        Some("refuse_consent") => Ok(Answer::RefuseConsent),
        Some("sign_in") => {
            let identity = form
                .identity
                .as_deref()
                .and_then(TestIdentity::by_key)
                .ok_or(("mock.answer.identity", "Choose one of the test identities."))?;
            let loa = match form.loa.as_deref() {
                None | Some("") => requested,
                Some(name) => LevelOfAssurance::from_name(name)
                    .ok_or(("mock.answer.loa", "The level of assurance is low, substantial or high."))?,
            };
            Ok(Answer::SignIn { identity, loa })
        }
        _ => Err(("mock.answer.action", "The action is sign_in, cancel or refuse_consent.")),
    }
}

#[post("/sso/answer")]
async fn answer(state: web::Data<MockState>, req: HttpRequest, form: web::Form<AnswerForm>) -> HttpResponse {
    let lang = language(&req, form.lang.as_deref());
    let now = state.clock.now();
    let id = form.pending.as_deref().unwrap_or_default();
    let Some(pending) = state.pending.get(id, now) else {
        return login_page(&state, lang, id, now);
    };
    let chosen = match chosen_answer(&form, pending.request.level_of_assurance) {
        Ok(a) => a,
        Err((code, detail)) => return refused(&state, lang, StatusCode::BAD_REQUEST, code, detail),
    };
    let s = &state.settings;
    let ctx = ResponseContext {
        issuer: &s.entity_id(),
        country: s.country,
        request: &pending.request,
        connector: &pending.connector,
        signing_key: &s.signing_key,
        signature_algorithm: s.signature_algorithm,
        key_transport: s.key_transport,
        now,
    };
    let xml = match build_response(&ctx, chosen) {
        Ok(xml) => xml,
        Err(e) => {
            let status = match e {
                ResponseBuildError::IdentityUnavailable(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            return refused(&state, lang, status, e.code(), &e.to_string());
        }
    };
    // One answer per request: a second post of the same page finds nothing.
    if state.pending.take(id, now).is_none() {
        return login_page(&state, lang, id, now);
    }
    let acs = &pending.connector.acs_url;
    let n = nonce();
    let html = pages::render_auto_submit(
        lang,
        &n,
        &s.display_name,
        acs,
        &encode_base64(xml.as_bytes()),
        pending.relay_state.as_deref(),
    );
    // Browsers apply `form-action` to the redirects that follow the post too (w3c/webappsec-csp#8),
    // and the connector's ACS answers with a 303 to the hub, whose origin a proxy service cannot
    // know: any http(s) target is allowed here, as on a real proxy service's page.
    page(StatusCode::OK, &n, "*", html)
}

/// The routes.
pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(index)
        .service(metadata)
        .service(healthz)
        .service(sso_get)
        .service(sso_post)
        .service(login_again)
        .service(answer);
}
