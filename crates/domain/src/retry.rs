//! The one backoff policy: how long to wait before the next try of anything
//! that failed and may succeed later (a plan task's attempt, a model
//! provider's request, a worker process that keeps crashing).
//!
//! It only computes waits. Each caller waits its own way: the engine stores a
//! retry time on the task, the model transport sleeps (unless the provider
//! named a `Retry-After`), the supervisor delays a restart. A retry loop
//! around a future (as `backon` offers) fits none of the three: two of them
//! persist or schedule the wait instead of sleeping in place.

use std::time::Duration;

/// Waits that double from `base` up to `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first retry.
    pub base: Duration,
    /// No wait is longer.
    pub max: Duration,
}

impl Default for Backoff {
    /// 1 s doubling to 60 s: a failed plan task's retries.
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// Waits doubling from `base` to `max`.
    #[must_use]
    pub const fn new(base: Duration, max: Duration) -> Self {
        Self { base, max }
    }

    /// The full wait before retry `n` (1 for the first): `base · 2^(n-1)`,
    /// capped at `max`. For a single caller, such as one supervisor
    /// restarting its worker, where spreading buys nothing and a predictable
    /// wait is easier to read in its log.
    #[must_use]
    pub fn full(&self, n: u32) -> Duration {
        let exponent = n.saturating_sub(1).min(30);
        self.base.saturating_mul(1 << exponent).min(self.max)
    }

    /// The wait before retry `n` (1 for the first): a random point in the
    /// upper half of [`Self::full`], so that callers that failed together
    /// (workers, or requests to one provider) do not retry together.
    #[must_use]
    pub fn delay(&self, n: u32) -> Duration {
        let full = self.full(n);
        let mut byte = [0u8; 2];
        // A failure to read randomness only loses the jitter.
        let _ = getrandom::fill(&mut byte);
        let fraction = f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX);
        full / 2 + full.mul_f64(fraction / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_retry_waits_about_twice_as_long_up_to_the_cap() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        for (n, full) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (40, 1000),
        ] {
            let full = Duration::from_millis(full);
            assert_eq!(backoff.full(n), full);
            for _ in 0..50 {
                let d = backoff.delay(n);
                assert!(
                    d >= full / 2 && d <= full,
                    "retry {n}: {d:?} outside {full:?}/2..{full:?}"
                );
            }
        }
    }

    #[test]
    fn jitter_spreads_the_waits() {
        let backoff = Backoff::default();
        let waits: std::collections::HashSet<Duration> =
            (0..20).map(|_| backoff.delay(3)).collect();
        assert!(waits.len() > 1);
    }

    #[test]
    fn retry_zero_waits_the_base_and_huge_counts_do_not_overflow() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::MAX);
        assert_eq!(backoff.full(0), Duration::from_secs(1));
        assert!(backoff.full(u32::MAX) >= Duration::from_secs(1 << 30));
    }
}
