//! Per-project retention: a project may keep its events for a number of days;
//! older ones are pruned in bounded batches, a whole thread at a time, never what
//! is still needed.
//!
//! A thread (a root and every event under it by `parent_id`) goes only when
//! every event in it is older than the cutoff, and is kept while it touches a
//! task that is not closed or a plan that has not finished, or holds a plan's
//! `plan_created` (where its generation and its usage snapshots hang). The
//! `turn.completed` events of a finished plan are summed into its
//! `usage.snapshot` first, in the batch's transaction, so its usage stays
//! whole; an inbox row keeps its update id (a channel's offset, and whether an
//! update came) when its message goes.

use chrono::{DateTime, Utc};

use crate::id::{EventId, ProjectId};
use crate::{Error, Result};

/// The longest a project may keep its events, in days (a century).
pub const MAX_AGE_DAYS_MAX: u32 = 36_500;

/// Events per batch unless configured.
pub const BATCH_DEFAULT: u32 = 500;

/// The most events a batch may take (one thread alone may take more).
pub const BATCH_MAX: u32 = 10_000;

/// # Errors
/// `Validation` for 0 days or more than [`MAX_AGE_DAYS_MAX`].
pub fn check_max_age(days: Option<u32>) -> Result<Option<u32>> {
    match days {
        Some(d) if d == 0 || d > MAX_AGE_DAYS_MAX => Err(Error::validation(
            "max_age_days",
            format!("must be 1-{MAX_AGE_DAYS_MAX}, or null to keep every event"),
        )),
        days => Ok(days),
    }
}

/// One batch to prune: threads of `project` whose roots come after `after`
/// (in id order), whose events are all older than `cutoff`, up to `limit`
/// events (or one thread, when it alone has more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PruneBatch {
    pub project: ProjectId,
    pub cutoff: DateTime<Utc>,
    pub after: Option<EventId>,
    pub limit: u32,
    /// When the batch's own events (`events.pruned`, `usage.snapshot`) happen.
    pub now: DateTime<Utc>,
}

/// What a batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// The last root the batch looked at: the next batch starts after it.
    /// `None` when there was none left: the pass is done.
    pub last_root: Option<EventId>,
    pub events: u64,
    pub threads: u64,
    /// Threads old enough but still needed.
    pub kept: u64,
    pub attachments: u64,
    pub snapshots: u64,
    /// Blobs of the deleted attachments that no other attachment names: the
    /// caller deletes them once the batch has committed.
    pub orphaned_blobs: Vec<String>,
    /// How long the batch's transaction held the database's writer.
    pub held: std::time::Duration,
}

/// What a pass over a project did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PruneReport {
    pub project: ProjectId,
    pub cutoff: DateTime<Utc>,
    pub batches: u64,
    pub events: u64,
    pub threads: u64,
    pub kept: u64,
    pub attachments: u64,
    pub snapshots: u64,
}

impl PruneReport {
    pub(crate) fn new(project: ProjectId, cutoff: DateTime<Utc>) -> Self {
        Self {
            project,
            cutoff,
            batches: 0,
            events: 0,
            threads: 0,
            kept: 0,
            attachments: 0,
            snapshots: 0,
        }
    }

    pub(crate) fn add(&mut self, batch: &Pruned) {
        self.batches += 1;
        self.events += batch.events;
        self.threads += batch.threads;
        self.kept += batch.kept;
        self.attachments += batch.attachments;
        self.snapshots += batch.snapshots;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_a_day_to_a_century_or_forever() {
        assert_eq!(check_max_age(None).unwrap(), None);
        assert_eq!(check_max_age(Some(1)).unwrap(), Some(1));
        assert_eq!(check_max_age(Some(36_500)).unwrap(), Some(36_500));
        assert!(check_max_age(Some(0)).is_err());
        assert!(check_max_age(Some(36_501)).is_err());
    }
}
