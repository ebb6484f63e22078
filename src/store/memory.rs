//! The in-memory store: the default backend when the connector runs as one instance. It owns
//! a bounded map with a TTL on every entry, behind one mutex; it must not be used when
//! several instances share the work (each would have its own state: use Redis).
//!
//! Expiry uses [`Instant`] (monotonic), never the wall clock, so a clock step cannot revive
//! or kill entries. Expired entries are never returned; they are removed by an amortized
//! sweep at the start of every call, which pops the entries whose deadline has passed from an
//! index ordered by deadline: each entry is removed exactly once, so the sweep costs
//! O(log n) per expired entry and nothing when none has expired.
//!
//! The store is **bounded** by a number of entries. When it is full (after the sweep), a
//! write of a new key fails with [`StoreError::Full`] and nothing is evicted: evicting would
//! silently lose a pending request, an acknowledged result waiting to be consumed, or a
//! replay entry (and with it the anti-replay guarantee). A flood therefore gets `Full` (a
//! 503) instead of exhausting memory or pushing out legitimate entries. The bound counts
//! entries, not bytes: callers bound the size of what they store.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{clamp_ttl, Kind, Store, StoreError};

/// A bounded in-memory [`Store`] for a single instance.
#[derive(Debug)]
pub struct MemoryStore {
    max_entries: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<(Kind, String), Entry>,
    /// Every entry's deadline, ordered: `(expires_at, seq)` → its key. Kept exactly in step
    /// with `entries` (one index row per entry), so the sweep pops only what has expired.
    deadlines: BTreeMap<(Instant, u64), (Kind, String)>,
    /// Distinguishes entries with the same deadline.
    next_seq: u64,
}

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires_at: Instant,
    seq: u64,
}

impl MemoryStore {
    /// A store that holds at most `max_entries` live entries (all kinds together). With
    /// `max_entries == 0` every write of a new key fails with [`StoreError::Full`].
    pub fn new(max_entries: usize) -> Self {
        Self { max_entries, inner: Mutex::new(Inner::default()) }
    }

    /// The number of live (unexpired) entries.
    pub fn len(&self) -> usize {
        let mut inner = self.lock();
        inner.sweep(Instant::now());
        inner.entries.len()
    }

    /// True when no live entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // No code path panics while holding the lock (map operations only fail by aborting
        // on allocation failure), so a poisoned lock still guards a consistent state.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn put_at(&self, now: Instant, kind: Kind, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.sweep(now);
        let k = (kind, key.to_owned());
        if !inner.entries.contains_key(&k) && inner.entries.len() >= self.max_entries {
            return Err(StoreError::Full);
        }
        inner.insert(k, value, deadline(now, ttl));
        Ok(())
    }

    fn put_new_at(&self, now: Instant, kind: Kind, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        inner.sweep(now);
        let k = (kind, key.to_owned());
        if inner.entries.contains_key(&k) {
            return Ok(false);
        }
        if inner.entries.len() >= self.max_entries {
            return Err(StoreError::Full);
        }
        inner.insert(k, value, deadline(now, ttl));
        Ok(true)
    }

    fn get_at(&self, now: Instant, kind: Kind, key: &str) -> Option<Vec<u8>> {
        let mut inner = self.lock();
        inner.sweep(now);
        inner.entries.get(&(kind, key.to_owned())).map(|e| e.value.clone())
    }

    fn take_at(&self, now: Instant, kind: Kind, key: &str) -> Option<Vec<u8>> {
        let mut inner = self.lock();
        inner.sweep(now);
        inner.remove(&(kind, key.to_owned())).map(|e| e.value)
    }

    fn delete_at(&self, now: Instant, kind: Kind, key: &str) -> bool {
        let mut inner = self.lock();
        inner.sweep(now);
        inner.remove(&(kind, key.to_owned())).is_some()
    }
}

impl Inner {
    /// Removes every entry whose deadline is at or before `now`.
    fn sweep(&mut self, now: Instant) {
        while let Some(row) = self.deadlines.first_entry() {
            if row.key().0 > now {
                break;
            }
            let k = row.remove();
            self.entries.remove(&k);
        }
    }

