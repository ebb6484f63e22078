//! Issue 7 point 4: the store contract. One suite (`cases`), written once against
//! `Arc<dyn Store>`, runs against `MemoryStore` and against `RedisStore` on a real
//! `redis-server` started by the test (`redis_server`). Then what only one backend has: the
//! memory store's bound, and Redis going away and coming back.
//!
//! Expiry cases use short TTLs and sleeps, and never assert that something is still there
//! after a short TTL (a loaded machine may be slow): long-lived entries are the control.

use std::sync::Arc;
use std::time::Duration;

use eidas_connector::store::memory::MemoryStore;
use eidas_connector::store::redis::{RedisStore, DEFAULT_PREFIX};
use eidas_connector::store::{Kind, Store, StoreError};

use crate::redis_server::RedisServer;

const KINDS: [Kind; 5] = [Kind::Request, Kind::StartHandle, Kind::SamlRequest, Kind::ResponseHandle, Kind::Replay];
const LONG: Duration = Duration::from_secs(60);
const SHORT: Duration = Duration::from_millis(150);
/// Comfortably past `SHORT`.
const AFTER_SHORT: Duration = Duration::from_millis(450);
const OP_TIMEOUT: Duration = Duration::from_millis(500);
/// A case that runs longer than this has hung.
const CASE_TIMEOUT: Duration = Duration::from_secs(60);
const CONCURRENCY: usize = 32;

/// A backend under test; holds its Redis server (if any) as long as the store.
struct Backend {
    store: Arc<dyn Store>,
    name: &'static str,
    _server: Option<RedisServer>,
    _tls: Option<(crate::redis_tls::TlsRedis, crate::redis_tls::TestPki)>,
}

fn memory_backend() -> Option<Backend> {
    Some(Backend { store: Arc::new(MemoryStore::new(10_000)), name: "memory", _server: None, _tls: None })
}

fn redis_backend() -> Option<Backend> {
    let server = RedisServer::start()?;
    let store = RedisStore::connect(&server.url(), DEFAULT_PREFIX, OP_TIMEOUT).unwrap();
    Some(Backend { store: Arc::new(store), name: "redis", _server: Some(server), _tls: None })
}

/// Redis over TLS with a password and a private CA (`redis_tls`).
fn rediss_backend() -> Option<Backend> {
    let (store, server, pki) = crate::redis_tls::rediss_store()?;
    Some(Backend { store: Arc::new(store), name: "redis", _server: None, _tls: Some((server, pki)) })
}

/// The contract, once for every backend.
mod cases {
    use super::*;

    pub async fn put_then_get_round_trips_every_kind_without_collisions(b: &Backend) {
        let s = &b.store;
        for kind in KINDS {
            s.put(kind, "same-key", kind.as_str().as_bytes(), LONG).await.unwrap();
        }
        for kind in KINDS {
            assert_eq!(s.get(kind, "same-key").await.unwrap(), Some(kind.as_str().as_bytes().to_vec()), "{kind:?}");
            assert_eq!(s.get(kind, "other-key").await.unwrap(), None, "{kind:?}");
        }
    }

    pub async fn values_and_keys_are_kept_byte_for_byte(b: &Backend) {
        let s = &b.store;
        let all_bytes: Vec<u8> = (0..=255u8).collect();
        let keys = ["_a1b2:c3 d4", "ID_é€", "with\nnewline", ""];
        for (i, key) in keys.iter().enumerate() {
            let value = [&all_bytes[..], &[i as u8]].concat();
            s.put(Kind::Replay, key, &value, LONG).await.unwrap();
            assert_eq!(s.get(Kind::Replay, key).await.unwrap(), Some(value), "{key:?}");
        }
        s.put(Kind::Request, "empty", b"", LONG).await.unwrap();
        assert_eq!(s.take(Kind::Request, "empty").await.unwrap(), Some(Vec::new()));
    }

