//! The demo hub's HTTP edge: the service's login page, the start (a call to the connector
//! then a 303 to it), the callback (state check, consume), the consent, failure and
//! signed-in pages, continue and sign-out. Each page answer carries a CSP with a fresh nonce;
//! `with_request_id` adds `Cache-Control: no-store` and the other security headers.
//!
//! Pages reached by a redirect (consent, failure, signed in) are rendered from the session, so
//! that a reload or the language switch shows them again without a second consume.

use std::collections::HashMap;
use std::time::Instant;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::client::{ClientError, RequestedAttribute, StartBody};
use super::pages::{self, ErrorKind, Frame};
use super::sessions::{PendingLogin, SessionError, Stage};
use super::texts::Lang;
use super::view::{read_consumed, Outcome};
use super::Hub;
use crate::routes::request_id::current_request_id;
use crate::saml::CountryCode;

/// The optional attributes asked beyond the minimum data set (unpublished ones are dropped by
/// the connector), so that the consent page has something to show.
const OPTIONAL_ATTRIBUTES: [&str; 4] = ["BirthName", "PlaceOfBirth", "Gender", "CurrentAddress"];

/// The longest `response_handle` passed on to the connector.
const MAX_HANDLE_CHARS: usize = 256;

fn nonce() -> String {
    crate::flow::new_handle().unwrap_or_else(|_| "n".into())
}

fn accept_language(req: &HttpRequest) -> Option<&str> {
    req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

/// The query string's parameters (a malformed one gives what could be read).
fn query(req: &HttpRequest) -> HashMap<String, String> {
    url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect()
}

/// An HTML page: styles only with this response's nonce, no script; forms only to
/// `form_action` when given.
fn html(status: StatusCode, nonce: &str, form_action: Option<&str>, body: String) -> HttpResponse {
    let form_action = form_action.map(|a| format!(" form-action {a};")).unwrap_or_default();
    let csp =
        format!("default-src 'none'; style-src 'nonce-{nonce}';{form_action} frame-ancestors 'none'; base-uri 'none'");
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8");
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.insert_header((header::CONTENT_SECURITY_POLICY, v));
    }
    res.body(body)
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// An error page in `lang`; its language switch leads to the login page.
pub(super) fn error_page(
    hub: &Hub,
    lang: Lang,
    status: StatusCode,
    kind: ErrorKind,
    code: &str,
    request_id: Option<&str>,
) -> HttpResponse {
    let n = nonce();
    let f = Frame::new(lang, &n, &hub.settings.service_name, "/");
    html(status, &n, Some("'none'"), pages::render_error(f, kind, code, request_id))
}

fn client_error_page(hub: &Hub, lang: Lang, e: &ClientError) -> HttpResponse {
    tracing::warn!(code = e.code(), cause = %e, "connector call failed");
    match e {
        ClientError::Unreachable(_) => {
            error_page(hub, lang, StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Unreachable, e.code(), None)
        }
        _ => error_page(hub, lang, StatusCode::BAD_GATEWAY, ErrorKind::Refused, e.code(), e.request_id()),
    }
}

fn session_error_page(hub: &Hub, lang: Lang, e: SessionError) -> HttpResponse {
    tracing::warn!(code = e.code(), "session refused");
    let (status, kind) = match e {
        SessionError::StateMismatch => (StatusCode::BAD_REQUEST, ErrorKind::State),
        SessionError::Full => (StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Busy),
        SessionError::Random => (StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Busy),
        SessionError::NoSession | SessionError::NotPending | SessionError::NotAtConsent => {
            (StatusCode::BAD_REQUEST, ErrorKind::Session)
        }
    };
    error_page(hub, lang, status, kind, e.code(), None)
}

/// This browser's session id (its cookie), when it sent one.
fn session_id(hub: &Hub, req: &HttpRequest) -> Option<String> {
    req.cookie(hub.cookie_name).map(|c| c.value().to_owned())
}

fn session_cookie(hub: &Hub, value: String) -> Cookie<'static> {
    let secs = i64::try_from(hub.sessions_ttl.as_secs()).unwrap_or(i64::MAX);
    Cookie::build(hub.cookie_name, value)
        .path("/")
        .http_only(true)
        // Lax: sent on the top-level GET back from the connector, never on a cross-site POST.
        .same_site(SameSite::Lax)
        .secure(hub.secure)
        .max_age(actix_web::cookie::time::Duration::seconds(secs))
        .finish()
}

/// The page language and the session id: `?lang=` (remembered in the session), else the
/// session's, else the browser's.
fn language(hub: &Hub, req: &HttpRequest, asked: Option<&str>) -> (Lang, Option<String>) {
    let sid = session_id(hub, req);
    let remembered = hub.sessions.get(Instant::now(), sid.as_deref()).map(|s| s.lang);
    let lang = Lang::choose(asked, remembered, accept_language(req));
    if asked.and_then(Lang::parse).is_some() {
        hub.sessions.set_lang(Instant::now(), sid.as_deref(), lang);
    }
    (lang, sid)
}

