//! The HTTP edge (DESIGN §2): two listeners. *Public* (browsers and member states):
//! `GET|POST /eidas/start/{handle}`, `POST /eidas/acs`, `GET /eidas/metadata`, `/healthz`,
//! `/readyz`. *Internal* (the hub only): `/api/v1/…` behind bearer tokens, `/api/v1/openapi.json`,
//! `/metrics`. Handlers extract, call `flow`, and render; no protocol logic here.

pub mod api;
pub mod problem;
pub mod public;
pub mod request_id;

use std::sync::{Arc, RwLock};

use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use time::{Duration, OffsetDateTime};

use self::problem::ApiError;
use crate::config::Config;
use crate::flow::Flow;
use crate::saml::metadata::MetadataError;

/// Our signed metadata, rebuilt when half its validity has passed or when the keys changed (a
/// reload puts a new configuration in force).
#[derive(Debug, Default)]
pub struct MetadataCache(RwLock<Option<CachedMetadata>>);

#[derive(Debug)]
struct CachedMetadata {
    built_at: OffsetDateTime,
    built_from: Arc<Config>,
    xml: String,
}

impl MetadataCache {
    /// The current document, (re)built when missing, past half its validity, or made with
    /// another configuration than the one in force.
    pub fn current(&self, flow: &Flow) -> Result<String, MetadataError> {
        let now = flow.clock.now();
        let config = flow.config.current();
        let half = Duration::seconds(i64::try_from(config.settings.connector.metadata_valid_secs / 2).unwrap_or(3600));
        if let Ok(guard) = self.0.read() {
            if let Some(c) = guard.as_ref() {
                if Arc::ptr_eq(&c.built_from, &config) && now - c.built_at < half && c.built_at <= now {
                    return Ok(c.xml.clone());
                }
            }
        }
        let xml = config.build_metadata(now)?;
        if let Ok(mut guard) = self.0.write() {
            *guard = Some(CachedMetadata { built_at: now, built_from: config, xml: xml.clone() });
        }
        Ok(xml)
    }
}

/// What every handler gets.
#[derive(Debug)]
pub struct AppState {
    /// The use cases.
    pub flow: Flow,
    /// Our metadata.
    pub metadata: MetadataCache,
}

/// JSON bodies: too large → 413 `payload_too_large`, malformed → 400 `invalid_request`.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(|e: JsonPayloadError, _req: &HttpRequest| {
        let api = match &e {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the body is too large")
            }
            JsonPayloadError::ContentType => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "send application/json")
            }
            other => ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("malformed JSON body: {other}")),
        };
        api.into()
    })
}

/// Form bodies (the ACS, the country page): too large → 413 with the error page.
pub fn form_config(limit: usize) -> web::FormConfig {
    web::FormConfig::default().limit(limit).error_handler(|e: UrlencodedError, req: &HttpRequest| {
        let status = match e {
            UrlencodedError::Overflow { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        tracing::warn!(
            code = if status == StatusCode::PAYLOAD_TOO_LARGE { "payload_too_large" } else { "invalid_form" },
            "form refused"
        );
        actix_web::error::InternalError::from_response(e, public::form_error_page(req, status)).into()
    })
}
