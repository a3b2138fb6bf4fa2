//! The scheduling rule: which plan tasks a claim hands to a worker, and what
//! claiming does to them. Stated here once, as pure functions of the facts a
//! claim reads.
//!
//! The store's claim (`WorkQueue::claim`, and the claim a settlement makes
//! within its plans) implements this rule: its ready query is [`is_ready`]
//! written in SQL, at most [`window`] rows long, and it picks among those rows
//! with [`choose`] (on PostgreSQL, both inside the server-side step function). A differential test in the store runs [`claim`] and the
//! store's claim on random sets of tasks and requires the same choice, so the
//! SQL cannot drift from this statement.
//!
//! The window is the one choice the rule leaves to the database: with more
//! tasks ready than the window holds, the claim reads those the ready index
//! yields first. Ordering every ready task (by id, say) would make the ready
//! query read and sort all of them on every claim instead of stopping at the
//! window: ten times the query's cost with a thousand tasks ready.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::id::{PlanId, TaskId};
use crate::tracker::TaskStatus;
use crate::workspace::MemberKind;

/// Ready tasks a claim reads per task it may take: room for candidates passed
/// over because their plan runs a task alone, bounded so that a claim reads a
/// few rows of a long queue, never all of it.
pub const CANDIDATES_PER_SLOT: usize = 4;

/// What the rule reads of one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskFacts {
    pub id: TaskId,
    /// The engine runs a plan's tasks only.
    pub plan: Option<PlanId>,
    pub status: TaskStatus,
    /// How many of the tasks it depends on are not done.
    pub open_dependencies: u32,
    /// A retry's earliest start.
    pub not_before: Option<DateTime<Utc>>,
    /// Whether it names an `agent_type` (a registry assistant).
    pub agent_type: bool,
    pub assignee: Option<AssigneeFacts>,
    /// `false`: it runs only when nothing else of its plan does.
    pub can_parallel: bool,
}

/// What the rule reads of a task's assignee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssigneeFacts {
    pub kind: MemberKind,
    /// Whether the member is a registry assistant (an agent member may be a
    /// service account with none, which nothing can run as).
    pub has_assistant: bool,
}

impl TaskFacts {
    /// An agent runs it: it names an `agent_type`, or its assignee is an agent
    /// member with an assistant. Anything else is for people.
    #[must_use]
    pub fn run_by_agent(&self) -> bool {
        self.agent_type
            || self
                .assignee
                .is_some_and(|a| a.kind == MemberKind::Agent && a.has_assistant)
    }

    /// What a claim does to the facts the rule reads, as `Task::start` does to
    /// the task: it is in progress, with no wait left.
    pub fn claim(&mut self) {
        self.status = TaskStatus::InProgress;
        self.not_before = None;
    }
}

/// What already runs in one plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Running {
    /// Tasks in progress.
    pub tasks: usize,
    /// Whether one of them may not run in parallel.
    pub alone: bool,
}

impl Running {
    /// What runs in each plan of `tasks`.
    #[must_use]
    pub fn per_plan(tasks: &[TaskFacts]) -> HashMap<PlanId, Self> {
        let mut running: HashMap<PlanId, Self> = HashMap::new();
        for task in tasks {
            if let Some(plan) = task.plan
                && task.status == TaskStatus::InProgress
            {
                running.entry(plan).or_default().add(task.can_parallel);
            }
        }
        running
    }

    /// Whether a task may start beside this: nothing runs alone, and a task
    /// that must run alone starts only where nothing runs.
    #[must_use]
    pub const fn admits(self, can_parallel: bool) -> bool {
        !self.alone && (can_parallel || self.tasks == 0)
    }

    fn add(&mut self, can_parallel: bool) {
        self.tasks += 1;
        self.alone |= !can_parallel;
    }
}

/// Whether `task` may be claimed at `now` while `running` runs in its plan: a
/// plan task, with no open dependency, waiting (`pending`, or `retrying`
/// with its backoff over: `not_before` at or before `now`), run by an agent,
/// and admitted by what runs in its plan.
#[must_use]
pub fn is_ready(task: &TaskFacts, running: Running, now: DateTime<Utc>) -> bool {
    task.plan.is_some()
        && task.open_dependencies == 0
        && matches!(task.status, TaskStatus::Pending | TaskStatus::Retrying)
        && task.not_before.is_none_or(|due| due <= now)
        && task.run_by_agent()
        && running.admits(task.can_parallel)
}

/// How many ready tasks a claim of up to `limit` reads.
#[must_use]
pub const fn window(limit: usize) -> usize {
    limit.saturating_mul(CANDIDATES_PER_SLOT)
}

/// A ready task as [`choose`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: TaskId,
    pub plan: PlanId,
    pub can_parallel: bool,
}

/// The tasks one claim takes of `ready` (tasks [`is_ready`] admitted): at
/// most `limit`, in id order (ids are time-ordered: the oldest first), each
/// admitted by what the claim took of its plan before it. A task
/// that must run alone therefore takes none of its plan beside it, and is
/// passed over when the claim took another task of its plan first.
#[must_use]
pub fn choose(ready: &[Candidate], limit: usize) -> Vec<TaskId> {
    // What ran before counts too, but `is_ready` already turned away every
    // candidate it does not admit; what the claim adds is what remains.
    let mut ready = ready.to_vec();
    ready.sort_unstable_by_key(|c| c.id);
    let mut taken: HashMap<PlanId, Running> = HashMap::new();
    let mut chosen = Vec::new();
    for candidate in ready {
        if chosen.len() == limit {
            break;
        }
        let plan = taken.entry(candidate.plan).or_default();
        if plan.admits(candidate.can_parallel) {
            plan.add(candidate.can_parallel);
            chosen.push(candidate.id);
        }
    }
    chosen
}

/// The whole rule on a full picture of the tasks: what a claim of up to
/// `limit` at `now` takes, in the order taken, when at most [`window`] tasks
/// are ready; with more, the claim chooses the same way among the window it
/// read. The store reaches the same choice reading only the ready rows it
/// needs.
#[must_use]
pub fn claim(tasks: &[TaskFacts], now: DateTime<Utc>, limit: usize) -> Vec<TaskId> {
    let running = Running::per_plan(tasks);
    let ready: Vec<Candidate> = tasks
        .iter()
        .filter_map(|task| {
            let plan = task.plan?;
            let here = running.get(&plan).copied().unwrap_or_default();
            is_ready(task, here, now).then_some(Candidate {
                id: task.id,
                plan,
                can_parallel: task.can_parallel,
            })
        })
        .collect();
    choose(&ready, limit)
}

#[cfg(test)]
mod tests;
