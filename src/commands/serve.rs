//! `eidas-connector serve --config FILE`: the service (DESIGN §2), until SIGTERM.

use std::path::PathBuf;
use std::sync::Arc;

use super::CommandError;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::startup::Application;

/// `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Configuration file (TOML); `EIDAS_CONNECTOR__SECTION__KEY` variables override it.
    #[arg(long, env = "EIDAS_CONNECTOR_CONFIG")]
    pub config: PathBuf,
}

/// Runs the service until SIGTERM or SIGINT; in-flight requests finish.
pub fn serve(args: &ServeArgs) -> Result<(), CommandError> {
    crate::telemetry::init_logging();
    let config = Config::load(Some(&args.config)).map_err(|e| CommandError::new(e.code(), e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::new("startup.runtime", e.to_string()))?;
    runtime.block_on(async {
        let app = Application::build(config, Arc::new(SystemClock))
            .await
            .map_err(|e| CommandError::new(e.code(), e.to_string()))?;
        tracing::info!(public_port = app.public_port(), internal_port = app.internal_port(), "listening");
        app.run_until_signal().await.map_err(|e| CommandError::new("serve.io", e.to_string()))
    })
}
