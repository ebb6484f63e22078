//! Builds everything once (configuration → keys → peers → store → the two HTTP servers) and
//! runs until SIGTERM or SIGINT, letting in-flight requests finish.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::{from_fn, Condition, DefaultHeaders};
use actix_web::{web, App, HttpServer};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::live::{LiveConfig, Reloaded};
use crate::config::{Config, ConfigError};
use crate::flow::{Flow, Ttls};
use crate::peers::{Peers, PeersOptions};
use crate::routes::api::ApiTokens;
use crate::routes::request_id::with_request_id;
use crate::routes::{api, form_config, json_config, public, AppState, MetadataCache};
use crate::store::memory::MemoryStore;
use crate::store::redis::{RedisStore, RedisTls};
use crate::store::Store;
use crate::telemetry::Metrics;

/// How long a Response's and an Assertion's IDs are remembered beyond the last instant the
/// Response could be accepted (its NotOnOrAfter plus the country's clock skew): SAML profiles
/// 4.1.4.5 keep them until then; the margin covers clock differences between instances. The
/// single-use AuthnRequest ID refuses a replay first in any case.
const REPLAY_MARGIN: time::Duration = time::Duration::seconds(60);

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The store could not be set up (a bad Redis URL).
    #[error("store: {0}")]
    Store(String),
    /// The peers could not be set up.
    #[error("peers: {0}")]
    Peers(String),
    /// The public URL is plain HTTP to a host that is not loopback.
    #[error("{0}")]
    Config(String),
}

impl StartupError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Listen { .. } => "startup.listen",
            Self::Store(_) => "startup.store",
            Self::Peers(_) => "startup.peers",
            Self::Config(_) => "startup.config",
        }
    }
}

/// The running service.
pub struct Application {
    public_port: u16,
    internal_port: u16,
    public: actix_web::dev::Server,
    internal: actix_web::dev::Server,
    shutdown: watch::Sender<bool>,
    refresh: tokio::task::JoinHandle<()>,
    flow: Flow,
}

/// Stops a running [`Application`] or reloads its keys from elsewhere (tests, signals).
#[derive(Clone)]
pub struct AppHandle {
    public: ServerHandle,
    internal: ServerHandle,
    shutdown: watch::Sender<bool>,
    config: Arc<LiveConfig>,
    metrics: Arc<Metrics>,
}

impl AppHandle {
    /// Reads the configuration file again and applies its `[keys]` section (what SIGHUP does):
    /// see [`LiveConfig::reload`]. Logged (fingerprints only, never key material) and counted
    /// in `eidas_config_reload_total{result}`. On failure the running keys stay.
    pub async fn reload(&self) -> Result<Reloaded, ConfigError> {
        let config = Arc::clone(&self.config);
        let result = tokio::task::spawn_blocking(move || config.reload())
            .await
            .unwrap_or_else(|_| Err(ConfigError(vec!["the reload task failed".into()])));
        self.metrics.config_reload(result.is_ok());
        match &result {
            Ok(done) => {
                let keys: Vec<String> = done.keys.iter().map(|(role, fp)| format!("{role}={fp}")).collect();
                tracing::info!(keys = ?keys, "configuration reloaded: the [keys] section is in force");
                if !done.not_applied.is_empty() {
                    tracing::warn!(
                        sections = ?done.not_applied,
                        "configuration reloaded: these sections changed but are not applied until a restart"
                    );
                }
            }
            Err(e) => {
                tracing::error!(code = e.code(), problems = ?e.0, "configuration reload refused: the running keys are kept");
            }
        }
        result
    }

    /// Stops accepting; with `graceful`, in-flight requests finish first.
    pub async fn stop(&self, graceful: bool) {
        let _ = self.shutdown.send(true);
        tokio::join!(self.public.stop(graceful), self.internal.stop(graceful));
    }
}

fn secs(s: u64) -> time::Duration {
    time::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX))
}

/// The origin the browser sees: `server.public_base_url`, else the origin of the ACS URL.
pub fn public_base_url(config: &Config) -> Result<String, StartupError> {
    let base = match &config.settings.server.public_base_url {
        Some(b) => b.clone(),
        None => url::Url::parse(&config.settings.connector.acs_url)
            .map(|u| u.origin().ascii_serialization())
            .map_err(|_| StartupError::Config("connector.acs_url is not a URL".into()))?,
    };
    // DESIGN §2.2 / issue 7: plain HTTP only on loopback (tests, demo).
    if !base.starts_with("https://") && !crate::config::is_loopback_http(&base) {
        return Err(StartupError::Config(format!("the public URL {base} must be https (http only on loopback)")));
    }
    Ok(base)
}