/// Step 1: the service's login page.
#[get("/")]
async fn login(hub: web::Data<Hub>, req: HttpRequest) -> HttpResponse {
    let (lang, _) = language(&hub, &req, query(&req).get("lang").map(String::as_str));
    let countries = match hub.client.countries(lang.as_str(), &current_request_id()).await {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(code = e.code(), cause = %e, "country list unavailable");
            None
        }
    };
    let n = nonce();
    let f = Frame::new(lang, &n, &hub.settings.service_name, "/");
    // No form-action: the form's 303 goes to the connector's public origin, which the hub
    // learns only from the start call's answer, and Chrome holds a form's redirects to
    // form-action (w3c/webappsec-csp#8).
    html(StatusCode::OK, &n, None, pages::render_login(f, countries.as_deref()))
}

/// The login page's form.
#[derive(Debug, Deserialize)]
struct StartForm {
    country: Option<String>,
    loa: Option<String>,
    lang: Option<String>,
}

/// Step 1 → 3: asks the connector for a request and sends the browser to it.
#[post("/hub/start")]
async fn start(hub: web::Data<Hub>, req: HttpRequest, form: web::Form<StartForm>) -> HttpResponse {
    let form = form.into_inner();
    let lang = Lang::choose(form.lang.as_deref(), None, accept_language(&req));
    let bad = |code: &str| error_page(&hub, lang, StatusCode::BAD_REQUEST, ErrorKind::BadRequest, code, None);
    let country = match form.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match CountryCode::parse(c) {
            Some(code) => Some(code.to_string()),
            None => return bad("invalid_country"),
        },
    };
    // franceconnect.md §1.3: only substantial and high exist on the FranceConnect+ path.
    let loa = match form.loa.as_deref().unwrap_or("substantial") {
        l @ ("substantial" | "high") => l.to_owned(),
        _ => return bad("invalid_loa"),
    };
    let (Ok(state), Ok(correlation_id)) = (crate::flow::new_handle(), crate::flow::new_handle()) else {
        return session_error_page(&hub, lang, SessionError::Random);
    };
    let body = StartBody {
        citizen_country: country,
        level_of_assurance: loa,
        requested_attributes: OPTIONAL_ATTRIBUTES
            .iter()
            .map(|name| RequestedAttribute { name, required: false })
            .collect(),
        provider_name: hub.settings.service_name.clone(),
        return_url: hub.callback_url.clone(),
        state: state.clone(),
        correlation_id,
        ui_locales: lang.as_str().to_owned(),
    };
    let started = match hub.client.start(&body, &current_request_id()).await {
        Ok(s) => s,
        Err(e) => return client_error_page(&hub, lang, &e),
    };
    // The browser goes where the connector says, as long as it is a web URL.
    if !url::Url::parse(&started.browser_redirect_url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
        let e = ClientError::Malformed("browser_redirect_url is not an http(s) URL".into());
        return client_error_page(&hub, lang, &e);
    }
    let previous = session_id(&hub, &req);
    let pending = PendingLogin { state, request_id: started.request_id };
    match hub.sessions.begin(Instant::now(), previous.as_deref(), lang, pending) {
        Ok(sid) => {
            let mut res = see_other(&started.browser_redirect_url);
            if res.add_cookie(&session_cookie(&hub, sid)).is_err() {
                return session_error_page(&hub, lang, SessionError::Random);
            }
            res
        }
        Err(e) => session_error_page(&hub, lang, e),
    }
}

/// Step 3 → 4: back from the connector. The state must be this browser's (login CSRF); then
/// the result is consumed once and kept in the session.
#[get("/hub/callback")]
async fn callback(hub: web::Data<Hub>, req: HttpRequest) -> HttpResponse {
    let q = query(&req);
    let (lang, sid) = language(&hub, &req, None);
    let (Some(handle), Some(state)) = (q.get("response_handle"), q.get("state")) else {
        return error_page(&hub, lang, StatusCode::BAD_REQUEST, ErrorKind::BadRequest, "invalid_callback", None);
    };
    if handle.is_empty() || handle.chars().count() > MAX_HANDLE_CHARS {
        return error_page(&hub, lang, StatusCode::BAD_REQUEST, ErrorKind::BadRequest, "invalid_callback", None);
    }
    let now = Instant::now();
    let pending = match hub.sessions.take_pending(now, sid.as_deref(), state) {
        Ok(p) => p,
        Err(e) => return session_error_page(&hub, lang, e),
    };
    let Some(sid) = sid else { return session_error_page(&hub, lang, SessionError::NoSession) };
    let consumed = match hub.client.consume(handle, &current_request_id()).await {
        Ok(c) => c,
        Err(e) => return client_error_page(&hub, lang, &e),
    };
    if consumed.request_id != pending.request_id {
        // The connector answered for another request than the one this session started.
        tracing::warn!(code = "request_mismatch", "the result is not this session's request");
        return error_page(&hub, lang, StatusCode::BAD_REQUEST, ErrorKind::State, "request_mismatch", None);
    }
    let (stage, location) = match read_consumed(consumed) {
        Ok(Outcome::Success(identity)) => {
            let Ok(token) = crate::flow::new_handle() else {
                return session_error_page(&hub, lang, SessionError::Random);
            };
            (Stage::Consent { identity, token }, "/hub/consent")
        }
        Ok(Outcome::Failure(failure)) => (Stage::Failed(failure), "/hub/failure"),
        Err(e) => {
            tracing::warn!(code = e.code(), cause = %e, "connector answer unreadable");
            return error_page(&hub, lang, StatusCode::BAD_GATEWAY, ErrorKind::Refused, e.code(), None);
        }
    };
    match hub.sessions.set(Instant::now(), &sid, stage, None) {
        Ok(()) => see_other(location),
        Err(e) => session_error_page(&hub, lang, e),
    }
}

