//! The log as it grows, for live feeds: events by **position**, handed out
//! only once no event before them can still be committed, so a subscriber
//! that resumes after the last event it saw misses none and gets none twice.
//! Ids (UUID v7) are made before a transaction commits, and concurrent
//! transactions commit in any order, so an event with a smaller id can become
//! visible after one with a larger id was delivered; positions are what the
//! store can vouch for instead (see [`LiveLog::committed_after`]).

use async_trait::async_trait;

use crate::Result;
use crate::event::Event;
use crate::id::EventId;

/// Where an event stands in the live order: by `seq`, then by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogPosition {
    pub seq: i64,
    pub id: EventId,
}

impl LogPosition {
    /// Before every event.
    pub const START: Self = Self {
        seq: i64::MIN,
        id: EventId(uuid::Uuid::nil()),
    };
}

/// The log in its live order.
#[async_trait]
pub trait LiveLog: Send + Sync {
    /// Up to `limit` events after `after`, by position, among those no
    /// transaction still running can come before: once an event is returned,
    /// no event returned later has a smaller position.
    async fn committed_after(
        &self,
        after: LogPosition,
        limit: u32,
    ) -> Result<Vec<(LogPosition, Event)>>;

    /// Where the event `id` stands, if it exists.
    async fn position(&self, id: EventId) -> Result<Option<LogPosition>>;

    /// A position every event [`LiveLog::committed_after`] may return later
    /// comes after: where a feed that starts now starts.
    async fn head(&self) -> Result<LogPosition>;

    /// Waits until events may have been committed since the `seen` count of
    /// commits (or `at_most` passes); the count now. Counts commits of this
    /// process and, where the database tells, of others.
    async fn changed(&self, seen: u64, at_most: std::time::Duration) -> u64;
}
