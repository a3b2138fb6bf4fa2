//! A plan's status, derived from its tasks' statuses and written with every
//! change to them.

use std::collections::HashMap;

use crate::tracker::TaskStatus;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// Where a plan stands; never set by hand, always derived.
    pub enum PlanStatus("plan_status") {
        Pending = "pending",
        InProgress = "in_progress",
        Done = "done",
        Failed = "failed",
        Aborted = "aborted",
    }
}

/// How many of a plan's tasks are in each status.
pub type StatusCounts = HashMap<TaskStatus, u64>;

impl PlanStatus {
    /// The one rule: an aborted plan stays aborted; while any task is open
    /// (backlog, pending, blocked, running, retrying, in review) the plan is
    /// `pending` until something started and `in_progress` after; once every
    /// task is finished it is `failed` if any failed, else `done`.
    ///
    /// It reads which statuses are present, never how many tasks are in
    /// each: counts of at most 1 derive the same status, so a store may
    /// find the statuses present without counting every task of the plan.
    #[must_use]
    pub fn derive(counts: &StatusCounts, aborted: bool) -> Self {
        if aborted {
            return Self::Aborted;
        }
        let count = |s: TaskStatus| counts.get(&s).copied().unwrap_or(0);
        let open: u64 = counts
            .iter()
            .filter(|(s, _)| !s.is_terminal())
            .map(|(_, n)| n)
            .sum();
        let waiting = count(TaskStatus::Backlog) + count(TaskStatus::Pending);
        let total: u64 = counts.values().sum();
        if open == 0 {
            if count(TaskStatus::Failed) > 0 {
                Self::Failed
            } else {
                Self::Done
            }
        } else if waiting == total {
            Self::Pending
        } else {
            Self::InProgress
        }
    }

    /// Whether the plan can change no more (only a retry reopens a failed one).
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Done | Self::Failed | Self::Aborted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskStatus::*;

    fn of(pairs: &[(TaskStatus, u64)]) -> StatusCounts {
        pairs.iter().copied().collect()
    }

    #[test]
    fn a_plan_is_pending_until_a_task_moves() {
        assert_eq!(
            PlanStatus::derive(&of(&[(Pending, 3)]), false),
            PlanStatus::Pending
        );
        assert_eq!(
            PlanStatus::derive(&of(&[(Pending, 2), (InProgress, 1)]), false),
            PlanStatus::InProgress
        );
        assert_eq!(
            PlanStatus::derive(&of(&[(Pending, 2), (Done, 1)]), false),
            PlanStatus::InProgress
        );
    }

    #[test]
    fn a_finished_plan_failed_if_any_task_failed() {
        assert_eq!(
            PlanStatus::derive(&of(&[(Done, 2), (Skipped, 1)]), false),
            PlanStatus::Done
        );
        assert_eq!(
            PlanStatus::derive(&of(&[(Done, 2), (Failed, 1), (Skipped, 2)]), false),
            PlanStatus::Failed
        );
        // A failure with work still running elsewhere is not the end yet.
        assert_eq!(
            PlanStatus::derive(&of(&[(Failed, 1), (InProgress, 1)]), false),
            PlanStatus::InProgress
        );
        assert_eq!(
            PlanStatus::derive(&of(&[(Retrying, 1), (Done, 1)]), false),
            PlanStatus::InProgress
        );
    }

    #[test]
    fn only_which_statuses_are_present_counts() {
        // Every set of statuses, with one task in each and with several.
        for set in 0..1_u32 << TaskStatus::ALL.len() {
            let present = TaskStatus::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| set & (1 << i) != 0);
            let one: StatusCounts = present.clone().map(|(_, s)| (*s, 1)).collect();
            let several: StatusCounts = present.map(|(i, s)| (*s, 2 + i as u64)).collect();
            for aborted in [false, true] {
                assert_eq!(
                    PlanStatus::derive(&one, aborted),
                    PlanStatus::derive(&several, aborted),
                    "{one:?}"
                );
            }
        }
    }

    #[test]
    fn an_aborted_plan_stays_aborted() {
        assert_eq!(
            PlanStatus::derive(&of(&[(Done, 1)]), true),
            PlanStatus::Aborted
        );
    }
}
