//! The figures of a run: flows, errors by code, throughput, latency percentiles per step and
//! per flow, the connector's memory (start, peak, end, per minute) and whether it stayed flat,
//! the CPU used by the connector and by the driver.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::flow::{FlowResult, STEPS};
use crate::setup::{CpuFigures, MemoryFigures};

/// Growth of the last minute's mean RSS over the first minute's within which memory is "flat".
const FLAT_PERCENT: f64 = 10.0;

/// The figures of a run.
pub struct Report {
    flows: usize,
    ok: usize,
    dropped: usize,
    elapsed: Duration,
    errors: BTreeMap<String, usize>,
    steps: Vec<(&'static str, Vec<Duration>)>,
    memory: Option<MemoryFigures>,
    cpu: CpuFigures,
    panics: usize,
}

/// `p` (0..=100) of sorted `v`.
fn percentile(v: &[Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (v.len() as f64)).ceil() as usize;
    v.get(rank.saturating_sub(1).min(v.len() - 1)).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mean(samples: &[(f64, u64)], from: f64, to: f64) -> Option<f64> {
    let window: Vec<u64> = samples.iter().filter(|(t, _)| *t >= from && *t < to).map(|(_, kb)| *kb).collect();
    (!window.is_empty()).then(|| window.iter().sum::<u64>() as f64 / window.len() as f64)
}

impl Report {
    /// The figures of `results`.
    pub fn new(
        results: &[FlowResult],
        dropped: usize,
        elapsed: Duration,
        memory: Option<MemoryFigures>,
        cpu: CpuFigures,
        panics: usize,
    ) -> Self {
        let mut errors = BTreeMap::new();
        let mut steps: Vec<(&'static str, Vec<Duration>)> = STEPS.iter().map(|s| (*s, Vec::new())).collect();
        let mut whole = Vec::new();
        // The connector's own share of a flow: every step but the mock proxy service's.
        let mut own = Vec::new();
        for r in results {
            if let Err(code) = &r.outcome {
                *errors.entry(code.clone()).or_insert(0) += 1;
            }
            for ((_, v), d) in steps.iter_mut().zip(r.steps.iter()) {
                if let Some(d) = d {
                    v.push(*d);
                }
            }
            if let Some(t) = r.total {
                whole.push(t);
                let proxy = STEPS.iter().position(|s| *s == "proxy");
                own.push(r.steps.iter().enumerate().filter(|(i, _)| Some(*i) != proxy).filter_map(|(_, d)| *d).sum());
            }
        }
        steps.push(("connector", own));
        steps.push(("whole flow", whole));
        for (_, v) in &mut steps {
            v.sort_unstable();
        }
        let ok = results.iter().filter(|r| r.outcome.is_ok()).count();
        Self { flows: results.len(), ok, dropped, elapsed, errors, steps, memory, cpu, panics }
    }

    /// Failed flows (dropped ones included).
    pub fn errors(&self) -> usize {
        self.flows - self.ok + self.dropped
    }

    /// Successful flows per second.
    fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// (first minute's mean, last minute's mean, growth %); windows of a fifth of the run when
    /// it is shorter than five minutes.
    fn flatness(&self) -> Option<(f64, f64, f64)> {
        let samples = &self.memory.as_ref()?.samples;
        let end = samples.last()?.0;
        let window = if end >= 300.0 { 60.0 } else { (end / 5.0).max(1.0) };
        let first = mean(samples, 0.0, window)?;
        let last = mean(samples, end - window, end + 1.0)?;
        Some((first, last, (last - first) / first * 100.0))
    }

    /// Prints the report; its last line is `RESULT key=value …`.
    pub fn print(&self) {
        let secs = self.elapsed.as_secs_f64();
        println!("\n== load report");
        println!(
            "flows {} in {secs:.1} s: {} ok, {} failed, {} dropped (open loop: in-flight bound reached)",
            self.flows,
            self.ok,
            self.flows - self.ok,
            self.dropped
        );
        let attempted = (self.flows + self.dropped).max(1) as f64;
        println!(
            "throughput {:.2} flows/s; error rate {:.3} %",
            self.throughput(),
            self.errors() as f64 / attempted * 100.0
        );
        for (code, n) in &self.errors {
            println!("  error {code}: {n}");
        }
        println!("\n{:<12} {:>7} {:>9} {:>9} {:>9} {:>9}", "step (ms)", "n", "p50", "p90", "p99", "max");
        for (name, v) in &self.steps {
            println!(
                "{name:<12} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
                v.len(),
                ms(percentile(v, 50.0)),
                ms(percentile(v, 90.0)),
                ms(percentile(v, 99.0)),
                ms(v.last().copied().unwrap_or_default())
            );
        }
        println!("(proxy = the in-process mock's two requests; connector = start + page + acs + consume of a flow)");
        let mut growth = String::from("n/a");
        if let Some(m) = &self.memory {
            let mb = |kb: f64| kb / 1024.0;
            let (start, end) = (m.samples.first().map_or(0, |s| s.1), m.samples.last().map_or(0, |s| s.1));
            println!(
                "\nconnector RSS: start {:.1} MB, peak (VmHWM) {:.1} MB, end {:.1} MB",
                mb(start as f64),
                mb(m.peak_kb as f64),
                mb(end as f64)
            );
            let minutes = (m.samples.last().map_or(0.0, |s| s.0) / 60.0).ceil() as usize;
            if minutes > 1 {
                let per_minute: Vec<String> = (0..minutes)
                    .filter_map(|i| mean(&m.samples, i as f64 * 60.0, (i + 1) as f64 * 60.0))
                    .map(|kb| format!("{:.1}", mb(kb)))
                    .collect();
                println!("RSS per minute (mean, MB): {}", per_minute.join(" "));
            }
            if let Some((first, last, pct)) = self.flatness() {
                let flat = if pct <= FLAT_PERCENT { "flat" } else { "GROWING" };
                println!(
                    "RSS first vs last window: {:.1} → {:.1} MB ({pct:+.1} %): {flat} (threshold {FLAT_PERCENT} %)",
                    mb(first),
                    mb(last)
                );
                growth = format!("{pct:.1}");
            }
        }
        let pct = |p: Option<f64>| p.map_or("n/a".to_owned(), |p| format!("{p:.0}"));
        println!(
            "\nCPU over the run (% of one core; {} cores = {} %): connector {} %, driver (mock proxy + clients) {} %",
            self.cpu.cores,
            self.cpu.cores * 100,
            pct(self.cpu.connector_pct),
            pct(self.cpu.driver_pct)
        );
        let peak = self.memory.as_ref().map_or("n/a".to_owned(), |m| format!("{:.1}", m.peak_kb as f64 / 1024.0));
        println!("connector log lines with \"panicked\": {}", self.panics);
        let flow = self.steps.last().map(|(_, v)| v.as_slice()).unwrap_or_default();
        let step_p99: Vec<String> = self
            .steps
            .iter()
            .filter(|(name, _)| *name != "whole flow")
            .map(|(name, v)| format!("{name}_p99_ms={:.1}", ms(percentile(v, 99.0))))
            .collect();
        println!(
            "RESULT flows={} ok={} errors={} dropped={} panics={} throughput={:.2} flow_p50_ms={:.1} flow_p99_ms={:.1} {} \
             cpu_pct={} driver_cpu_pct={} cores={} peak_rss_mb={peak} rss_growth_pct={growth}",
            self.flows,
            self.ok,
            self.errors(),
            self.dropped,
            self.panics,
            self.throughput(),
            ms(percentile(flow, 50.0)),
            ms(percentile(flow, 99.0)),
            step_p99.join(" "),
            pct(self.cpu.connector_pct),
            pct(self.cpu.driver_pct),
            self.cpu.cores,
        );
    }
}
