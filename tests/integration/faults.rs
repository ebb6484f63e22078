//! Faults injected into real components (issue 10), beyond what `service/` already covers
//! (Redis stopped or frozen, the metadata server down or answering garbage or 500, a
//! Response-signing key rollover, a graceful stop of the in-process app):
//!
//! - `redis_killed`: Redis SIGKILLed and restarted while flows run;
//! - `metadata`: the metadata server too slow (hanging, dripping bytes), serving expired
//!   metadata, metadata signed by another key, and the last good copy expiring;
//! - `clock_skew`: the connector's clock off from the proxy service's, within and beyond the
//!   country's `clock_skew_secs`;
//! - `sigterm`: SIGTERM to a real `serve` process with requests in flight.
//!
//! Each asserts a clear code, recovery when the fault ends, that nothing acknowledged is lost
//! or served twice, and that nothing panicked ([`PanicWatch`] for the in-process app, the
//! process log for a real one).

mod clock_skew;
mod metadata;
mod redis_killed;
mod sigterm;

use std::sync::{Mutex, Once};

use serde_json::Value;

pub use crate::service::refresh_error;

/// Panics seen in this test binary: (thread name, message).
static PANICS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Watches for panics on the service's threads (actix workers, Tokio workers: any thread that
/// is not a test's; the harness names each test's thread after the test, `module::name`).
pub struct PanicWatch {
    seen: usize,
}

impl PanicWatch {
    /// Installs the hook once (chained to the default one) and remembers how many panics were
    /// seen so far.
    pub fn start() -> Self {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let default = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let thread = std::thread::current().name().unwrap_or("<unnamed>").to_owned();
                if let Ok(mut panics) = PANICS.lock() {
                    panics.push((thread, info.to_string()));
                }
                default(info);
            }));
        });
        Self { seen: PANICS.lock().map(|p| p.len()).unwrap_or(0) }
    }

    /// No service thread panicked since [`PanicWatch::start`].
    pub fn assert_none(&self) {
        let panics = PANICS.lock().unwrap();
        let service: Vec<_> =
            panics.iter().skip(self.seen).filter(|(thread, _)| !thread.contains("::") && thread != "main").collect();
        assert!(service.is_empty(), "the service panicked: {service:?}");
    }
}

/// A fast metadata schedule: a refresh every second, a retry after one to two seconds.
pub const FAST_PEERS: &str = "metadata_refresh_min_secs = 1\nmetadata_refresh_max_secs = 1\n\
metadata_retry_initial_secs = 1\nmetadata_retry_max_secs = 2\nmetadata_rollover_cooldown_secs = 60";

/// Lines of `log` that report a panic.
pub fn panicked_lines(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains("panicked")).collect()
}

/// The `code` of a problem body, or `-`.
pub fn code_of(body: &Value) -> String {
    body["code"].as_str().unwrap_or("-").to_owned()
}
