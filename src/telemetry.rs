//! What the service tells its operators: JSON logs (`tracing`), audit events (target `audit`,
//! no personal data), security events (target `security`) and Prometheus metrics.
//!
//! Never log SAML XML, attribute values, NameIDs, tokens or key material: log codes and ids.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::peers::CountryStatus;
use crate::saml::CountryCode;

type Labels = Vec<(&'static str, String)>;

/// The service's metrics (Prometheus text format at `/metrics` on the internal listener).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    outcomes: Family<Labels, Counter>,
    start_seconds: Histogram,
    acs_seconds: Histogram,
    store_errors: Family<Labels, Counter>,
    sha1_oaep: Family<Labels, Counter>,
    metadata_available: Family<Labels, Gauge>,
    metadata_age_seconds: Family<Labels, Gauge<f64, AtomicU64>>,
    metadata_valid_seconds: Family<Labels, Gauge<f64, AtomicU64>>,
    metadata_refresh_error: Family<Labels, Gauge>,
    config_reloads: Family<Labels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms … 4 s.
    Histogram::new([0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0])
}

fn country_label(country: Option<CountryCode>) -> String {
    country.map(|c| c.to_string()).unwrap_or_else(|| "none".into())
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("eidas");
        let m = Self {
            requests: Family::default(),
            outcomes: Family::default(),
            start_seconds: latency_histogram(),
            acs_seconds: latency_histogram(),
            store_errors: Family::default(),
            sha1_oaep: Family::default(),
            metadata_available: Family::default(),
            metadata_age_seconds: Family::default(),
            metadata_valid_seconds: Family::default(),
            metadata_refresh_error: Family::default(),
            config_reloads: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "requests",
            "Requests started by the hub, by country (none: country page)",
            m.requests.clone(),
        );
        registry.register("outcomes", "Results handed to the hub, by country and code", m.outcomes.clone());
        registry.register(
            "start_duration_seconds",
            "Time to build, sign and answer the auto-submit page",
            m.start_seconds.clone(),
        );
        registry.register(
            "acs_duration_seconds",
            "Time to validate a Response and answer the ACS",
            m.acs_seconds.clone(),
        );
        registry.register("store_errors", "Store operations that failed, by error", m.store_errors.clone());
        registry.register(
            "sha1_oaep",
            "Responses whose key transport used RSA-OAEP with SHA-1 parameters, by country",
            m.sha1_oaep.clone(),
        );
        registry.register(
            "metadata_available",
            "1 when the country's verified metadata is valid now",
            m.metadata_available.clone(),
        );
        registry.register(
            "metadata_age_seconds",
            "Age of the country's verified metadata",
            m.metadata_age_seconds.clone(),
        );
        registry.register(
            "metadata_valid_seconds",
            "Seconds until the country's metadata expires (validUntil)",
            m.metadata_valid_seconds.clone(),
        );
        registry.register(
            "metadata_refresh_error",
            "1 while the country's last metadata fetch failed, by country and error code (the last good copy is kept until its validUntil)",
            m.metadata_refresh_error.clone(),
        );
        registry.register(
            "config_reload",
            "Reloads of the configuration (SIGHUP), by result (ok: the [keys] section applied; error: the running keys kept)",
            m.config_reloads.clone(),
        );
        Self { registry, ..m }
    }

    /// A request was started.
    pub fn request_started(&self, country: Option<CountryCode>) {
        self.requests.get_or_create(&vec![("country", country_label(country))]).inc();
    }

    /// A result (`success` or a failure code) was stored for the hub.
    pub fn outcome(&self, country: Option<CountryCode>, code: &str) {
        self.outcomes.get_or_create(&vec![("country", country_label(country)), ("code", code.to_owned())]).inc();
    }

    /// The auto-submit page took `d`.
    pub fn start_latency(&self, d: Duration) {
        self.start_seconds.observe(d.as_secs_f64());
    }

    /// The ACS took `d`.
    pub fn acs_latency(&self, d: Duration) {
        self.acs_seconds.observe(d.as_secs_f64());
    }

    /// The store failed with `code`.
    pub fn store_error(&self, code: &str) {
        self.store_errors.get_or_create(&vec![("code", code.to_owned())]).inc();
    }

    /// A configuration reload succeeded (`ok`) or was refused.
    pub fn config_reload(&self, ok: bool) {
        self.config_reloads.get_or_create(&vec![("result", (if ok { "ok" } else { "error" }).to_owned())]).inc();
    }

    /// A Response used RSA-OAEP with SHA-1 parameters.
    pub fn sha1_oaep(&self, country: CountryCode) {
        self.sha1_oaep.get_or_create(&vec![("country", country.to_string())]).inc();
    }

    /// The text exposition, with the per-country metadata gauges refreshed from `statuses`.
    pub fn render(&self, statuses: &[CountryStatus], now: time::OffsetDateTime) -> String {
        // Only the current failures: a code that no longer applies leaves no series behind.
        self.metadata_refresh_error.clear();
        for s in statuses {
            if let Some(code) = &s.last_error {
                let labels = vec![("country", s.code.to_string()), ("code", code.clone())];
                self.metadata_refresh_error.get_or_create(&labels).set(1);
            }
            let labels = vec![("country", s.code.to_string())];
            self.metadata_available.get_or_create(&labels).set(i64::from(s.available));
            if let Some(t) = s.fetched_at {
                self.metadata_age_seconds.get_or_create(&labels).set((now - t).as_seconds_f64());
            }
            if let Some(t) = s.valid_until {
                self.metadata_valid_seconds.get_or_create(&labels).set((t - now).as_seconds_f64());
            }
        }
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Installs the JSON log subscriber (level from `RUST_LOG`, default `info`). A second call is
/// a no-op, so tests may call it freely.
pub fn init_logging() {
    init_logging_at("info");
}

/// Logs for the demo: warnings and errors only, so that its printed URL stays readable
/// (`RUST_LOG` still overrides).
pub fn init_logging_quiet() {
    init_logging_at("warn");
}

fn init_logging_at(default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_in_prometheus_text_format_with_their_labels() {
        let m = Metrics::new();
        let es = CountryCode::parse("ES");
        m.request_started(es);
        m.outcome(es, "success");
        m.outcome(None, "user_cancelled");
        m.acs_latency(Duration::from_millis(3));
        m.sha1_oaep(CountryCode::parse("XA").unwrap());
        let text = m.render(&[], time::OffsetDateTime::UNIX_EPOCH);
        assert!(text.contains("eidas_requests_total{country=\"ES\"} 1"), "{text}");
        assert!(text.contains("eidas_outcomes_total{country=\"ES\",code=\"success\"} 1"), "{text}");
        assert!(text.contains("eidas_outcomes_total{country=\"none\",code=\"user_cancelled\"} 1"), "{text}");
        assert!(text.contains("eidas_acs_duration_seconds_count 1"), "{text}");
        assert!(text.contains("eidas_sha1_oaep_total{country=\"XA\"} 1"), "{text}");
    }

    #[test]
    fn a_failed_metadata_refresh_shows_its_code_until_a_refresh_succeeds() {
        let m = Metrics::new();
        let mut status = CountryStatus {
            code: CountryCode::parse("XA").unwrap(),
            available: true,
            reason: None,
            last_error: Some("peers.fetch_http_status".into()),
            fetched_at: None,
            valid_until: None,
            last_attempt: None,
            levels_of_assurance: Vec::new(),
            supported_attributes: Vec::new(),
            trust_anchor_validity: None,
        };
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let text = m.render(std::slice::from_ref(&status), now);
        let series = "eidas_metadata_refresh_error{country=\"XA\",code=\"peers.fetch_http_status\"} 1";
        assert!(text.contains(series), "{text}");
        assert!(text.contains("eidas_metadata_available{country=\"XA\"} 1"), "{text}");
        status.last_error = None;
        let text = m.render(&[status], now);
        assert!(!text.contains("eidas_metadata_refresh_error{"), "{text}");
    }
}
