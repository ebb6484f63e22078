//! A request id on every log line, in every error body and in the `X-Request-Id` header, plus
//! the security headers every response carries.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served (`-` outside a request).
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_else(|_| "-".into())
}

/// A caller's `X-Request-Id` is kept when it is a short token; otherwise we make one.
fn incoming(req: &ServiceRequest) -> Option<String> {
    let v = req.headers().get("x-request-id")?.to_str().ok()?;
    (8..=64).contains(&v.len()).then_some(())?;
    v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_').then(|| v.to_owned())
}

fn fresh() -> String {
    let mut b = [0u8; 12];
    if openssl::rand::rand_bytes(&mut b).is_err() {
        return "unknown".into();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The middleware: scopes the id, logs one line per request (route pattern, never the path:
/// paths carry single-use handles), sets the headers.
pub async fn with_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = incoming(&req).unwrap_or_else(fresh);
    let span = tracing::info_span!("http", request_id = %id);
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let result = REQUEST_ID.scope(id.clone(), next.call(req).instrument(span.clone())).await;
    let mut res = result?;
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    span.in_scope(|| {
        tracing::info!(
            method = %method,
            route = %route,
            status = res.status().as_u16(),
            micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "request"
        );
    });
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(HeaderName::from_static("x-request-id"), v);
    }
    for (name, value) in
        [("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"), ("x-frame-options", "DENY")]
    {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    // Everything is personal or single use unless a route says otherwise (metadata).
    if !headers.contains_key("cache-control") {
        headers.insert(HeaderName::from_static("cache-control"), HeaderValue::from_static("no-store"));
    }
    if !headers.contains_key("content-security-policy") {
        headers.insert(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        );
    }
    Ok(res)
}
