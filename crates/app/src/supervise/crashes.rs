//! When exits make a crash loop, and how long each restart in one waits.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use agentry_domain::retry::Backoff;

/// What a crash means for the next restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Restart {
    /// No crash loop: restart at once.
    Now,
    /// This exit made a crash loop: wait this long, and roll back.
    LoopDetected(Duration),
    /// A crash loop goes on: wait this long.
    HeldBack(Duration),
}

/// Exits within a sliding window and, once they made a crash loop, the
/// restarts held back since.
#[derive(Debug)]
pub(crate) struct Crashes {
    pub threshold: u32,
    pub window: Duration,
    backoff: Backoff,
    recent: VecDeque<Instant>,
    /// Restarts held back since the crash loop began; 0 outside one. A loop
    /// lasts until a worker stays up a whole window.
    held: u32,
}

impl Crashes {
    pub(crate) fn new(threshold: u32, window: Duration, backoff: Backoff) -> Self {
        Self {
            threshold,
            window,
            backoff,
            recent: VecDeque::new(),
            held: 0,
        }
    }

    /// A worker crashed at `at` after `uptime`: when the next one may start.
    /// Outside a crash loop at once, until `threshold` exits within the
    /// window make one; in a loop every restart waits, each twice as long as
    /// the one before (up to the backoff's cap). The waits are the full ones,
    /// not jittered: one supervisor restarts alone, and a predictable wait
    /// reads better in its log.
    pub(crate) fn exited(&mut self, at: Instant, uptime: Duration) -> Restart {
        if uptime >= self.window {
            self.held = 0;
        }
        if self.held > 0 {
            self.held = self.held.saturating_add(1);
            return Restart::HeldBack(self.backoff.full(self.held));
        }
        self.recent.push_back(at);
        while self
            .recent
            .front()
            .is_some_and(|first| at.duration_since(*first) > self.window)
        {
            self.recent.pop_front();
        }
        if self.recent.len() < usize::try_from(self.threshold).unwrap_or(usize::MAX) {
            return Restart::Now;
        }
        self.recent.clear();
        self.held = 1;
        Restart::LoopDetected(self.backoff.full(1))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use agentry_domain::retry::Backoff;

    use super::{Crashes, Restart};

    const SECOND: Duration = Duration::from_secs(1);

    fn crashes(threshold: u32, window: Duration, max: Duration) -> Crashes {
        Crashes::new(threshold, window, Backoff::new(SECOND, max))
    }

    #[test]
    fn threshold_exits_within_the_window_make_a_loop_and_every_restart_in_it_waits_twice_as_long_to_the_limit()
     {
        let mut crashes = crashes(3, 10 * SECOND, 3 * SECOND);
        let start = Instant::now();
        let at = |s: u32| start + s * SECOND;
        assert_eq!(crashes.exited(at(0), SECOND), Restart::Now);
        assert_eq!(crashes.exited(at(1), SECOND), Restart::Now);
        assert_eq!(crashes.exited(at(2), SECOND), Restart::LoopDetected(SECOND));
        let waits: Vec<Restart> = (3..8).map(|s| crashes.exited(at(s), SECOND)).collect();
        assert_eq!(
            waits,
            [2, 3, 3, 3, 3].map(|s| Restart::HeldBack(s * SECOND)),
            "no restart in the loop comes at once"
        );
    }

    #[test]
    fn exits_spread_wider_than_the_window_are_no_loop_and_a_long_run_ends_the_loop() {
        let mut crashes = crashes(2, 10 * SECOND, 60 * SECOND);
        let start = Instant::now();
        assert_eq!(crashes.exited(start, SECOND), Restart::Now);
        assert_eq!(crashes.exited(start + 11 * SECOND, SECOND), Restart::Now);
        assert_eq!(
            crashes.exited(start + 12 * SECOND, SECOND),
            Restart::LoopDetected(SECOND)
        );
        assert_eq!(
            crashes.exited(start + 14 * SECOND, SECOND),
            Restart::HeldBack(2 * SECOND)
        );
        // Still the loop, however far apart its crashes come.
        assert_eq!(
            crashes.exited(start + 30 * SECOND, 5 * SECOND),
            Restart::HeldBack(4 * SECOND)
        );
        // A worker that stayed up a whole window: the next loop starts over.
        assert_eq!(
            crashes.exited(start + 50 * SECOND, 20 * SECOND),
            Restart::Now
        );
        assert_eq!(
            crashes.exited(start + 51 * SECOND, SECOND),
            Restart::LoopDetected(SECOND)
        );
    }
}