/// The peers' cache folder and refresh schedule (`[server]`, `[peers]`); fetch limits stay at
/// their defaults.
fn peers_options(config: &Config) -> PeersOptions {
    let p = &config.settings.peers;
    PeersOptions {
        cache_dir: config.settings.server.metadata_cache_dir.clone(),
        min_refresh: Duration::from_secs(p.metadata_refresh_min_secs),
        max_refresh: Duration::from_secs(p.metadata_refresh_max_secs),
        retry_initial: Duration::from_secs(p.metadata_retry_initial_secs),
        retry_max: Duration::from_secs(p.metadata_retry_max_secs),
        rollover_cooldown: Duration::from_secs(p.metadata_rollover_cooldown_secs),
        ..PeersOptions::default()
    }
}

async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartupError> {
    let s = &config.settings.store;
    Ok(match s.backend.as_str() {
        "redis" => {
            let url = s.redis_url.as_deref().ok_or_else(|| StartupError::Store("store.redis_url missing".into()))?;
            let tls = RedisTls::read(
                s.redis_tls_ca_file.as_deref(),
                s.redis_tls_cert_file.as_deref(),
                s.redis_tls_key_file.as_deref(),
            )
            .map_err(|e| StartupError::Store(e.to_string()))?;
            let store =
                RedisStore::connect_with_tls(url, &s.key_prefix, Duration::from_millis(s.op_timeout_ms), tls.as_ref())
                    .map_err(|e| StartupError::Store(e.to_string()))?;
            // The service starts anyway (not ready until Redis answers); the operator sees why
            // at once (the reason never holds the password).
            match store.ping().await {
                Ok(()) => tracing::info!(store = ?store, "redis store reachable"),
                Err(e) => {
                    tracing::warn!(code = e.code(), cause = %e, store = ?store, "redis store not reachable at startup")
                }
            }
            Arc::new(store)
        }
        _ => Arc::new(MemoryStore::new(s.max_entries)),
    })
}

fn bind(addr: &str) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr).map_err(|source| StartupError::Listen { addr: addr.to_owned(), source })
}

/// Logs the effective configuration once, secrets left out.
fn log_effective_config(config: &Config, base: &str) {
    let s = &config.settings;
    let countries: Vec<String> = config.countries.iter().map(|c| c.code.to_string()).collect();
    tracing::info!(
        entity_id = %s.connector.entity_id,
        public_base_url = %base,
        public_listen = %s.server.public_listen,
        internal_listen = %s.server.internal_listen,
        store = %s.store.backend,
        api_tokens = s.api.tokens.len(),
        return_urls = s.api.return_urls.len(),
        countries = ?countries,
        metadata_refresh_min_secs = s.peers.metadata_refresh_min_secs,
        metadata_refresh_max_secs = s.peers.metadata_refresh_max_secs,
        metadata_retry_initial_secs = s.peers.metadata_retry_initial_secs,
        metadata_retry_max_secs = s.peers.metadata_retry_max_secs,
        "configuration"
    );
    for c in &config.countries {
        if c.settings.insecure_ignore_certificate_validity {
            tracing::warn!(country = %c.code, "insecure_ignore_certificate_validity: expired certificates are accepted");
        }
        if c.settings.insecure_allow_http {
            tracing::warn!(country = %c.code, "insecure_allow_http: metadata over plain HTTP (loopback)");
        }
    }
    if s.api.tokens.is_empty() {
        tracing::warn!("api.tokens is empty: the internal API refuses every call");
    }
}

