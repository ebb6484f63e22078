//! `eidas-connector openapi`: prints the OpenAPI 3.1 document of the internal API, exactly as
//! `GET /api/v1/openapi.json` serves it (generated from the handlers; `docs/openapi.json` is
//! this output, checked by a test).

use super::CommandError;
use crate::routes::api::ApiDoc;

/// The document, pretty-printed JSON with a final newline.
pub fn openapi() -> Result<String, CommandError> {
    use utoipa::OpenApi as _;
    let mut text = serde_json::to_string_pretty(&ApiDoc::openapi())
        .map_err(|e| CommandError::new("openapi.serialize", e.to_string()))?;
    text.push('\n');
    Ok(text)
}
