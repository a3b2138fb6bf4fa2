//! When a connection last moved a byte, and how many of its requests are in
//! flight: one with none that has been silent for the header timeout is
//! closed, whether it never said which protocol it speaks, sent half an
//! HTTP/2 preface, or sits between requests. A request is in flight from its
//! head until its response's body is done, so a long operation or a stream
//! that is quiet between events is not idle.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// The watch on one connection, shared by its socket and its requests.
#[derive(Clone)]
pub(super) struct Activity(Arc<Watch>);

struct Watch {
    since: Instant,
    /// Milliseconds after `since` of the last byte moved, or request done.
    last: AtomicU64,
    in_flight: AtomicUsize,
}

/// A request in flight, until dropped (with its response's body).
pub(super) struct Busy(Activity);

impl Activity {
    pub(super) fn new() -> Self {
        Self(Arc::new(Watch {
            since: Instant::now(),
            last: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }))
    }

    pub(super) fn touch(&self) {
        let now = u64::try_from(self.0.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last.store(now, Ordering::Relaxed);
    }

    pub(super) fn busy(&self) -> Busy {
        self.0.in_flight.fetch_add(1, Ordering::Relaxed);
        Busy(self.clone())
    }

    /// Completes once the connection has had nothing in flight and moved
    /// nothing for `timeout`.
    pub(super) async fn expired(self, timeout: Duration) {
        loop {
            let last = self.0.since + Duration::from_millis(self.0.last.load(Ordering::Relaxed));
            let deadline = last + timeout;
            let now = Instant::now();
            if self.0.in_flight.load(Ordering::Relaxed) > 0 {
                // Its end counts as activity: the wait starts again from there.
                tokio::time::sleep_until(deadline.max(now + timeout)).await;
            } else if now >= deadline {
                return;
            } else {
                tokio::time::sleep_until(deadline).await;
            }
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::FutureExt as _;

    use super::Activity;

    #[tokio::test]
    async fn a_connection_is_idle_only_with_nothing_in_flight_for_the_whole_timeout() {
        let timeout = Duration::from_millis(300);
        let activity = Activity::new();
        let busy = activity.busy();
        let mut expired = Box::pin(activity.clone().expired(timeout));
        tokio::time::sleep(3 * timeout).await;
        assert!(
            (&mut expired).now_or_never().is_none(),
            "idle while a request was in flight"
        );
        drop(busy);
        tokio::time::sleep(timeout / 3).await;
        assert!((&mut expired).now_or_never().is_none(), "idle too soon");
        tokio::time::timeout(2 * timeout, expired)
            .await
            .expect("idle once nothing moved for the timeout");
    }
}