impl Application {
    /// Builds the service on the configured listeners.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        let public = bind(&config.settings.server.public_listen)?;
        let internal = bind(&config.settings.server.internal_listen)?;
        Self::build_with_listeners(config, clock, public, internal).await
    }

    /// Builds the service on listeners already bound (tests bind port 0 first).
    pub async fn build_with_listeners(
        config: Config,
        clock: Arc<dyn Clock>,
        public: TcpListener,
        internal: TcpListener,
    ) -> Result<Self, StartupError> {
        let base = public_base_url(&config)?;
        log_effective_config(&config, &base);
        let store = open_store(&config).await?;
        let opts = peers_options(&config);
        let peers = Peers::new(config.countries.clone(), opts, Arc::clone(&clock))
            .map_err(|e| StartupError::Peers(e.to_string()))?;
        peers.load_cache().await;
        peers.refresh_all().await;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let refresh = peers.spawn_refresh(shutdown_rx);

        let api = &config.settings.api;
        let ttls = Ttls {
            request: secs(api.request_ttl_secs),
            response: secs(api.response_ttl_secs),
            status_retention: secs(api.status_retention_secs),
            // Over NotOnOrAfter + the country's skew, after which the time checks refuse the
            // Response anyway: clock differences between instances (attacks.md P1).
            replay: REPLAY_MARGIN,
        };
        let server = config.settings.server.clone();
        let tokens = web::Data::new(ApiTokens::new(&api.tokens));
        let https = base.starts_with("https://");
        let flow = Flow {
            store,
            peers,
            config: Arc::new(LiveConfig::new(config)),
            clock,
            metrics: Arc::new(Metrics::new()),
            public_base_url: base,
            ttls,
        };
        let state = web::Data::new(AppState { flow: flow.clone(), metadata: MetadataCache::default() });
        let workers = server.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let timeout = Duration::from_secs(server.request_timeout_secs);

        let public_port = public.local_addr().map(|a| a.port()).unwrap_or_default();
        let internal_port = internal.local_addr().map(|a| a.port()).unwrap_or_default();
        let (s, form_limit) = (state.clone(), server.max_form_bytes);
        let public_server = HttpServer::new(move || {
            App::new()
                .app_data(s.clone())
                .app_data(form_config(form_limit))
                .wrap(Condition::new(
                    https,
                    DefaultHeaders::new().add(("Strict-Transport-Security", "max-age=31536000; includeSubDomains")),
                ))
                .wrap(from_fn(with_request_id))
                .configure(public::configure)
        })
        .listen(public)
        .map_err(|source| StartupError::Listen { addr: "public".into(), source })?
        .workers(workers)
        .client_request_timeout(timeout)
        .shutdown_timeout(server.shutdown_timeout_secs)
        .disable_signals()
        .run();
        let (s, json_limit) = (state.clone(), server.max_json_bytes);
        let internal_server = HttpServer::new(move || {
            App::new()
                .app_data(s.clone())
                .app_data(tokens.clone())
                .app_data(json_config(json_limit))
                .wrap(from_fn(with_request_id))
                .configure(api::configure)
        })
        .listen(internal)
        .map_err(|source| StartupError::Listen { addr: "internal".into(), source })?
        .workers(workers.min(2))
        .client_request_timeout(timeout)
        .shutdown_timeout(server.shutdown_timeout_secs)
        .disable_signals()
        .run();
        Ok(Self {
            public_port,
            internal_port,
            public: public_server,
            internal: internal_server,
            shutdown,
            refresh,
            flow,
        })
    }

    /// The public listener's port.
    pub fn public_port(&self) -> u16 {
        self.public_port
    }

    /// The internal listener's port.
    pub fn internal_port(&self) -> u16 {
        self.internal_port
    }

    /// The use cases (tests inspect the store and the peers through it).
    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// A handle that stops the service.
    pub fn handle(&self) -> AppHandle {
        AppHandle {
            public: self.public.handle(),
            internal: self.internal.handle(),
            shutdown: self.shutdown.clone(),
            config: Arc::clone(&self.flow.config),
            metrics: Arc::clone(&self.flow.metrics),
        }
    }

    /// Serves until both servers stop (see [`AppHandle::stop`]).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (a, b) = tokio::join!(self.public, self.internal);
        let _ = self.shutdown.send(true);
        let _ = self.refresh.await;
        a.and(b)
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully (in-flight requests finish).
    /// SIGHUP reloads the `[keys]` section ([`AppHandle::reload`]).
    pub async fn run_until_signal(self) -> std::io::Result<()> {
        let handle = self.handle();
        reload_on_hangup(handle.clone());
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            handle.stop(true).await;
        });
        self.run_until_stopped().await
    }
}

/// On each SIGHUP, [`AppHandle::reload`] (Unix only; the handler is in place when this returns).
fn reload_on_hangup(handle: AppHandle) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::hangup()) {
            Ok(mut hangup) => {
                tracing::info!("SIGHUP reloads the [keys] section of the configuration");
                tokio::spawn(async move {
                    while hangup.recv().await.is_some() {
                        tracing::info!("SIGHUP: reloading the configuration");
                        let _ = handle.reload().await;
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "no SIGHUP handler: keys reload only on restart"),
        }
    }
    #[cfg(not(unix))]
    let _ = handle;
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_peers_section_gives_the_default_schedule() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docker/config.toml");
        let config = Config::load(Some(&path)).unwrap();
        let (ours, default) = (peers_options(&config), PeersOptions::default());
        assert_eq!(
            (ours.min_refresh, ours.max_refresh, ours.retry_initial, ours.retry_max, ours.rollover_cooldown),
            (
                default.min_refresh,
                default.max_refresh,
                default.retry_initial,
                default.retry_max,
                default.rollover_cooldown
            )
        );
    }
}