/// Where the page of `stage` is.
fn stage_path(stage: &Stage) -> &'static str {
    match stage {
        Stage::Pending(_) | Stage::Consuming => "/",
        Stage::Consent { .. } => "/hub/consent",
        Stage::Failed(_) => "/hub/failure",
        Stage::SignedIn(_) => "/hub/signed-in",
    }
}

/// The page at `path` for this browser's session; another stage is redirected to its own page.
fn stage_page(hub: &Hub, req: &HttpRequest, path: &'static str) -> HttpResponse {
    let (lang, sid) = language(hub, req, query(req).get("lang").map(String::as_str));
    let Some(session) = hub.sessions.get(Instant::now(), sid.as_deref()) else {
        return session_error_page(hub, lang, SessionError::NoSession);
    };
    if stage_path(&session.stage) != path {
        return see_other(stage_path(&session.stage));
    }
    let n = nonce();
    let f = Frame::new(lang, &n, &hub.settings.service_name, path);
    match &session.stage {
        Stage::Consent { identity, token } => {
            html(StatusCode::OK, &n, Some("'self'"), pages::render_consent(f, identity, token))
        }
        Stage::Failed(failure) => html(StatusCode::OK, &n, Some("'none'"), pages::render_failure(f, failure)),
        Stage::SignedIn(identity) => html(StatusCode::OK, &n, Some("'self'"), pages::render_signed_in(f, identity)),
        Stage::Pending(_) | Stage::Consuming => see_other("/"),
    }
}

/// Step 4: "you are about to sign in as…".
#[get("/hub/consent")]
async fn consent_page(hub: web::Data<Hub>, req: HttpRequest) -> HttpResponse {
    stage_page(&hub, &req, "/hub/consent")
}

/// The connector's failure, explained.
#[get("/hub/failure")]
async fn failure_page(hub: web::Data<Hub>, req: HttpRequest) -> HttpResponse {
    stage_page(&hub, &req, "/hub/failure")
}

/// Step 5: signed in.
#[get("/hub/signed-in")]
async fn signed_in_page(hub: web::Data<Hub>, req: HttpRequest) -> HttpResponse {
    stage_page(&hub, &req, "/hub/signed-in")
}

/// The consent page's form.
#[derive(Debug, Deserialize)]
struct ContinueForm {
    token: Option<String>,
    action: Option<String>,
}

/// Step 4 → 5 ("continue"), or back to the login page ("cancel").
#[post("/hub/continue")]
async fn continue_(hub: web::Data<Hub>, req: HttpRequest, form: web::Form<ContinueForm>) -> HttpResponse {
    let (lang, sid) = language(&hub, &req, None);
    let token = form.token.as_deref().unwrap_or_default();
    let now = Instant::now();
    if form.action.as_deref() == Some("cancel") {
        return match hub.sessions.cancel_consent(now, sid.as_deref(), token) {
            Ok(()) => signed_out(&hub, lang),
            Err(e) => session_error_page(&hub, lang, e),
        };
    }
    match (hub.sessions.sign_in(now, sid.as_deref(), token), sid) {
        (Ok(_), Some(sid)) => {
            let mut res = see_other("/hub/signed-in");
            // The session's TTL was renewed: so is the cookie's.
            let _ = res.add_cookie(&session_cookie(&hub, sid));
            res
        }
        (Ok(_), None) => session_error_page(&hub, lang, SessionError::NoSession),
        (Err(e), _) => session_error_page(&hub, lang, e),
    }
}

/// Back to the login page, the session cookie removed.
fn signed_out(hub: &Hub, lang: Lang) -> HttpResponse {
    let mut res = see_other(&format!("/?lang={}", lang.as_str()));
    // Only fails on a header value it cannot encode; the session is gone anyway.
    let _ = res.add_removal_cookie(&session_cookie(hub, String::new()));
    res
}

/// Sign out: the session is forgotten.
#[post("/hub/logout")]
async fn logout(hub: web::Data<Hub>, req: HttpRequest) -> HttpResponse {
    let (lang, sid) = language(&hub, &req, None);
    hub.sessions.remove(sid.as_deref());
    signed_out(&hub, lang)
}

/// The demo hub's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login)
        .service(start)
        .service(callback)
        .service(consent_page)
        .service(failure_page)
        .service(signed_in_page)
        .service(continue_)
        .service(logout);
}
