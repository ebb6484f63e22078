//! The public listener: the browser's start page and ACS, our metadata, health and readiness,
//! and the pages' static files under `/static/` (DESIGN §2.2). Pages carry a per-response CSP
//! nonce; nothing here shows an internal detail.

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::request_id::current_request_id;
use super::AppState;
use crate::flow::{AcsForm, BrowserStart, FlowError};
use crate::ui::{self, ErrorKind};

fn nonce() -> String {
    crate::flow::new_handle().unwrap_or_else(|_| "n".into())
}

fn accept_language(req: &HttpRequest) -> Option<&str> {
    req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

/// The language the citizen chose with the country page's switch: `?lang=fr|en` (anything
/// else is ignored).
fn lang_param(req: &HttpRequest) -> Option<&'static str> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| crate::flow::parse_locale(Some(&v)))
}

/// What a page runs: the CSP allows a script only to the pages that have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    None,
    Nonced,
}

/// An HTML page with its CSP ([`ui::content_security_policy`]): our origin's styles and fonts,
/// the inline style and (`script`) script with this response's nonce, forms only to
/// `form_action`.
fn page(status: StatusCode, nonce: &str, script: Script, form_action: &str, html: String) -> HttpResponse {
    let csp = ui::content_security_policy(nonce, script == Script::Nonced, form_action);
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8");
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.insert_header((header::CONTENT_SECURITY_POLICY, v));
    }
    res.body(html)
}

/// The status and message of the error page for `e`, logged with its cause.
fn classify(state: &AppState, e: &FlowError) -> (StatusCode, ErrorKind) {
    match e {
        FlowError::Store(s) => {
            state.flow.metrics.store_error(s.code());
            tracing::error!(code = s.code(), cause = %s, "store");
            (StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Unavailable)
        }
        FlowError::Technical(cause) => {
            tracing::error!(code = "technical_error", cause = %cause, "technical");
            (StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Generic)
        }
        FlowError::StartHandleNotFound | FlowError::NotPending(_) => (StatusCode::NOT_FOUND, ErrorKind::Expired),
        FlowError::CountryUnavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Unavailable),
        other => {
            tracing::warn!(code = other.code(), "refused");
            (StatusCode::BAD_REQUEST, ErrorKind::Generic)
        }
    }
}

/// The error page for `e`, logged with its cause; the user sees a generic message and the
/// request id.
pub(super) fn error_page(state: &AppState, req: &HttpRequest, e: &FlowError) -> HttpResponse {
    let (status, kind) = classify(state, e);
    render_error_page(req, status, kind)
}

/// The error page of a start page (`/eidas/start/{handle}`): while the request is still
/// pending, it keeps the way back to the hub (the country page's "back" button).
fn start_error_page(state: &AppState, req: &HttpRequest, e: &FlowError) -> HttpResponse {
    let (status, kind) = classify(state, e);
    if matches!(e, FlowError::StartHandleNotFound | FlowError::NotPending(_)) {
        return render_error_page(req, status, kind);
    }
    let lang = page_lang(req);
    let n = nonce();
    let action = start_action(req);
    // The back button posts to us and is answered with a 303 to the hub: its origin must be
    // allowed too (see `render_start`); the record is not at hand here, the allow-list is.
    let mut form_action = String::from("'self'");
    for allowed in &state.flow.config.current().settings.api.return_urls {
        let o = origin(allowed);
        if o != "'none'" && !form_action.split(' ').any(|s| s == o) {
            form_action.push(' ');
            form_action.push_str(&o);
        }
    }
    let html = ui::render_error_page(lang, &n, kind, &current_request_id(), ui::Back::Form(&action));
    page(status, &n, Script::None, &form_action, html)
}

/// The error page of a form body refused before any handler ran (too large, malformed).
pub(super) fn form_error_page(req: &HttpRequest, status: StatusCode) -> HttpResponse {
    render_error_page(req, status, ErrorKind::Generic)
}

/// The language of a page shown without a request at hand: `?lang=`, then the browser's.
fn page_lang(req: &HttpRequest) -> &'static str {
    crate::flow::choose_page_locale(lang_param(req), None, accept_language(req))
}

/// An error page in the browser's language, with this response's nonce in its CSP.
fn render_error_page(req: &HttpRequest, status: StatusCode, kind: ErrorKind) -> HttpResponse {
    let n = nonce();
    page(status, &n, Script::None, "'none'", ui::render_error(page_lang(req), &n, kind, &current_request_id(), None))
}

/// Where a start page's form posts: the same path, keeping the language the citizen chose.
fn start_action(req: &HttpRequest) -> String {
    match lang_param(req) {
        Some(lang) => format!("{}?lang={lang}", req.path()),
        None => req.path().to_owned(),
    }
}

fn binding_cookie(state: &AppState, name: String, value: String) -> Cookie<'static> {
    let https = state.flow.public_base_url.starts_with("https://");
    let mut c = Cookie::build(name, value).path("/").http_only(true);
    c = if https {
        // DESIGN §2.2: `__Host-`, Secure, SameSite=None (the proxy's POST is cross-site).
        c.secure(true).same_site(SameSite::None)
    } else {
        // Loopback HTTP (tests, demo): no Secure, so no SameSite=None; the proxy is same-site.
        c.same_site(SameSite::Lax)
    };
    c.max_age(actix_web::cookie::time::Duration::seconds(state.flow.ttls.request.whole_seconds())).finish()
}

