//! When and how a country's metadata is fetched again: at startup ([`Peers::refresh_all`]),
//! on schedule ([`Peers::spawn_refresh`]: before `validUntil` and `cacheDuration` run out, at
//! most `max_refresh` apart, with backoff after a failure), and once when a Response is
//! signed by a certificate we do not know ([`Peers::refresh_after_unknown_signer`]).
//!
//! A failed attempt must never replace or extend the last good copy: the copy stays until its
//! own `validUntil`, after which the country is unavailable.

use std::hash::BuildHasher as _;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::fetch::fetch_metadata;
use super::verify::verify_document;
use super::{cache, Country, PeerSnapshot, Peers, PeersOptions, Source};
use crate::saml::CountryCode;

impl Peers {
    /// Fetches every country's metadata once, concurrently (startup). Failures are recorded in
    /// the status; a valid copy already held is kept.
    pub async fn refresh_all(&self) {
        let mut tasks = JoinSet::new();
        for index in 0..self.inner.countries.len() {
            let peers = self.clone();
            tasks.spawn(async move {
                if let Some(country) = peers.inner.countries.get(index) {
                    let _one_at_a_time = country.fetch_lock.lock().await;
                    peers.refresh(country).await;
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Starts the background refresh: one loop per country, until `shutdown` turns `true` (or
    /// its sender is dropped). Next refresh at the earlier of `validUntil` / `cacheDuration`
    /// ([`crate::saml::metadata::ProxyServiceMetadata::refresh_before`]) and `fetched_at +
    /// max_refresh`, never sooner than `min_refresh`; after a failure, retries from
    /// `retry_initial` doubling up to `retry_max`, with jitter.
    pub fn spawn_refresh(&self, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        let peers = self.clone();
        tokio::spawn(async move {
            let mut loops = JoinSet::new();
            for index in 0..peers.inner.countries.len() {
                loops.spawn(peers.clone().refresh_loop(index, shutdown.clone()));
            }
            while loops.join_next().await.is_some() {}
        })
    }

    /// Key rollover (eidas-spec §6.3: a one-off refresh when a Response is signed by an unknown
    /// certificate, rate-limited): fetches the country's metadata now, at most once per
    /// `rollover_cooldown`, and returns the snapshot only when its Response-signing
    /// certificates differ from those before the call. `None` otherwise (cooldown, failed
    /// fetch, same certificates, unknown country).
    ///
    /// # Security
    /// Only the configured URL is fetched and the result is verified like any refresh; the
    /// cooldown bounds what a stream of forged Responses can make us fetch.
    pub async fn refresh_after_unknown_signer(&self, code: CountryCode) -> Option<Arc<PeerSnapshot>> {
        let country = self.country(code)?;
        let before = self.snapshot(code).ok();
        let _one_at_a_time = country.fetch_lock.lock().await;
        let now = self.inner.clock.now();
        let allowed = {
            let mut state = country.write();
            let cooldown = time::Duration::try_from(self.inner.opts.rollover_cooldown).unwrap_or(time::Duration::MAX);
            // A clock set back does not extend the cooldown.
            let cooling = state.last_rollover.is_some_and(|t| t <= now && now < t.saturating_add(cooldown));
            if !cooling {
                state.last_rollover = Some(now);
            }
            !cooling
        };
        if allowed {
            tracing::info!(country = code.as_str(), "unknown Response signer: fetching the metadata again");
            self.refresh(country).await;
        } else {
            tracing::info!(
                country = code.as_str(),
                code = "peers.rollover_cooldown",
                "metadata rollover fetch skipped"
            );
        }
        // Also answers a caller that waited while another one fetched the new certificates.
        let after = self.snapshot(code).ok()?;
        let changed = before.as_ref().is_none_or(|b| b.signing_fingerprints() != after.signing_fingerprints());
        changed.then_some(after)
    }

    /// One fetch and verification of `country`; the caller holds its `fetch_lock`. True when a
    /// new copy was installed.
    async fn refresh(&self, country: &Country) -> bool {
        let inner = &self.inner;
        let code = country.config.code.as_str();
        let started = inner.clock.now();
        let fetched = fetch_metadata(&inner.client, country, inner.opts.max_metadata_bytes).await;
        let fetched_at = inner.clock.now();
        let verified = fetched.and_then(|bytes| {
            verify_document(&bytes, &country.config, fetched_at, fetched_at, Source::Network).map(|s| (bytes, s))
        });
        match verified {
            Ok((bytes, snapshot)) => {
                tracing::info!(
                    country = code,
                    valid_until = %snapshot.metadata.valid_until,
                    signing_certs = snapshot.metadata.signing_certs.len(),
                    "metadata refreshed"
                );
                {
                    let mut state = country.write();
                    state.current = Some(Arc::new(snapshot));
                    state.last_attempt = Some(started);
                    state.last_failure = None;
                    state.failures = 0;
                }
                if let Some(dir) = inner.opts.cache_dir.as_deref() {
                    if let Err(e) = cache::store(dir, country, &bytes, fetched_at).await {
                        tracing::warn!(country = code, code = "peers.cache_write_failed", error = %e, "metadata not cached");
                    }
                }
                true
            }
            Err(e) => {
                let mut state = country.write();
                let kept = state.current.as_ref().is_some_and(|s| s.is_valid_at(fetched_at));
                tracing::warn!(
                    country = code,
                    code = e.code(),
                    cause = e.cause_code(),
                    last_good_copy_kept = kept,
                    "metadata refresh failed"
                );
                state.last_attempt = Some(started);
                state.last_failure = Some((e.code(), e.reason()));
                state.failures = state.failures.saturating_add(1);
                false
            }
        }
    }

    async fn refresh_loop(self, index: usize, mut shutdown: watch::Receiver<bool>) {
        let Some(country) = self.inner.countries.get(index) else { return };
        loop {
            if *shutdown.borrow_and_update() {
                return;
            }
            let delay = self.next_delay(country);
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() { return }
                    continue;
                }
            }
            let refresh = async {
                let _one_at_a_time = country.fetch_lock.lock().await;
                self.refresh(country).await
            };
            tokio::select! {
                _ = refresh => {}
                changed = shutdown.changed() => {
                    if changed.is_err() { return }
                }
            }
        }
    }

    /// How long until `country`'s next scheduled attempt.
    fn next_delay(&self, country: &Country) -> Duration {
        let opts = &self.inner.opts;
        let state = country.read();
        if state.last_attempt.is_none() {
            return Duration::ZERO;
        }
        if state.failures > 0 {
            let jitter = std::collections::hash_map::RandomState::new().hash_one(state.failures);
            return backoff(opts, state.failures, jitter);
        }
        let Some(current) = state.current.as_deref() else { return opts.min_refresh };
        let max_refresh = time::Duration::try_from(opts.max_refresh).unwrap_or(time::Duration::MAX);
        let due =
            current.metadata.refresh_before(current.fetched_at).min(current.fetched_at.saturating_add(max_refresh));
        let until = Duration::try_from(due - self.inner.clock.now()).unwrap_or(Duration::ZERO);
        until.min(opts.max_refresh).max(opts.min_refresh)
    }
}

/// Retry delay after `failures` failed attempts in a row: `retry_initial × 2^(failures−1)`, at
/// most `retry_max`, minus up to a quarter taken from `jitter` (instances spread out).
fn backoff(opts: &PeersOptions, failures: u32, jitter: u64) -> Duration {
    let doublings = failures.saturating_sub(1).min(30);
    let nominal = opts.retry_initial.saturating_mul(1 << doublings).min(opts.retry_max);
    let quarter = u64::try_from((nominal / 4).as_nanos()).unwrap_or(u64::MAX);
    let cut = quarter.checked_add(1).map_or(jitter, |n| jitter % n);
    nominal.saturating_sub(Duration::from_nanos(cut))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::tests::{install, peers, NOW};

    fn opts() -> PeersOptions {
        PeersOptions::default()
    }

    #[test]
    fn retries_double_from_the_initial_delay_up_to_the_maximum() {
        let o = opts();
        assert_eq!(backoff(&o, 1, 0), Duration::from_secs(5));
        assert_eq!(backoff(&o, 2, 0), Duration::from_secs(10));
        assert_eq!(backoff(&o, 3, 0), Duration::from_secs(20));
        assert_eq!(backoff(&o, 7, 0), Duration::from_secs(300));
        assert_eq!(backoff(&o, u32::MAX, 0), Duration::from_secs(300));
    }

    #[test]
    fn jitter_takes_at_most_a_quarter_off() {
        let o = opts();
        for jitter in [1, 7, 1_000_000_007, u64::MAX / 3, u64::MAX] {
            for failures in [1, 4, 12] {
                let nominal = backoff(&o, failures, 0);
                let d = backoff(&o, failures, jitter);
                assert!(d <= nominal && d >= nominal - nominal / 4, "{failures} {jitter}: {d:?}");
            }
        }
    }

    #[test]
    fn the_first_attempt_is_due_at_once() {
        let (p, _) = peers(None);
        let es = p.inner.countries.first().unwrap();
        assert_eq!(p.next_delay(es), Duration::ZERO);
    }

    #[test]
    fn a_good_copy_is_refreshed_within_max_refresh_and_not_before_min_refresh() {
        let (p, clock) = peers(None);
        let es = p.inner.countries.first().unwrap();
        install(&p, "proxy-metadata.xml", NOW);
        es.write().last_attempt = Some(NOW);
        // validUntil is a year away and there is no cacheDuration: max_refresh after fetched_at.
        assert_eq!(p.next_delay(es), Duration::from_secs(3600));
        clock.advance(time::Duration::minutes(59) + time::Duration::seconds(30));
        assert_eq!(p.next_delay(es), Duration::from_secs(60), "not before min_refresh");
        clock.advance(time::Duration::days(400));
        assert_eq!(p.next_delay(es), Duration::from_secs(60));
    }

    #[test]
    fn a_short_cache_duration_brings_the_refresh_forward() {
        let (p, _) = peers(None);
        let es = p.inner.countries.first().unwrap();
        install(&p, "proxy-metadata.xml", NOW);
        {
            let mut state = es.write();
            state.last_attempt = Some(NOW);
            let mut s = state.current.as_deref().unwrap().clone();
            s.metadata.cache_duration = Some(time::Duration::minutes(10));
            state.current = Some(Arc::new(s));
        }
        assert_eq!(p.next_delay(es), Duration::from_secs(600));
    }

    #[test]
    fn after_a_failure_the_retry_backs_off() {
        let (p, _) = peers(None);
        let es = p.inner.countries.first().unwrap();
        {
            let mut state = es.write();
            state.last_attempt = Some(NOW);
            state.failures = 3;
        }
        let d = p.next_delay(es);
        assert!(d <= Duration::from_secs(20) && d >= Duration::from_secs(15), "{d:?}");
    }
}
