//! RFC 9457 `application/problem+json` for every error of the internal API, with a stable
//! `code` and the `request_id` of the log lines. Internal details never leave.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use super::request_id::current_request_id;
use crate::flow::FlowError;

/// The body of every API error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `about:blank`: the `code` says what happened.
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// Short, human.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What to fix (never internal details).
    pub detail: String,
    /// Stable snake_case code (`country_unavailable`, `loa_not_supported`, …).
    pub code: &'static str,
    /// The id of this request in our logs.
    pub request_id: String,
}

/// An API error on its way out.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// The stable code.
    pub code: &'static str,
    /// What the caller can do about it.
    pub detail: String,
}

impl ApiError {
    /// An error with its status, code and detail.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        let mut detail = detail.into();
        detail.truncate(300);
        Self { status, code, detail }
    }

    /// `401`: missing or wrong bearer token.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid bearer token is required")
    }
}

impl From<FlowError> for ApiError {
    fn from(e: FlowError) -> Self {
        let status = match &e {
            FlowError::InvalidRequest(_)
            | FlowError::UnknownAttribute(_)
            | FlowError::MixedPersonKinds
            | FlowError::ReturnUrlNotAllowed => StatusCode::BAD_REQUEST,
            FlowError::LoaNotSupported(_)
            | FlowError::AttributeNotSupported(_)
            | FlowError::CountryUnknown(_)
            | FlowError::CountryUnavailable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            FlowError::RequestNotFound | FlowError::ResponseHandleNotFound | FlowError::StartHandleNotFound => {
                StatusCode::NOT_FOUND
            }
            FlowError::NotPending(_) => StatusCode::CONFLICT,
            FlowError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            FlowError::Technical(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let detail = match &e {
            // Logged with its cause by the caller; the hub gets no internals.
            FlowError::Store(_) => "the shared store is unavailable; retry later".to_owned(),
            FlowError::Technical(_) => "technical error".to_owned(),
            other => other.to_string(),
        };
        Self::new(status, e.code(), detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body = Problem {
            type_: "about:blank",
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            request_id: current_request_id(),
        };
        let mut res = HttpResponse::build(self.status);
        res.content_type("application/problem+json");
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header(("Retry-After", "5"));
        }
        res.json(body)
    }
}
