//! `load`: a load generator for the connector (issue 10's soak, issue 11's performance runs).
//!
//! It drives whole flows over real HTTP on loopback against a connector: the hub's start call
//! (`POST /api/v1/authn-requests`), the browser's start page (`GET /eidas/start/{handle}`, the
//! signed AuthnRequest), the foreign proxy service (its SSO endpoint and its login form, which
//! answer a signed Response with an encrypted Assertion bound to that AuthnRequest), the ACS
//! (`POST /eidas/acs` → 303 with a `response_handle`) and the hub's consume call. Each step is
//! timed; the report gives flows done, errors by code, throughput, latency percentiles per
//! step and per flow, the connector's memory (VmRSS / VmHWM of its process) and the CPU used
//! by the connector and by the driver over the run (utime + stime of `/proc/PID/stat`).
//!
//! The connector is the real binary (`eidas-connector serve`), started as a separate process
//! with a generated configuration (so the driver's own memory is not counted), or one already
//! running (`--public`, `--internal`). The proxy service is the crate's Rust TEST mock
//! (`eidas_connector::mock_proxy`), run inside the driver: it signs and encrypts with our own
//! XML security core, which is fine for load (correctness against independent implementations
//! is what the integration tests prove), and it answers fresh, bound Responses fast enough.
//!
//! Two modes: closed loop (no `--rate`: `--concurrency` flows back to back, as fast as the
//! connector allows; this measures the maximum rate) and open loop (`--rate R` flows started
//! per second whatever the answers, at most `--concurrency` in flight; a flow that cannot start
//! because of that bound is counted as `dropped`, never hidden).
//!
//! Build and run (release): `cargo build --release --bin eidas-connector --example load`, then
//! `target/release/examples/load --duration 30s` (maximum rate), or `--rate 20 --duration 10m
//! --store redis --redis-url redis://127.0.0.1:6379/0`. `--fail-on-error` exits 1 when any flow
//! failed or the connector's log shows a panic. The last line is machine-readable:
//! `RESULT flows=… errors=… panics=… throughput=… flow_p50_ms=… flow_p99_ms=…
//! start_p99_ms=… page_p99_ms=… proxy_p99_ms=… acs_p99_ms=… consume_p99_ms=… connector_p99_ms=… cpu_pct=…
//! driver_cpu_pct=… cores=… peak_rss_mb=… rss_growth_pct=…` (`n/a` where unknown).

// The driver's own plumbing: a failed write to stdout or a bad report is not a runtime path.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod flow;
mod report;
mod setup;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;

use crate::flow::{Driver, FlowResult};
use crate::report::Report;
use crate::setup::{Connector, CpuMeter, MemorySampler};

/// The allocator the service binary uses (the in-process mock signs with it).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Command line.
#[derive(Debug, Parser)]
#[command(name = "load", about = "Drive whole eIDAS flows against a connector over loopback HTTP")]
pub struct Args {
    /// Flows started per second (open loop). Absent: closed loop at `--concurrency`.
    #[arg(long)]
    rate: Option<f64>,
    /// How long to run: `90`, `90s`, `10m`.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    duration: Duration,
    /// Flows in flight at most (closed loop: exactly).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// The store of the connector started by the driver: `memory` or `redis`.
    #[arg(long, default_value = "memory")]
    store: String,
    /// The Redis URL with `--store redis`.
    #[arg(long)]
    redis_url: Option<String>,
    /// The connector binary (default: `eidas-connector` beside this program's folder).
    #[arg(long)]
    connector_bin: Option<std::path::PathBuf>,
    /// A running connector's public origin (`http://127.0.0.1:8080`); with `--internal`, the
    /// driver starts no connector. That connector must trust the driver's mock for `XA`
    /// (`--mock-listen` fixes its address; the driver prints the `[[countries]]` entry).
    #[arg(long, requires = "internal")]
    public: Option<String>,
    /// A running connector's internal origin (`http://127.0.0.1:8081`).
    #[arg(long, requires = "public")]
    internal: Option<String>,
    /// The hub's bearer token of a running connector.
    #[arg(long, default_value = "a-long-random-load-token")]
    token: String,
    /// The PID of a running connector, for its memory figures.
    #[arg(long)]
    pid: Option<u32>,
    /// Where the in-process mock proxy service listens.
    #[arg(long, default_value = "127.0.0.1:0")]
    mock_listen: String,
    /// TTLs of the connector started by the driver (request, result, status retention),
    /// seconds: short, so that its state reaches a steady size within a soak.
    #[arg(long, default_value_t = 60)]
    ttl_secs: u64,
    /// `store.max_entries` of the connector started by the driver (memory store). Its live
    /// entries grow with the rate: per flow two replay markers for about 7 minutes (the
    /// mock's 5-minute NotOnOrAfter + skew + margin) and the request record for `--ttl-secs`
    /// twice, so about 960 entries per flow/s. The default bound (200,000) holds about 200
    /// flows/s; past it new requests get 503 `store_full`, by design.
    #[arg(long, default_value_t = 1_000_000)]
    store_max_entries: u64,
    /// `RUST_LOG` of the connector started by the driver.
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Keep the connector's log here (default: a temporary folder, removed at the end).
    #[arg(long)]
    log_file: Option<std::path::PathBuf>,
    /// Exit 1 when any flow failed or the connector panicked.
    #[arg(long)]
    fail_on_error: bool,
}