    fn insert(&mut self, k: (Kind, String), value: &[u8], expires_at: Instant) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.deadlines.insert((expires_at, seq), k.clone());
        let entry = Entry { value: value.to_vec(), expires_at, seq };
        if let Some(old) = self.entries.insert(k, entry) {
            self.deadlines.remove(&(old.expires_at, old.seq));
        }
    }

    fn remove(&mut self, k: &(Kind, String)) -> Option<Entry> {
        let entry = self.entries.remove(k)?;
        self.deadlines.remove(&(entry.expires_at, entry.seq));
        Some(entry)
    }
}

/// `now + ttl`, with the TTL clamped to the store's range (so the addition cannot overflow).
fn deadline(now: Instant, ttl: Duration) -> Instant {
    let ttl = clamp_ttl(ttl);
    // The clamped TTL is at most a year: adding it to a monotonic instant does not overflow
    // on any supported platform; if it ever did, the shortest TTL is the safe fallback.
    now.checked_add(ttl).unwrap_or(now)
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn put(&self, kind: Kind, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        self.put_at(Instant::now(), kind, key, value, ttl)
    }

    async fn put_new(&self, kind: Kind, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        self.put_new_at(Instant::now(), kind, key, value, ttl)
    }

    async fn get(&self, kind: Kind, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get_at(Instant::now(), kind, key))
    }

    async fn take(&self, kind: Kind, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.take_at(Instant::now(), kind, key))
    }

    async fn delete(&self, kind: Kind, key: &str) -> Result<bool, StoreError> {
        Ok(self.delete_at(Instant::now(), kind, key))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn at(t0: Instant, secs: u64) -> Instant {
        t0 + Duration::from_secs(secs)
    }

    /// Rows held internally, expired or not (what the sweep must keep small).
    fn rows(store: &MemoryStore) -> (usize, usize) {
        let inner = store.lock();
        (inner.entries.len(), inner.deadlines.len())
    }

    #[test]
    fn get_returns_nothing_once_the_ttl_has_passed() {
        let s = MemoryStore::new(10);
        let t0 = Instant::now();
        s.put_at(t0, Kind::Request, "k", b"v", Duration::from_secs(5)).unwrap();
        assert_eq!(s.get_at(at(t0, 4), Kind::Request, "k"), Some(b"v".to_vec()));
        assert_eq!(s.get_at(at(t0, 5), Kind::Request, "k"), None);
        assert_eq!(s.take_at(at(t0, 5), Kind::Request, "k"), None);
        assert!(!s.delete_at(at(t0, 5), Kind::Request, "k"));
    }

    #[test]
    fn put_new_succeeds_again_when_the_previous_entry_has_expired() {
        let s = MemoryStore::new(10);
        let t0 = Instant::now();
        assert_eq!(s.put_new_at(t0, Kind::Replay, "id", b"1", Duration::from_secs(5)), Ok(true));
        assert_eq!(s.put_new_at(at(t0, 4), Kind::Replay, "id", b"2", Duration::from_secs(5)), Ok(false));
        assert_eq!(s.put_new_at(at(t0, 5), Kind::Replay, "id", b"3", Duration::from_secs(5)), Ok(true));
        assert_eq!(s.get_at(at(t0, 6), Kind::Replay, "id"), Some(b"3".to_vec()));
    }

    #[test]
    fn sweep_removes_expired_entries_of_every_kind_on_any_call() {
        let s = MemoryStore::new(100);
        let t0 = Instant::now();
        for i in 0..10 {
            s.put_at(t0, Kind::Request, &format!("r{i}"), b"v", Duration::from_secs(1)).unwrap();
            s.put_at(t0, Kind::Replay, &format!("p{i}"), b"v", Duration::from_secs(2)).unwrap();
        }
        s.put_at(t0, Kind::StartHandle, "long", b"v", MIN).unwrap();
        assert_eq!(rows(&s), (21, 21));
        // A read of an unrelated key sweeps what has expired, oldest deadlines first.
        assert_eq!(s.get_at(at(t0, 1), Kind::SamlRequest, "other"), None);
        assert_eq!(rows(&s), (11, 11));
        assert_eq!(s.get_at(at(t0, 2), Kind::SamlRequest, "other"), None);
        assert_eq!(rows(&s), (1, 1));
        assert_eq!(s.get_at(at(t0, 2), Kind::StartHandle, "long"), Some(b"v".to_vec()));
    }

    #[test]
    fn replacing_an_entry_keeps_one_deadline_row_and_the_new_ttl() {
        let s = MemoryStore::new(10);
        let t0 = Instant::now();
        s.put_at(t0, Kind::Request, "k", b"old", Duration::from_secs(1)).unwrap();
        s.put_at(t0, Kind::Request, "k", b"new", Duration::from_secs(10)).unwrap();
        assert_eq!(rows(&s), (1, 1));
        // The old deadline no longer applies.
        assert_eq!(s.get_at(at(t0, 5), Kind::Request, "k"), Some(b"new".to_vec()));
        assert_eq!(s.take_at(at(t0, 5), Kind::Request, "k"), Some(b"new".to_vec()));
        assert_eq!(rows(&s), (0, 0));
    }

    #[test]
    fn put_returns_full_when_the_bound_is_reached_and_evicts_nothing() {
        let s = MemoryStore::new(2);
        let t0 = Instant::now();
        s.put_at(t0, Kind::Request, "a", b"1", MIN).unwrap();
        s.put_at(t0, Kind::Replay, "b", b"2", MIN).unwrap();
        assert_eq!(s.put_at(t0, Kind::Request, "c", b"3", MIN), Err(StoreError::Full));
        assert_eq!(s.put_new_at(t0, Kind::Request, "c", b"3", MIN), Err(StoreError::Full));
        // A key already there is still answered: replaced by put, "seen" by put_new.
        assert_eq!(s.put_at(t0, Kind::Request, "a", b"1b", MIN), Ok(()));
        assert_eq!(s.put_new_at(t0, Kind::Replay, "b", b"x", MIN), Ok(false));
        assert_eq!(s.get_at(t0, Kind::Request, "a"), Some(b"1b".to_vec()));
        assert_eq!(s.get_at(t0, Kind::Replay, "b"), Some(b"2".to_vec()));
    }

    #[test]
    fn put_finds_room_again_when_entries_expire_or_are_taken() {
        let s = MemoryStore::new(2);
        let t0 = Instant::now();
        s.put_at(t0, Kind::Request, "a", b"1", Duration::from_secs(1)).unwrap();
        s.put_at(t0, Kind::Request, "b", b"2", MIN).unwrap();
        assert_eq!(s.put_at(t0, Kind::Request, "c", b"3", MIN), Err(StoreError::Full));
        assert_eq!(s.put_at(at(t0, 1), Kind::Request, "c", b"3", MIN), Ok(()));
        assert_eq!(s.take_at(at(t0, 1), Kind::Request, "b"), Some(b"2".to_vec()));
        assert_eq!(s.put_new_at(at(t0, 1), Kind::Request, "d", b"4", MIN), Ok(true));
    }

    #[test]
    fn a_zero_bound_refuses_every_new_key() {
        let s = MemoryStore::new(0);
        assert_eq!(s.put_at(Instant::now(), Kind::Request, "a", b"1", MIN), Err(StoreError::Full));
        assert!(s.is_empty());
    }

    #[test]
    fn a_zero_ttl_lives_one_millisecond_and_a_huge_one_is_clamped() {
        let s = MemoryStore::new(10);
        let t0 = Instant::now();
        s.put_at(t0, Kind::Request, "zero", b"v", Duration::ZERO).unwrap();
        assert_eq!(s.get_at(t0, Kind::Request, "zero"), Some(b"v".to_vec()));
        assert_eq!(s.get_at(t0 + Duration::from_millis(1), Kind::Request, "zero"), None);
        s.put_at(t0, Kind::Request, "huge", b"v", Duration::MAX).unwrap();
        assert_eq!(s.get_at(t0 + super::super::MAX_TTL, Kind::Request, "huge"), None);
    }
}
