//! When exits make a crash loop, and how long to wait after one.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Exits within a sliding window, and crash loops in a row.
#[derive(Debug)]
pub(crate) struct Crashes {
    pub threshold: u32,
    pub window: Duration,
    initial: Duration,
    max: Duration,
    recent: VecDeque<Instant>,
    /// Crash loops since a worker last stayed up a whole window.
    loops: u32,
}

impl Crashes {
    pub(crate) fn new(threshold: u32, window: Duration, initial: Duration, max: Duration) -> Self {
        Self {
            threshold,
            window,
            initial,
            max,
            recent: VecDeque::new(),
            loops: 0,
        }
    }

    /// A worker exited at `at` after `uptime`: the backoff when this exit
    /// completes a crash loop.
    pub(crate) fn exited(&mut self, at: Instant, uptime: Duration) -> Option<Duration> {
        if uptime >= self.window {
            self.loops = 0;
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
            return None;
        }
        self.recent.clear();
        self.loops = self.loops.saturating_add(1);
        let doubled = self.initial.saturating_mul(1 << (self.loops - 1).min(20));
        Some(doubled.min(self.max))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::Crashes;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn threshold_exits_within_the_window_make_a_loop_and_the_backoff_doubles_to_its_limit() {
        let mut crashes = Crashes::new(3, 10 * SECOND, SECOND, 3 * SECOND);
        let start = Instant::now();
        let at = |s: u32| start + s * SECOND;
        assert_eq!(crashes.exited(at(0), SECOND), None);
        assert_eq!(crashes.exited(at(1), SECOND), None);
        assert_eq!(crashes.exited(at(2), SECOND), Some(SECOND));
        let mut backoffs = Vec::new();
        for s in 3..12 {
            backoffs.extend(crashes.exited(at(s), SECOND));
        }
        assert_eq!(backoffs, [2 * SECOND, 3 * SECOND, 3 * SECOND]);
    }

    #[test]
    fn exits_spread_wider_than_the_window_are_no_loop_and_a_long_run_resets_the_backoff() {
        let mut crashes = Crashes::new(2, 10 * SECOND, SECOND, 60 * SECOND);
        let start = Instant::now();
        assert_eq!(crashes.exited(start, SECOND), None);
        assert_eq!(crashes.exited(start + 11 * SECOND, SECOND), None);
        assert_eq!(crashes.exited(start + 12 * SECOND, SECOND), Some(SECOND));
        assert_eq!(crashes.exited(start + 13 * SECOND, SECOND), None);
        assert_eq!(
            crashes.exited(start + 14 * SECOND, SECOND),
            Some(2 * SECOND)
        );
        // A worker that stayed up a whole window: the next loop starts over.
        assert_eq!(crashes.exited(start + 40 * SECOND, 20 * SECOND), None);
        assert_eq!(crashes.exited(start + 41 * SECOND, SECOND), Some(SECOND));
    }
}
