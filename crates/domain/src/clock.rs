//! Time as a port, so use cases and tests agree on "now".

use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};

/// The source of the current time (UTC).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        utc_now()
    }
}

/// The current time at microsecond precision: what both databases store, so a
/// value reads back exactly as it was written.
#[must_use]
pub fn utc_now() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}
