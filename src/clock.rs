//! The wall clock, as an argument: the service reads time only through a [`Clock`], so tests
//! and the operator commands can fix it (`saml/` and `xmlsec/` never read it at all).

use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// Where "now" comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant (UTC).
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to (tests, `--now`).
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock forward (or back, with a negative `by`).
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }

    /// Sets the clock.
    pub fn set(&self, at: OffsetDateTime) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        // A poisoned lock still holds a valid instant.
        match self.0.lock() {
            Ok(t) => *t,
            Err(p) => *p.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = ManualClock::new(datetime!(2026-11-25 10:00 UTC));
        assert_eq!(c.now(), datetime!(2026-11-25 10:00 UTC));
        c.advance(Duration::minutes(5));
        assert_eq!(c.now(), datetime!(2026-11-25 10:05 UTC));
        c.set(datetime!(2027-01-01 00:00 UTC));
        assert_eq!(c.now(), datetime!(2027-01-01 00:00 UTC));
    }
}
