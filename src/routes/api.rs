//! The internal JSON API for the hub (DESIGN §2.1), behind bearer tokens. Its OpenAPI 3.1
//! document is generated from these handlers and types (`/api/v1/openapi.json`).

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};

use super::problem::{ApiError, Problem};
use super::AppState;
use crate::flow::types::{
    Cancelled, Consumed, CountriesBody, CountryBody, FailureBody, RequestStatusBody, RequestedAttributeBody,
    SamlStatusBody, StartRequest, Started, SubjectBody,
};
use crate::flow::{FlowError, RequestStatus};

/// The hub, authenticated by one of the configured bearer tokens.
pub struct Hub;

/// SHA-256 of each configured token: presented tokens are compared digest to digest in
/// constant time, whatever their length.
#[derive(Debug, Clone)]
pub struct ApiTokens(Vec<[u8; 32]>);

impl ApiTokens {
    /// From the configured tokens.
    pub fn new(tokens: &[String]) -> Self {
        Self(tokens.iter().map(|t| openssl::sha::sha256(t.as_bytes())).collect())
    }

    fn accepts(&self, presented: &str) -> bool {
        let digest = openssl::sha::sha256(presented.as_bytes());
        // Every token is compared, so timing says nothing about which one matched.
        self.0.iter().fold(false, |ok, t| openssl::memcmp::eq(t, &digest) | ok)
    }
}

impl FromRequest for Hub {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ok = req.app_data::<web::Data<ApiTokens>>().is_some_and(|tokens| {
            req.headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_once(' '))
                // RFC 9110 §11.1: the authentication scheme is case-insensitive.
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .is_some_and(|(_, t)| tokens.accepts(t.trim()))
        });
        std::future::ready(if ok { Ok(Hub) } else { Err(ApiError::unauthorized()) })
    }
}

fn fail(state: &AppState, e: FlowError) -> ApiError {
    if let FlowError::Store(s) = &e {
        state.flow.metrics.store_error(s.code());
        tracing::error!(code = s.code(), cause = %s, "store");
    }
    if let FlowError::Technical(cause) = &e {
        tracing::error!(code = "technical_error", cause = %cause, "technical");
    }
    ApiError::from(e)
}

/// `lang` of the country list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LangQuery {
    /// `fr` (default) or `en`.
    pub lang: Option<String>,
}

/// The countries, with live availability.
#[utoipa::path(get, path = "/api/v1/countries", params(LangQuery), security(("bearer" = [])),
    responses((status = 200, body = CountriesBody), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/countries")]
async fn countries(_: Hub, state: web::Data<AppState>, q: web::Query<LangQuery>) -> HttpResponse {
    let lang = if q.lang.as_deref() == Some("en") { "en" } else { "fr" };
    HttpResponse::Ok().json(state.flow.countries(lang))
}

/// Starts a cross-border authentication.
#[utoipa::path(post, path = "/api/v1/authn-requests", request_body = StartRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = Started),
        (status = 400, description = "invalid_request, unknown_attribute, attributes_mixed_person_kinds, return_url_not_allowed", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "payload_too_large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "country_unknown, country_unavailable, loa_not_supported, attribute_not_supported", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "store_unavailable", body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/authn-requests")]
async fn start(_: Hub, state: web::Data<AppState>, body: web::Json<StartRequest>) -> Result<HttpResponse, ApiError> {
    let started = state.flow.start(body.into_inner()).await.map_err(|e| fail(&state, e))?;
    Ok(HttpResponse::Created().json(started))
}

/// Takes the result of a request, once.
#[utoipa::path(post, path = "/api/v1/authn-responses/{response_handle}/consume", security(("bearer" = [])),
    params(("response_handle" = String, Path, description = "from the 303 to return_url")),
    responses(
        (status = 200, body = Consumed),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "response_handle_not_found: unknown, consumed or expired", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/authn-responses/{response_handle}/consume")]
async fn consume(_: Hub, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let body = state.flow.consume(&path).await.map_err(|e| fail(&state, e))?;
    Ok(HttpResponse::Ok().json(body))
}

/// The citizen went back at the hub.
#[utoipa::path(post, path = "/api/v1/authn-requests/{request_id}/cancel", security(("bearer" = [])),
    params(("request_id" = String, Path)),
    responses(
        (status = 200, body = Cancelled),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "request_not_pending", body = Problem, content_type = "application/problem+json")))]
#[post("/api/v1/authn-requests/{request_id}/cancel")]
async fn cancel(_: Hub, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let body = state.flow.cancel(&path).await.map_err(|e| fail(&state, e))?;
    Ok(HttpResponse::Ok().json(body))
}

/// Where a request stands, for support.
#[utoipa::path(get, path = "/api/v1/authn-requests/{request_id}", security(("bearer" = [])),
    params(("request_id" = String, Path)),
    responses(
        (status = 200, body = RequestStatusBody),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/api/v1/authn-requests/{request_id}")]
async fn status(_: Hub, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let body = state.flow.status(&path).await.map_err(|e| fail(&state, e))?;
    Ok(HttpResponse::Ok().json(body))
}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The OpenAPI document of the internal API.
#[derive(OpenApi)]
#[openapi(
    info(title = "eidas-connector internal API", description = "The hub's API: start a cross-border authentication, consume its result once (DESIGN §2.1)."),
    paths(countries, start, consume, cancel, status),
    components(schemas(StartRequest, RequestedAttributeBody, Started, Consumed, SubjectBody, FailureBody, SamlStatusBody,
        CountriesBody, CountryBody, Cancelled, RequestStatusBody, RequestStatus, Problem)),
    modifiers(&BearerScheme)
)]
pub struct ApiDoc;

#[get("/api/v1/openapi.json")]
async fn openapi_document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let text = state.flow.metrics.render(&state.flow.peers.statuses(), state.flow.clock.now());
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text)
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint"))
}

/// The internal listener's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(countries)
        .service(start)
        .service(consume)
        .service(cancel)
        .service(status)
        .service(openapi_document)
        .service(metrics)
        .default_service(web::to(not_found));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_accepted_only_whole() {
        let t = ApiTokens::new(&["a-long-random-token".into(), "another-token-1234".into()]);
        assert!(t.accepts("a-long-random-token"));
        assert!(t.accepts("another-token-1234"));
        assert!(!t.accepts("a-long-random-toke"));
        assert!(!t.accepts(""));
    }

    #[test]
    fn the_openapi_document_is_3_1_and_lists_every_path() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
        for p in [
            "/api/v1/countries",
            "/api/v1/authn-requests",
            "/api/v1/authn-responses/{response_handle}/consume",
            "/api/v1/authn-requests/{request_id}/cancel",
            "/api/v1/authn-requests/{request_id}",
        ] {
            assert!(doc["paths"].get(p).is_some(), "{p} missing");
        }
        assert!(doc["components"]["schemas"]["StartRequest"]["properties"]["level_of_assurance"].is_object());
    }
}
