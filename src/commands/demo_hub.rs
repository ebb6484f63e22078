//! `eidas-connector demo-hub`: runs the demo of the French OIDC hub ([`crate::demo_hub`]) on its
//! own, in front of a connector running elsewhere (the compose topology, `docs/scaling.md`),
//! until SIGTERM or SIGINT.
//!
//! Its settings come from flags or their environment variables; the connector's API token
//! only from a file (`--api-token-file`, e.g. a compose secret) or the
//! `EIDAS_DEMO_HUB_API_TOKEN` variable, never from a flag, so that it does not show in `ps`.
//! It holds no protocol logic. A demo: never a real hub.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use super::CommandError;
use crate::demo_hub::{build_server, DemoHubSettings};

/// The environment variable that may hold the API token (when no file is given).
pub const TOKEN_ENV: &str = "EIDAS_DEMO_HUB_API_TOKEN";

/// `demo-hub`.
#[derive(Debug, clap::Args)]
pub struct DemoHubArgs {
    /// Address to listen on.
    #[arg(long, env = "EIDAS_DEMO_HUB_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: String,
    /// Its origin as the browser sees it; the connector must allow `{public_url}/hub/` in
    /// `api.return_urls`.
    #[arg(long, env = "EIDAS_DEMO_HUB_PUBLIC_URL", default_value = "http://127.0.0.1:8000")]
    pub public_url: String,
    /// The connector's internal API (its internal listener, or a load balancer in front of
    /// several).
    #[arg(long, env = "EIDAS_DEMO_HUB_CONNECTOR_API_URL", default_value = "http://127.0.0.1:8081")]
    pub connector_api_url: String,
    /// A file holding one of the connector's `api.tokens` (surrounding whitespace ignored).
    /// Without it, the `EIDAS_DEMO_HUB_API_TOKEN` variable.
    #[arg(long, env = "EIDAS_DEMO_HUB_API_TOKEN_FILE")]
    pub api_token_file: Option<PathBuf>,
    /// The service the citizen signs in to, as the pages name it.
    #[arg(long, env = "EIDAS_DEMO_HUB_SERVICE_NAME", default_value = "Service public de démonstration")]
    pub service_name: String,
}

/// The API token: the file's content when a file is given, else `from_env`. Never echoed.
pub fn resolve_token(file: Option<&Path>, from_env: Option<String>) -> Result<String, CommandError> {
    let (token, origin) = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CommandError::new("demo_hub.token_file", format!("{}: {e}", path.display())))?;
            (text, format!("the file {}", path.display()))
        }
        None => match from_env {
            Some(value) => (value, TOKEN_ENV.to_owned()),
            None => {
                return Err(CommandError::new(
                    "demo_hub.no_token",
                    format!("no API token: pass --api-token-file FILE or set {TOKEN_ENV}"),
                ))
            }
        },
    };
    let token = token.trim();
    if token.is_empty() || token.chars().any(char::is_whitespace) {
        return Err(CommandError::new(
            "demo_hub.token_invalid",
            format!("the API token from {origin} is empty or holds spaces"),
        ));
    }
    Ok(token.to_owned())
}

/// Runs the demo hub until SIGTERM or SIGINT.
pub fn demo_hub(args: &DemoHubArgs) -> Result<(), CommandError> {
    crate::telemetry::init_logging();
    let api_token = resolve_token(args.api_token_file.as_deref(), std::env::var(TOKEN_ENV).ok())?;
    let settings = DemoHubSettings {
        public_url: args.public_url.trim_end_matches('/').to_owned(),
        connector_api_url: args.connector_api_url.clone(),
        api_token,
        service_name: args.service_name.clone(),
    };
    let listener = TcpListener::bind(&args.listen)
        .map_err(|e| CommandError::new("startup.listen", format!("{}: {e}", args.listen)))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::new("startup.runtime", e.to_string()))?;
    runtime.block_on(async {
        let server =
            build_server(settings.clone(), listener).map_err(|e| CommandError::new("startup.config", e.to_string()))?;
        tracing::warn!(
            public_url = %settings.public_url,
            connector_api_url = %settings.connector_api_url,
            listen = %args.listen,
            "DEMO hub listening: not a real OIDC hub"
        );
        server.await.map_err(|e| CommandError::new("serve.io", e.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_the_file_first_trimmed_else_from_the_environment() {
        let dir = std::env::temp_dir().join(format!("demo-hub-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        std::fs::write(&file, "from-the-file-0123456789\n").unwrap();
        assert_eq!(resolve_token(Some(&file), Some("from-env".into())).unwrap(), "from-the-file-0123456789");
        assert_eq!(resolve_token(None, Some(" from-env-0123456789 ".into())).unwrap(), "from-env-0123456789");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_empty_or_unreadable_token_is_a_clear_error_that_does_not_echo_it() {
        assert_eq!(resolve_token(None, None).unwrap_err().code, "demo_hub.no_token");
        let e = resolve_token(None, Some("two words-secret".into())).unwrap_err();
        assert_eq!(e.code, "demo_hub.token_invalid");
        assert!(e.detail.contains(TOKEN_ENV) && !e.detail.contains("secret"), "{}", e.detail);
        let missing = std::env::temp_dir().join("no-such-demo-hub-token");
        let e = resolve_token(Some(&missing), None).unwrap_err();
        assert_eq!(e.code, "demo_hub.token_file");
        assert!(e.detail.contains("no-such-demo-hub-token"), "{}", e.detail);
    }
}