/// The origin of `url` for a CSP source list (`'none'` when it has none).
fn origin(url: &str) -> String {
    match url::Url::parse(url).map(|u| u.origin()) {
        Ok(o) if o.is_tuple() => o.ascii_serialization(),
        _ => "'none'".into(),
    }
}

fn render_start(state: &AppState, req: &HttpRequest, start: BrowserStart, error: bool) -> HttpResponse {
    let n = nonce();
    match start {
        BrowserStart::CountryPage { countries, locale, return_url, .. } => {
            let action = start_action(req);
            // The page posts to us; "back" answers with a 303 to the hub, and Chrome and Safari
            // hold the redirect of a form submission to form-action too (w3c/webappsec-csp#8).
            let form_action = format!("'self' {}", origin(&return_url));
            let html = ui::render_country_page(locale, &n, &action, &countries, error);
            let status = if error { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            page(status, &n, Script::Nonced, &form_action, html)
        }
        BrowserStart::AutoSubmit { action, saml_request, relay_state, cookie, locale, .. } => {
            let origin = origin(&action);
            let html = ui::render_auto_submit(locale, &n, &action, &saml_request, &relay_state);
            let mut res = page(StatusCode::OK, &n, Script::Nonced, &origin, html);
            if res.add_cookie(&binding_cookie(state, cookie.0, cookie.1)).is_err() {
                return start_error_page(state, req, &FlowError::Technical("cookie".into()));
            }
            res
        }
    }
}

#[get("/eidas/start/{handle}")]
async fn start_page(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    match state.flow.browser_start(&path, lang_param(&req), accept_language(&req)).await {
        Ok(start) => render_start(&state, &req, start, false),
        Err(e) => start_error_page(&state, &req, &e),
    }
}

/// The country page's form. Public for the fuzz target `start_form`.
#[doc(hidden)]
#[derive(Debug, Deserialize)]
pub struct CountryForm {
    /// The country chosen.
    pub country: Option<String>,
    /// `back`: the citizen returns to the hub.
    pub action: Option<String>,
}

#[post("/eidas/start/{handle}")]
async fn choose_country(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CountryForm>,
) -> HttpResponse {
    if form.action.as_deref() == Some("back") {
        return match state.flow.back_to_hub(&path).await {
            Ok(location) => HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish(),
            Err(e) => start_error_page(&state, &req, &e),
        };
    }
    let (lang, browser) = (lang_param(&req), accept_language(&req));
    let refused = match form.country.as_deref() {
        None => "no_country",
        Some(country) => match state.flow.select_country(&path, country, lang, browser).await {
            Ok(start) => return render_start(&state, &req, start, false),
            Err(e @ (FlowError::CountryUnknown(_) | FlowError::CountryUnavailable { .. })) => e.code(),
            Err(e) => return start_error_page(&state, &req, &e),
        },
    };
    // A choice the page did not offer (none, unknown, no longer available): the page again,
    // saying so, rather than a dead end.
    tracing::info!(code = refused, "country choice refused");
    match state.flow.country_page(&path, lang, browser).await {
        Ok(start) => render_start(&state, &req, start, true),
        Err(e) => start_error_page(&state, &req, &e),
    }
}

/// What the proxy service's page posts (SAML Bindings 3.5.4). Public for the fuzz target
/// `acs_form`.
#[doc(hidden)]
#[derive(Debug, Deserialize)]
pub struct AcsBody {
    /// `SAMLResponse`: the Response, base64.
    #[serde(rename = "SAMLResponse")]
    pub saml_response: String,
    /// `RelayState`: the request id we sent.
    #[serde(rename = "RelayState")]
    pub relay_state: Option<String>,
}

#[post("/eidas/acs")]
async fn acs(state: web::Data<AppState>, req: HttpRequest, form: web::Form<AcsBody>) -> HttpResponse {
    let cookies: HashMap<String, String> = req
        .cookies()
        .map(|all| all.iter().map(|c| (c.name().to_owned(), c.value().to_owned())).collect())
        .unwrap_or_default();
    let form = form.into_inner();
    match state.flow.acs(AcsForm { saml_response: form.saml_response, relay_state: form.relay_state }, &cookies).await {
        Ok(outcome) => HttpResponse::SeeOther().insert_header((header::LOCATION, outcome.redirect)).finish(),
        Err(e) => error_page(&state, &req, &e),
    }
}

#[get("/eidas/metadata")]
async fn metadata(state: web::Data<AppState>) -> HttpResponse {
    match state.metadata.current(&state.flow) {
        Ok(xml) => HttpResponse::Ok()
            .content_type("application/samlmetadata+xml")
            .insert_header((header::CACHE_CONTROL, "public, max-age=600"))
            .body(xml),
        Err(e) => {
            tracing::error!(code = e.code(), cause = %e, "metadata");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}

#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let store = state.flow.store.ping().await;
    let countries: serde_json::Map<String, serde_json::Value> = state
        .flow
        .peers
        .statuses()
        .into_iter()
        .map(|s| {
            (
                s.code.to_string(),
                serde_json::json!(if s.available { "available" } else { s.reason.unwrap_or("unavailable") }),
            )
        })
        .collect();
    let any_country = countries.values().any(|v| v == "available") || countries.is_empty();
    let ready = store.is_ok() && any_country;
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "store": match &store { Ok(()) => "ok".to_owned(), Err(e) => e.code().to_owned() },
        "store_backend": state.flow.store.backend(),
        "keys": "loaded",
        "countries": countries,
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// The public listener's routes, with the pages' static files ([`ui::assets`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(ui::assets::configure);
    cfg.service(start_page).service(choose_country).service(acs).service(metadata).service(healthz).service(readyz);
}