/// `90`, `90s`, `10m`, `1h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration (90s, 10m, 1h)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("{text:?}: the unit is s, m or h")),
    };
    Ok(Duration::from_secs(secs))
}

fn main() {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("load: cannot build the runtime: {e}");
            std::process::exit(2);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("load: {e}");
            std::process::exit(2);
        }
    }
}

/// Runs the load; `Ok(false)` when `--fail-on-error` and something failed.
async fn run(args: Args) -> Result<bool, String> {
    let mock = setup::start_mock(&args.mock_listen)?;
    let mut connector = match (&args.public, &args.internal) {
        (Some(public), Some(internal)) => {
            println!("{}", setup::country_entry(&mock.origin));
            Connector::running(public, internal, &args.token, args.pid)
        }
        _ => Connector::spawn(&args, &mock.origin).await?,
    };
    let driver = Arc::new(Driver::new(&connector, &mock.origin)?);
    // One flow first: the connector has fetched the mock's metadata, the mock ours.
    let warmup = driver.flow().await;
    if let Err(e) = &warmup.outcome {
        let log = connector.log_tail();
        return Err(format!("the first flow failed ({e}); the connector's log ends with:\n{log}"));
    }
    let sampler = connector.pid().map(MemorySampler::start);
    let cpu = CpuMeter::start(connector.pid());
    println!(
        "load: {} for {:?}, concurrency {}, store {}",
        args.rate.map_or("closed loop".to_owned(), |r| format!("{r} flows/s open loop")),
        args.duration,
        args.concurrency,
        if args.public.is_some() { "(running connector)" } else { args.store.as_str() },
    );
    let started = Instant::now();
    let load = async {
        match args.rate {
            None => Ok(closed_loop(&driver, args.concurrency, args.duration).await),
            Some(rate) => open_loop(&driver, rate, args.concurrency, args.duration).await,
        }
    };
    let (results, dropped) = tokio::select! {
        r = load => r?,
        () = interrupted() => {
            connector.stop().await;
            return Err("interrupted: the connector was stopped".into());
        }
    };
    let elapsed = started.elapsed();
    let cpu = cpu.finish();
    let memory = match sampler {
        Some(s) => Some(s.finish().await),
        None => None,
    };
    let panics = connector.panics();
    let report = Report::new(&results, dropped, elapsed, memory, cpu, panics);
    report.print();
    connector.stop().await;
    drop(mock);
    Ok(!(args.fail_on_error && (report.errors() > 0 || panics > 0)))
}

/// SIGINT or SIGTERM (so the connector started here does not outlive the driver).
async fn interrupted() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

/// `concurrency` workers, each running flows back to back until `duration` is over.
async fn closed_loop(driver: &Arc<Driver>, concurrency: usize, duration: Duration) -> (Vec<FlowResult>, usize) {
    let deadline = Instant::now() + duration;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let driver = Arc::clone(driver);
        workers.spawn(async move {
            let mut done = Vec::new();
            while Instant::now() < deadline {
                done.push(driver.flow().await);
            }
            done
        });
    }
    let mut results = Vec::new();
    while let Some(done) = workers.join_next().await {
        results.extend(done.unwrap_or_default());
    }
    (results, 0)
}

/// A flow started every `1 / rate` seconds, at most `concurrency` in flight; the ones that
/// could not start are counted.
async fn open_loop(
    driver: &Arc<Driver>,
    rate: f64,
    concurrency: usize,
    duration: Duration,
) -> Result<(Vec<FlowResult>, usize), String> {
    if !(rate.is_finite() && rate > 0.0) {
        return Err(format!("--rate must be a positive number (got {rate})"));
    }
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut ticker = tokio::time::interval(period);
    // Late ticks are not bunched up: the rate stays the rate.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + duration;
    let mut flows = tokio::task::JoinSet::new();
    let mut results = Vec::new();
    let mut dropped = 0usize;
    while Instant::now() < deadline {
        ticker.tick().await;
        while let Some(Some(done)) = flows.try_join_next().map(Result::ok) {
            results.push(done);
        }
        if in_flight.load(Ordering::SeqCst) >= concurrency.max(1) {
            dropped += 1;
            continue;
        }
        in_flight.fetch_add(1, Ordering::SeqCst);
        let (driver, in_flight) = (Arc::clone(driver), Arc::clone(&in_flight));
        flows.spawn(async move {
            let result = driver.flow().await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            result
        });
    }
    while let Some(done) = flows.join_next().await {
        if let Ok(done) = done {
            results.push(done);
        }
    }
    Ok((results, dropped))
}
