//! Issue 7 point 4, what only the Redis store has: its key layout, instances sharing one
//! Redis, and availability: Redis stopped, frozen, down at startup, or refusing the
//! password. Every call must then fail with `StoreError::Unavailable` within the operation
//! timeout (no hang, no panic), and the same store must work again once Redis is back.

use std::time::{Duration, Instant};

use eidas_connector::store::redis::{RedisStore, DEFAULT_PREFIX};
use eidas_connector::store::{Kind, Store, StoreError};

use crate::redis_server::RedisServer;

const OP_TIMEOUT: Duration = Duration::from_millis(500);
/// Scheduling slack on top of `OP_TIMEOUT` when checking that a failing call does not hang.
const SLACK: Duration = Duration::from_millis(1500);
/// How long a store may take to work again once Redis is back.
const RECOVERY: Duration = Duration::from_secs(10);
const LONG: Duration = Duration::from_secs(60);
const SECRET_VALUE: &[u8] = b"secret-value-7f3a";
const SECRET_KEY: &str = "secret-key-91c2";

fn store(url: &str) -> RedisStore {
    RedisStore::connect(url, DEFAULT_PREFIX, OP_TIMEOUT).unwrap()
}

/// Calls every operation once: (name, result, how long it took).
async fn every_operation(s: &RedisStore) -> Vec<(&'static str, Result<(), StoreError>, Duration)> {
    let mut out = Vec::new();
    macro_rules! call {
        ($name:literal, $call:expr) => {{
            let t = Instant::now();
            let r = tokio::time::timeout(Duration::from_secs(30), $call).await.expect("store call hung");
            out.push(($name, r.map(|_| ()), t.elapsed()));
        }};
    }
    call!("put", s.put(Kind::Request, SECRET_KEY, SECRET_VALUE, LONG));
    call!("put_new", s.put_new(Kind::Replay, SECRET_KEY, SECRET_VALUE, LONG));
    call!("get", s.get(Kind::Request, SECRET_KEY));
    call!("take", s.take(Kind::ResponseHandle, SECRET_KEY));
    call!("delete", s.delete(Kind::StartHandle, SECRET_KEY));
    call!("ping", s.ping());
    out
}

/// Asserts that every operation fails as unavailable, in time, with a reason that names
/// neither the key nor the value; prints what was measured.
async fn assert_every_operation_unavailable(s: &RedisStore, situation: &str) {
    for (name, result, took) in every_operation(s).await {
        report(&format!("{situation}: {name} failed after {} ms: {result:?}", took.as_millis()));
        let Err(StoreError::Unavailable(reason)) = &result else {
            panic!("{situation}: {name} gave {result:?}, expected Unavailable");
        };
        assert!(took <= OP_TIMEOUT + SLACK, "{situation}: {name} took {took:?}");
        assert!(!reason.contains(SECRET_KEY) && !reason.contains("secret-value"), "{reason}");
        assert_eq!(result.unwrap_err().code(), "store_unavailable");
    }
}

/// Waits until `ping` succeeds; returns how many calls failed before.
async fn wait_until_it_works(s: &RedisStore, situation: &str) -> usize {
    let start = Instant::now();
    let mut failed = 0;
    loop {
        match s.ping().await {
            Ok(()) => {
                report(&format!(
                    "{situation}: works again after {failed} failed call(s), {} ms",
                    start.elapsed().as_millis()
                ));
                return failed;
            }
            Err(e) if start.elapsed() < RECOVERY => {
                report(&format!("{situation}: still failing: {e}"));
                failed += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{situation}: the store did not recover within {RECOVERY:?}: {e}"),
        }
    }
}

async fn assert_every_operation_works(s: &RedisStore) {
    s.put(Kind::Request, "k", b"v", LONG).await.unwrap();
    assert_eq!(s.get(Kind::Request, "k").await.unwrap(), Some(b"v".to_vec()));
    assert!(s.put_new(Kind::Replay, "k", b"v", LONG).await.unwrap());
    assert_eq!(s.take(Kind::Request, "k").await.unwrap(), Some(b"v".to_vec()));
    assert!(s.delete(Kind::Replay, "k").await.unwrap());
    s.ping().await.unwrap();
}

/// Measurements, printed straight to stderr (seen with `--nocapture`).
fn report(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "store_redis: {line}");
}