    pub async fn put_replaces_the_previous_value(b: &Backend) {
        let s = &b.store;
        s.put(Kind::Request, "k", b"first", LONG).await.unwrap();
        s.put(Kind::Request, "k", b"second", LONG).await.unwrap();
        assert_eq!(s.get(Kind::Request, "k").await.unwrap(), Some(b"second".to_vec()));
    }

    pub async fn put_new_writes_once_then_reports_the_key_as_taken(b: &Backend) {
        let s = &b.store;
        assert!(s.put_new(Kind::Replay, "id-1", b"first", LONG).await.unwrap());
        assert!(!s.put_new(Kind::Replay, "id-1", b"second", LONG).await.unwrap());
        assert_eq!(s.get(Kind::Replay, "id-1").await.unwrap(), Some(b"first".to_vec()));
        // Another kind is another key space.
        assert!(s.put_new(Kind::SamlRequest, "id-1", b"other", LONG).await.unwrap());
    }

    pub async fn take_returns_the_value_once_then_none(b: &Backend) {
        let s = &b.store;
        s.put(Kind::ResponseHandle, "h", b"outcome", LONG).await.unwrap();
        assert_eq!(s.take(Kind::ResponseHandle, "h").await.unwrap(), Some(b"outcome".to_vec()));
        assert_eq!(s.take(Kind::ResponseHandle, "h").await.unwrap(), None);
        assert_eq!(s.get(Kind::ResponseHandle, "h").await.unwrap(), None);
        assert_eq!(s.take(Kind::ResponseHandle, "never-written").await.unwrap(), None);
    }

    pub async fn concurrent_takes_of_one_key_give_the_value_exactly_once(b: &Backend) {
        b.store.put(Kind::ResponseHandle, "race", b"outcome", LONG).await.unwrap();
        let results = concurrently(&b.store, |s| async move { s.take(Kind::ResponseHandle, "race").await }).await;
        let got: Vec<_> = results.into_iter().filter_map(Result::unwrap).collect();
        assert_eq!(got, vec![b"outcome".to_vec()]);
    }

    pub async fn concurrent_put_new_of_one_key_succeeds_exactly_once(b: &Backend) {
        let results =
            concurrently(&b.store, |s| async move { s.put_new(Kind::Replay, "race", b"seen", LONG).await }).await;
        let written = results.into_iter().map(Result::unwrap).filter(|w| *w).count();
        assert_eq!(written, 1);
    }

    pub async fn entries_expire_after_their_ttl(b: &Backend) {
        let s = &b.store;
        s.put(Kind::Request, "short", b"v", SHORT).await.unwrap();
        assert!(s.put_new(Kind::Replay, "short", b"v", SHORT).await.unwrap());
        s.put(Kind::ResponseHandle, "short", b"v", SHORT).await.unwrap();
        s.put(Kind::Request, "long", b"v", LONG).await.unwrap();
        tokio::time::sleep(AFTER_SHORT).await;
        assert_eq!(s.get(Kind::Request, "short").await.unwrap(), None);
        assert_eq!(s.take(Kind::ResponseHandle, "short").await.unwrap(), None);
        assert!(!s.delete(Kind::Request, "short").await.unwrap());
        // An expired replay entry no longer blocks its ID.
        assert!(s.put_new(Kind::Replay, "short", b"v", LONG).await.unwrap());
        assert_eq!(s.get(Kind::Request, "long").await.unwrap(), Some(b"v".to_vec()));
    }

    pub async fn replacing_an_entry_gives_it_the_new_ttl(b: &Backend) {
        let s = &b.store;
        s.put(Kind::Request, "extended", b"v1", SHORT).await.unwrap();
        s.put(Kind::Request, "extended", b"v2", LONG).await.unwrap();
        s.put(Kind::Request, "shortened", b"v1", LONG).await.unwrap();
        s.put(Kind::Request, "shortened", b"v2", SHORT).await.unwrap();
        tokio::time::sleep(AFTER_SHORT).await;
        assert_eq!(s.get(Kind::Request, "extended").await.unwrap(), Some(b"v2".to_vec()));
        assert_eq!(s.get(Kind::Request, "shortened").await.unwrap(), None);
    }

