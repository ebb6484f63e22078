//! `eidas-connector healthcheck [--url URL]`: one `GET` of the service's liveness endpoint,
//! exit 0 when it answers 2xx, 1 otherwise. The container image's `HEALTHCHECK` runs it, since a
//! minimal image has no curl or wget.
//!
//! It reads no configuration and no key, follows no redirect, ignores proxy variables and
//! gives up after a short timeout, so a hung service is reported unhealthy rather than hanging
//! the container engine's probe.

use std::time::Duration;

use super::CommandError;

/// `healthcheck`.
#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// The liveness URL (the public listener's `/healthz`).
    #[arg(long, env = "EIDAS_CONNECTOR_HEALTHCHECK_URL", default_value = "http://127.0.0.1:8080/healthz")]
    pub url: String,
    /// Give up after this many seconds (connection and answer together).
    #[arg(long, default_value_t = 3)]
    pub timeout_secs: u64,
}

/// One probe: `Ok` with a line for the engine's log on a 2xx answer, else a [`CommandError`]
/// (`healthcheck.url`, `healthcheck.unreachable`, `healthcheck.status`).
pub fn healthcheck(args: &HealthcheckArgs) -> Result<String, CommandError> {
    let url = url::Url::parse(&args.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| CommandError::new("healthcheck.url", format!("not an http(s) URL: {:?}", args.url)))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::new("healthcheck.runtime", e.to_string()))?;
    let timeout = Duration::from_secs(args.timeout_secs.max(1));
    runtime.block_on(probe(url, timeout))
}

async fn probe(url: url::Url, timeout: Duration) -> Result<String, CommandError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .build()
        .map_err(|e| CommandError::new("healthcheck.client", e.to_string()))?;
    let shown = url.to_string();
    let res = client
        .get(url)
        .send()
        .await
        .map_err(|e| CommandError::new("healthcheck.unreachable", format!("{shown}: {}", with_causes(&e))))?;
    let status = res.status();
    if status.is_success() {
        Ok(format!("healthy: {shown} answered {}\n", status.as_u16()))
    } else {
        Err(CommandError::new("healthcheck.status", format!("{shown} answered {}", status.as_u16())))
    }
}

/// `e` and its causes (`error sending request: … : Connection refused`): reqwest's own text
/// alone does not say why.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};
    use std::net::TcpListener;

    use super::*;

    /// A one-shot HTTP server on loopback answering `status_line`; its `/healthz` URL.
    fn server(status_line: &'static str) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                let mut buf = [0u8; 1024];
                let _ = conn.read(&mut buf);
                let _ = write!(conn, "HTTP/1.1 {status_line}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            }
        });
        format!("http://127.0.0.1:{port}/healthz")
    }

    fn args(url: String) -> HealthcheckArgs {
        HealthcheckArgs { url, timeout_secs: 3 }
    }

    #[test]
    fn healthcheck_passes_when_the_service_answers_200() {
        let out = healthcheck(&args(server("200 OK"))).unwrap();
        assert!(out.starts_with("healthy: http://127.0.0.1:"), "{out}");
    }

    #[test]
    fn healthcheck_fails_when_the_service_answers_an_error_status() {
        let err = healthcheck(&args(server("503 Service Unavailable"))).unwrap_err();
        assert_eq!(err.code, "healthcheck.status");
        assert!(err.detail.ends_with("answered 503"), "{}", err.detail);
    }

    #[test]
    fn healthcheck_fails_when_a_redirect_is_answered() {
        let err = healthcheck(&args(server("302 Found"))).unwrap_err();
        assert_eq!(err.code, "healthcheck.status");
    }

    #[test]
    fn healthcheck_fails_when_nothing_listens() {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let err = healthcheck(&args(format!("http://127.0.0.1:{port}/healthz"))).unwrap_err();
        assert_eq!(err.code, "healthcheck.unreachable");
        assert!(err.detail.to_lowercase().contains("refused"), "the cause is named: {}", err.detail);
    }

    #[test]
    fn healthcheck_refuses_a_url_that_is_not_http() {
        let err = healthcheck(&args("file:///etc/passwd".into())).unwrap_err();
        assert_eq!(err.code, "healthcheck.url");
    }
}
