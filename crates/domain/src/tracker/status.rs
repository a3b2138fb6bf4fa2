//! A task's status and the state machine of its moves.

use crate::vocabulary::vocabulary;
use crate::{Error, Result};

vocabulary! {
    /// A task's status: one set for the tracker and for the plan engine.
    pub enum TaskStatus("status") {
        Backlog = "backlog",
        Pending = "pending",
        InProgress = "in_progress",
        Review = "review",
        Blocked = "blocked",
        Retrying = "retrying",
        Done = "done",
        Failed = "failed",
        Skipped = "skipped",
        Cancelled = "cancelled",
    }
}

impl TaskStatus {
    /// Whether the work is over (nothing more will happen unless it is reopened).
    #[must_use]
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Done | Self::Failed | Self::Skipped | Self::Cancelled
        )
    }

    /// The statuses this one may move to. Terminal statuses reopen only to a
    /// waiting status, so history always shows the work starting again.
    #[must_use]
    pub const fn successors(self) -> &'static [Self] {
        use TaskStatus::*;
        match self {
            Backlog => &[Pending, InProgress, Cancelled],
            Pending => &[Backlog, InProgress, Blocked, Skipped, Cancelled],
            InProgress => &[Pending, Review, Blocked, Retrying, Done, Failed, Cancelled],
            Review => &[InProgress, Done, Failed, Cancelled],
            Blocked => &[Pending, InProgress, Skipped, Failed, Cancelled],
            Retrying => &[InProgress, Pending, Failed, Cancelled],
            Done => &[Backlog, Pending],
            Failed => &[Retrying, Pending, Cancelled],
            Skipped => &[Pending],
            Cancelled => &[Backlog, Pending],
        }
    }

    /// # Errors
    /// `InvalidTransition` when the state machine has no edge `self → to`.
    pub fn check_transition(self, to: Self) -> Result<()> {
        if self.successors().contains(&to) {
            Ok(())
        } else {
            Err(Error::InvalidTransition {
                from: self.as_str().to_owned(),
                to: to.as_str().to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TaskStatus::*;
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_name() {
        for &status in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(status.as_str()).unwrap(), status);
        }
        assert!(TaskStatus::parse("todo").is_err());
    }

    #[test]
    fn no_status_moves_to_itself() {
        for &status in TaskStatus::ALL {
            assert!(
                status.check_transition(status).is_err(),
                "{status} -> {status}"
            );
        }
    }

    #[test]
    fn the_engine_path_is_allowed() {
        for (from, to) in [
            (Pending, InProgress),
            (InProgress, Retrying),
            (Retrying, InProgress),
            (InProgress, Done),
            (Pending, Blocked),
            (Blocked, Skipped),
            (InProgress, Failed),
        ] {
            assert!(from.check_transition(to).is_ok(), "{from} -> {to}");
        }
    }

    #[test]
    fn finished_work_cannot_jump_to_another_outcome() {
        for (from, to) in [
            (Done, Failed),
            (Cancelled, Done),
            (Skipped, InProgress),
            (Backlog, Done),
        ] {
            let err = from.check_transition(to).unwrap_err();
            assert!(
                matches!(err, Error::InvalidTransition { .. }),
                "{from} -> {to}"
            );
        }
    }

    #[test]
    fn every_terminal_status_can_be_reopened() {
        for status in TaskStatus::ALL.iter().copied().filter(|s| s.is_terminal()) {
            assert!(
                status.successors().iter().any(|s| !s.is_terminal()),
                "{status}"
            );
        }
    }
}
