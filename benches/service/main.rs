//! Benchmarks of what a request costs the service (issue 7), end to end over real HTTP on
//! loopback: the real app (`Application::build_with_listeners`, memory store, a manual clock
//! at the vectors' instant) and a client that plays the hub and the browser. Groups:
//! `service/start` (the hub's `POST /api/v1/authn-requests`, the browser's
//! `GET /eidas/start/{handle}` that signs the AuthnRequest, and both), `service/acs` (a signed
//! and encrypted Response posted with the binding cookie, until the 303) and `service/consume`
//! (the hub's consume call), beside `service/bare_openssl`, the private- and public-key
//! operations those steps cannot avoid. The run ends with a table of the median of each step
//! and its ratio to that bare crypto.
//!
//! Only the step named is timed: the requests that put the service in the state it needs
//! (a pending request, a prepared Response) are made untimed before it. The foreign proxy
//! service is played by the bench with the crate's own signer and encrypter (fine for a
//! benchmark: the tests prove interoperability with independent implementations). No
//! tracing subscriber is installed, so the cost of formatting log lines is not counted.
//!
//! Run: `cargo bench --bench service` (about a minute); `-- --test` runs each step once and
//! prints the table.

// Benchmark set-up code: a failure here is a broken bench, not a runtime path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod app;
mod bare;
mod proxy;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};

use crate::app::Service;
use crate::bare::BareCrypto;

/// The allocator the service binary uses (`src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(repo(path)).unwrap()
}

/// `text` with `from` replaced by `to`; `from` must occur.
fn replace(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not found");
    text.replace(from, to)
}

/// The consume body says `success` (an ACS that refused the Response also ends in a 303).
fn assert_success(body: &[u8]) {
    let needle = b"\"status\":\"success\"";
    assert!(body.windows(needle.len()).any(|w| w == needle), "{}", String::from_utf8_lossy(body));
}

fn elapsed<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    black_box(f());
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The table: `JOURNEYS` whole journeys, each step timed, alternating with the bare crypto so
/// that the other engineers' load hits both alike; medians.
fn print_table(service: &Service, bare: &BareCrypto) {
    const JOURNEYS: usize = 60;
    let mut t: [Vec<Duration>; 8] = Default::default();
    for _ in 0..5 {
        bare.sign();
        bare.decrypt();
    }
    service.rt.block_on(async {
        for _ in 0..JOURNEYS {
            let start = Instant::now();
            let (url, request_id) = service.start_api().await;
            t[0].push(start.elapsed());
            let start = Instant::now();
            let pending = service.start_page(&url, request_id).await;
            t[1].push(start.elapsed());
            let saml_response = service.proxy.respond(&pending.saml_id);
            t[7].push(service.validate_in_process(&pending, &saml_response).await);
            let start = Instant::now();
            let handle = service.acs(&pending, &saml_response).await;
            t[2].push(start.elapsed());
            let start = Instant::now();
            let body = service.consume(&handle).await;
            t[3].push(start.elapsed());
            assert_success(&body);
            t[4].push(elapsed(|| bare.sign()));
            t[5].push(elapsed(|| bare.decrypt()));
            t[6].push(elapsed(|| bare.verify()));
        }
    });
    let [api, page, acs, consume, sign, decrypt, verify, validation] = t.map(median);
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let ratio = |d: Duration, by: Duration| format!("{:.2}×", d.as_secs_f64() / by.as_secs_f64());
    let acs_bare = decrypt + verify;
    let all_bare = sign + acs_bare;
    let journey = api + page + acs + consume;
    println!("\nmedian of {JOURNEYS} journeys over loopback HTTP (client time, keep-alive connections)");
    println!("{:<44} {:>11} {:>34} {:>8}", "step", "latency", "bare openssl it needs", "÷ bare");
    let rows: [(&str, Duration, String, String); 7] = [
        ("start API (POST /api/v1/authn-requests)", api, "none".into(), format!("{} of a sign", ratio(api, sign))),
        ("start page (GET /eidas/start/{handle})", page, format!("PSS sign {:.1}µs", us(sign)), ratio(page, sign)),
        ("start (API + page)", api + page, format!("PSS sign {:.1}µs", us(sign)), ratio(api + page, sign)),
        (
            "ACS (POST /eidas/acs → 303)",
            acs,
            format!("OAEP dec {:.1} + PSS verify {:.1}µs", us(decrypt), us(verify)),
            ratio(acs, acs_bare),
        ),
        ("  its validate_response alone, in-process", validation, "the same".into(), ratio(validation, acs_bare)),
        ("consume (POST …/consume)", consume, "none".into(), format!("{} of a sign", ratio(consume, sign))),
        (
            "whole journey (the four calls)",
            journey,
            format!("all three {:.1}µs", us(all_bare)),
            ratio(journey, all_bare),
        ),
    ];
    for (name, d, bare, r) in rows {
        println!("{name:<44} {:>9.1}µs {bare:>34} {r:>8}", us(d));
    }
}

fn bench(c: &mut Criterion) {
    let service = Service::start();
    let bare = BareCrypto::new();

    let mut g = c.benchmark_group("service/start");
    g.bench_function("api", |b| {
        b.iter_custom(|n| {
            service.sum(n, async || {
                let start = Instant::now();
                black_box(service.start_api().await);
                start.elapsed()
            })
        });
    });
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("page", |b| {
        b.iter_custom(|n| {
            service.sum(n, async || {
                let (url, request_id) = service.start_api().await;
                let start = Instant::now();
                black_box(service.start_page(&url, request_id).await);
                start.elapsed()
            })
        });
    });
    g.bench_function("api_and_page", |b| {
        b.iter_custom(|n| {
            service.sum(n, async || {
                let start = Instant::now();
                black_box(service.start_api_and_page().await);
                start.elapsed()
            })
        });
    });
    g.finish();

    let mut g = c.benchmark_group("service/acs");
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("post_response_until_303", |b| {
        b.iter_custom(|n| {
            service.sum(n, async || {
                let pending = service.start_api_and_page().await;
                let saml_response = service.proxy.respond(&pending.saml_id);
                let start = Instant::now();
                black_box(service.acs(&pending, &saml_response).await);
                start.elapsed()
            })
        });
    });
    g.finish();

    let mut g = c.benchmark_group("service/consume");
    g.bench_function("consume", |b| {
        b.iter_custom(|n| {
            service.sum(n, async || {
                let handle = service.seed_outcome().await;
                let start = Instant::now();
                let body = service.consume(&handle).await;
                let took = start.elapsed();
                assert_success(&body);
                took
            })
        });
    });
    g.finish();

    let mut g = c.benchmark_group("service/bare_openssl");
    g.bench_function("rsa3072_pss_sign", |b| b.iter(|| bare.sign()));
    g.bench_function("rsa3072_oaep_decrypt", |b| b.iter(|| bare.decrypt()));
    g.bench_function("rsa3072_pss_verify", |b| b.iter(|| bare.verify()));
    g.finish();

    print_table(&service, &bare);
    service.stop();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1)).sample_size(20);
    targets = bench
}
criterion_main!(benches);
