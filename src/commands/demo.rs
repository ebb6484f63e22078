//! `eidas-connector demo`: the connector, two TEST proxy services and the demo hub on loopback,
//! with embedded defaults (see [`crate::demo`]).

use super::CommandError;
use crate::demo::{run, DemoPorts};

/// `demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The demo hub's port; the connector uses base+80 and base+81, the test proxy services
    /// base+91 and base+92.
    #[arg(long, default_value_t = 8000)]
    pub base_port: u16,
}

/// Runs the demo until Ctrl-C.
pub fn demo(args: &DemoArgs) -> Result<(), CommandError> {
    crate::telemetry::init_logging_quiet();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::new("demo.runtime", e.to_string()))?;
    runtime.block_on(run(DemoPorts::from_base(args.base_port))).map_err(|e| CommandError::new(e.code(), e.to_string()))
}
