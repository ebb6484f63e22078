//! The public listener: the browser's start page and ACS, our metadata, health and readiness
//! (DESIGN §2.2). Pages carry a per-response CSP nonce; nothing here shows an internal detail.

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

/// An HTML page with its CSP: scripts and styles only with this response's nonce, forms only
/// to `form_action`.
fn page(status: StatusCode, nonce: &str, form_action: &str, html: String) -> HttpResponse {
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self'; \
         form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    );
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8");
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.insert_header((header::CONTENT_SECURITY_POLICY, v));
    }
    res.body(html)
}

/// The error page for `e`, logged with its cause; the user sees a generic message and the
/// request id.
pub(super) fn error_page(state: &AppState, req: &HttpRequest, e: &FlowError) -> HttpResponse {
    let (status, kind) = match e {
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
    };
    render_error_page(req, status, kind)
}

/// The error page of a form body refused before any handler ran (too large, malformed).
pub(super) fn form_error_page(req: &HttpRequest, status: StatusCode) -> HttpResponse {
    render_error_page(req, status, ErrorKind::Generic)
}

/// An error page in the browser's language, with this response's nonce in its CSP.
fn render_error_page(req: &HttpRequest, status: StatusCode, kind: ErrorKind) -> HttpResponse {
    let lang = crate::flow::choose_locale(None, accept_language(req));
    let n = nonce();
    page(status, &n, "'none'", ui::render_error(lang, &n, kind, &current_request_id(), None))
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

fn render_start(state: &AppState, req: &HttpRequest, start: BrowserStart) -> HttpResponse {
    let n = nonce();
    match start {
        BrowserStart::CountryPage { countries, locale, return_url, .. } => {
            let action = req.path().to_owned();
            // The page posts to us; "back" answers with a 303 to the hub, and Chrome and Safari
            // hold the redirect of a form submission to form-action too (w3c/webappsec-csp#8).
            let form_action = format!("'self' {}", origin(&return_url));
            page(StatusCode::OK, &n, &form_action, ui::render_country_page(locale, &n, &action, &countries))
        }
        BrowserStart::AutoSubmit { action, saml_request, relay_state, cookie, locale, .. } => {
            let origin = origin(&action);
            let html = ui::render_auto_submit(locale, &n, &action, &saml_request, &relay_state);
            let mut res = page(StatusCode::OK, &n, &origin, html);
            if res.add_cookie(&binding_cookie(state, cookie.0, cookie.1)).is_err() {
                return error_page(state, req, &FlowError::Technical("cookie".into()));
            }
            res
        }
    }
}

#[get("/eidas/start/{handle}")]
async fn start_page(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    match state.flow.browser_start(&path, accept_language(&req)).await {
        Ok(start) => render_start(&state, &req, start),
        Err(e) => error_page(&state, &req, &e),
    }
}

/// The country page's form.
#[derive(Debug, Deserialize)]
struct CountryForm {
    country: Option<String>,
    action: Option<String>,
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
            Err(e) => error_page(&state, &req, &e),
        };
    }
    let Some(country) = form.country.as_deref() else {
        return error_page(&state, &req, &FlowError::InvalidRequest("no country".into()));
    };
    match state.flow.select_country(&path, country, accept_language(&req)).await {
        Ok(start) => render_start(&state, &req, start),
        Err(e) => error_page(&state, &req, &e),
    }
}

/// What the proxy service's page posts (SAML Bindings 3.5.4).
#[derive(Debug, Deserialize)]
struct AcsBody {
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
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

/// The public listener's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(start_page).service(choose_country).service(acs).service(metadata).service(healthz).service(readyz);
}