#[tokio::test]
async fn redis_keys_are_prefix_kind_key_and_carry_the_ttl_in_milliseconds() {
    let Some(server) = RedisServer::start() else { return };
    let s = RedisStore::connect(&server.url(), "test:", OP_TIMEOUT).unwrap();
    s.put(Kind::ResponseHandle, "h1", b"v", Duration::from_millis(30_000)).await.unwrap();
    assert!(s.put_new(Kind::Replay, "id1", b"v", Duration::from_millis(20_000)).await.unwrap());

    let mut raw = redis::Client::open(server.url()).unwrap().get_connection().unwrap();
    let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut raw).unwrap();
    keys.sort();
    assert_eq!(keys, ["test:replay:id1", "test:response:h1"]);
    let pttl: i64 = redis::cmd("PTTL").arg("test:response:h1").query(&mut raw).unwrap();
    assert!((20_000..=30_000).contains(&pttl), "{pttl}");
    let pttl: i64 = redis::cmd("PTTL").arg("test:replay:id1").query(&mut raw).unwrap();
    assert!((10_000..=20_000).contains(&pttl), "{pttl}");
}

#[tokio::test]
async fn two_stores_on_one_redis_share_entries_when_they_share_the_prefix() {
    let Some(server) = RedisServer::start() else { return };
    let (a, b) = (store(&server.url()), store(&server.url()));
    let other = RedisStore::connect(&server.url(), "other:", OP_TIMEOUT).unwrap();
    // Start on one instance, consume on another.
    a.put(Kind::ResponseHandle, "h", b"outcome", LONG).await.unwrap();
    assert_eq!(other.get(Kind::ResponseHandle, "h").await.unwrap(), None);
    assert_eq!(b.take(Kind::ResponseHandle, "h").await.unwrap(), Some(b"outcome".to_vec()));
    assert_eq!(a.take(Kind::ResponseHandle, "h").await.unwrap(), None);
    // A replay seen by one is seen by the other.
    assert!(a.put_new(Kind::Replay, "id", b"", LONG).await.unwrap());
    assert!(!b.put_new(Kind::Replay, "id", b"", LONG).await.unwrap());
    assert!(other.put_new(Kind::Replay, "id", b"", LONG).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_makes_every_call_unavailable_in_time_and_the_same_store_recovers_on_restart() {
    let Some(mut server) = RedisServer::start() else { return };
    let s = store(&server.url());
    assert_every_operation_works(&s).await;

    server.stop();
    assert_every_operation_unavailable(&s, "redis stopped").await;
    assert_every_operation_unavailable(&s, "redis still stopped").await;

    server.start_again();
    let failed = wait_until_it_works(&s, "redis restarted").await;
    assert_eq!(failed, 0, "a refused connection is retried, so the first call after the restart works");
    assert_every_operation_works(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_between_two_calls_costs_at_most_one_failed_call() {
    let Some(mut server) = RedisServer::start() else { return };
    let s = store(&server.url());
    assert_every_operation_works(&s).await;
    // No call while it is down: the store's connection is stale when Redis is back.
    server.stop();
    server.start_again();
    let failed = wait_until_it_works(&s, "redis restarted unnoticed").await;
    assert!(failed <= 1, "{failed} failed calls");
    assert_every_operation_works(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_frozen_makes_every_call_time_out_and_the_store_recovers_when_it_thaws() {
    let Some(server) = RedisServer::start() else { return };
    let s = store(&server.url());
    assert_every_operation_works(&s).await;

    server.pause();
    assert_every_operation_unavailable(&s, "redis frozen").await;
    server.resume();
    wait_until_it_works(&s, "redis thawed").await;
    assert_every_operation_works(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_made_while_redis_is_down_works_once_redis_is_up() {
    let Some(mut server) = RedisServer::start() else { return };
    server.stop();
    let s = store(&server.url());
    assert_every_operation_unavailable(&s, "redis down at startup").await;

    server.start_again();
    wait_until_it_works(&s, "redis up after startup").await;
    assert_every_operation_works(&s).await;
}

#[tokio::test]
async fn wrong_password_is_unavailable_with_an_authentication_reason() {
    let Some(server) = RedisServer::start_with_args(&["--requirepass", "right-pass-4d1e"]) else { return };
    let wrong = store(&format!("redis://:wrong-pass-8b2c@127.0.0.1:{}/0", server.port()));
    for _ in 0..2 {
        let t = Instant::now();
        let err = wrong.ping().await.unwrap_err();
        report(&format!("wrong password: {err} after {} ms", t.elapsed().as_millis()));
        let StoreError::Unavailable(reason) = &err else { panic!("{err:?}") };
        assert!(reason.contains("authentication failed"), "{reason}");
        assert!(!reason.contains("pass-"), "{reason}");
    }
    assert!(!format!("{wrong:?}").contains("pass-"));

    let right = store(&format!("redis://:right-pass-4d1e@127.0.0.1:{}/0", server.port()));
    assert_every_operation_works(&right).await;
    let no_password = store(&server.url());
    let err = no_password.get(Kind::Request, "k").await.unwrap_err();
    report(&format!("no password: {err}"));
    assert!(matches!(err, StoreError::Unavailable(_)));
}