    pub async fn delete_reports_whether_the_key_existed(b: &Backend) {
        let s = &b.store;
        s.put(Kind::StartHandle, "d", b"v", LONG).await.unwrap();
        assert!(s.delete(Kind::StartHandle, "d").await.unwrap());
        assert!(!s.delete(Kind::StartHandle, "d").await.unwrap());
        assert_eq!(s.get(Kind::StartHandle, "d").await.unwrap(), None);
    }

    pub async fn ping_answers_and_backend_gives_its_name(b: &Backend) {
        b.store.ping().await.unwrap();
        assert_eq!(b.store.backend(), b.name);
    }

    /// Runs `op` `CONCURRENCY` times at once (released together by a barrier).
    async fn concurrently<T, F, Fut>(store: &Arc<dyn Store>, op: F) -> Vec<T>
    where
        T: Send + 'static,
        F: Fn(Arc<dyn Store>) -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
    {
        let barrier = Arc::new(tokio::sync::Barrier::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..CONCURRENCY {
            let (barrier, fut) = (barrier.clone(), op(store.clone()));
            tasks.spawn(async move {
                barrier.wait().await;
                fut.await
            });
        }
        tasks.join_all().await
    }
}

/// One test per case and backend: `store_contract::{memory,redis}::<case>`.
macro_rules! contract {
    ($backend:ident, $make:path, [$($case:ident),* $(,)?]) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(b) = $make() else { return };
                    tokio::time::timeout(super::CASE_TIMEOUT, super::cases::$case(&b)).await.expect("case hung");
                }
            )*
        }
    };
}

macro_rules! contract_for_both {
    ($($case:ident),* $(,)?) => {
        contract!(memory, super::memory_backend, [$($case),*]);
        contract!(redis, super::redis_backend, [$($case),*]);
        contract!(rediss, super::rediss_backend, [$($case),*]);
    };
}

contract_for_both!(
    put_then_get_round_trips_every_kind_without_collisions,
    values_and_keys_are_kept_byte_for_byte,
    put_replaces_the_previous_value,
    put_new_writes_once_then_reports_the_key_as_taken,
    take_returns_the_value_once_then_none,
    concurrent_takes_of_one_key_give_the_value_exactly_once,
    concurrent_put_new_of_one_key_succeeds_exactly_once,
    entries_expire_after_their_ttl,
    replacing_an_entry_gives_it_the_new_ttl,
    delete_reports_whether_the_key_existed,
    ping_answers_and_backend_gives_its_name,
);

mod memory_only {
    use super::*;

    #[tokio::test]
    async fn memory_store_is_full_at_its_bound_and_has_room_again_after_expiry() {
        let s = MemoryStore::new(3);
        s.put(Kind::Request, "a", b"1", SHORT).await.unwrap();
        s.put(Kind::Request, "b", b"2", SHORT).await.unwrap();
        assert!(s.put_new(Kind::Replay, "c", b"3", LONG).await.unwrap());
        assert_eq!(s.put(Kind::Request, "d", b"4", LONG).await, Err(StoreError::Full));
        assert_eq!(s.put_new(Kind::Replay, "d", b"4", LONG).await, Err(StoreError::Full));
        assert_eq!(StoreError::Full.code(), "store_full");
        // Nothing was evicted to make room.
        assert_eq!(s.get(Kind::Replay, "c").await.unwrap(), Some(b"3".to_vec()));
        assert!(!s.put_new(Kind::Replay, "c", b"again", LONG).await.unwrap());
        tokio::time::sleep(AFTER_SHORT).await;
        s.put(Kind::Request, "d", b"4", LONG).await.unwrap();
        assert!(s.put_new(Kind::Replay, "e", b"5", LONG).await.unwrap());
        assert_eq!(s.put(Kind::Request, "f", b"6", LONG).await, Err(StoreError::Full));
        assert_eq!(s.len(), 3);
    }
}
