//! What planning needs from storage: plans with their task graphs, and the work
//! queue the engine claims ready tasks from under leases.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{NewPlan, Plan, PlanStatus};
use crate::Result;
use crate::clock::Clock;
use crate::event::Event;
use crate::id::{PlanId, ProjectId, TaskId};
use crate::tracker::{Task, TaskResult};

/// Which plans a listing shows: newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanQuery {
    pub project_id: ProjectId,
    pub status: Option<PlanStatus>,
    /// Only plans older than this one.
    pub before: Option<PlanId>,
    pub limit: u32,
}

/// Plans and their tasks.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PlanRepo: Send + Sync {
    /// Stores the plan, its tasks (numbered in the order given, which follows
    /// the dependencies) and their dependencies, with `events`, and returns the
    /// tasks as stored.
    async fn create_plan(&self, plan: &NewPlan, events: &[Event]) -> Result<Vec<Task>>;
    async fn get_plan(&self, id: PlanId) -> Result<Option<Plan>>;
    /// The plan's tasks, by number.
    async fn plan_tasks(&self, id: PlanId) -> Result<Vec<Task>>;
    async fn list_plans(&self, query: &PlanQuery) -> Result<Vec<Plan>>;
    /// The title and result of each task `task` depends on, by number: what
    /// its agent is told they produced.
    async fn dependency_results(&self, task: TaskId) -> Result<Vec<(String, Option<TaskResult>)>>;
    /// Writes tasks of the plan as their methods left them, each if still at the
    /// version given, marks the plan aborted when `abort`, re-derives its status
    /// (with a `plan_status` event when it moves) and records `events`.
    ///
    /// # Errors
    /// `StaleVersion` when a task changed meanwhile; nothing is written.
    async fn update_plan_tasks(
        &self,
        plan: PlanId,
        tasks: &[(Task, i64)],
        abort: bool,
        events: &[Event],
    ) -> Result<()>;
    /// Deletes the plan, its tasks and their events, and records `events`.
    async fn delete_plan(&self, id: PlanId, events: &[Event]) -> Result<()>;
}

/// A task a worker holds under a lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The task as it was claimed (already `in_progress`).
    pub task: Task,
    /// The lease's fencing token: only a write naming it settles the task.
    pub fence: i64,
    pub lease_until: DateTime<Utc>,
}

/// A write of a held task: as its methods left it, with its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settlement {
    pub task: Task,
    pub fence: i64,
    pub events: Vec<Event>,
    /// For a task going back to wait: when its next attempt falls due.
    pub retry_at: Option<DateTime<Utc>>,
    /// `false`: written by the lease holder, which must still hold it;
    /// `true`: written for a holder whose lease expired (and so no longer can).
    pub expired: bool,
}

/// Who claims, how many tasks at most, and until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRequest {
    pub worker: String,
    pub limit: usize,
    pub lease_until: DateTime<Utc>,
}

/// Where the engine finds work. Implementations let many workers, in many
/// processes, share it: a task is held by one lease at a time.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WorkQueue: Send + Sync {
    /// Claims up to `limit` ready tasks for `worker` until `lease_until`: tasks
    /// of a plan not aborted, `pending` or due `retrying`, whose dependencies
    /// are all done and that an agent runs (an `agent_type`, or an agent
    /// assignee); a task that may not run in parallel only when nothing else of
    /// its plan runs, and nothing beside it. Each claimed task starts (with its
    /// `task_status` event) under the next fencing token.
    async fn claim(
        &self,
        worker: &str,
        limit: usize,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<Claim>>;
    /// Extends the leases still held; returns the tasks whose lease was lost.
    async fn heartbeat(
        &self,
        held: &[(TaskId, i64)],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<TaskId>>;
    /// Of the leases named, those no longer held (the fence moved on, the task
    /// is no longer running, or the lease ran out), without extending any.
    async fn still_held(&self, held: &[(TaskId, i64)], now: DateTime<Utc>) -> Result<Vec<TaskId>>;
    /// Writes each settlement whose fence still holds (see
    /// [`Settlement::expired`]): the task, the dependents it unblocks or (when
    /// it failed for good) skips, its plan's derived status, and its events, in
    /// one transaction per batch. Returns, per settlement, whether it was written.
    async fn settle(&self, settlements: &[Settlement], now: DateTime<Utc>) -> Result<Vec<bool>>;
    /// As [`WorkQueue::settle`], then, in the same transaction, claims as
    /// [`WorkQueue::claim`] does up to `then.limit` ready tasks of the settled
    /// tasks' plans: the work a settlement makes ready goes to the worker whose
    /// runs just ended, without another transaction or a wake-up. Other
    /// workers are woken only when ready work may remain.
    async fn settle_and_claim(
        &self,
        settlements: &[Settlement],
        now: DateTime<Utc>,
        then: &ClaimRequest,
    ) -> Result<(Vec<bool>, Vec<Claim>)>;
    /// Tasks in progress whose lease ran out before `now`.
    async fn expired(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Claim>>;
    /// Returns when work may have become ready (here or, on a shared database,
    /// in another process), or after `at_most`.
    async fn wait_for_work(&self, at_most: std::time::Duration);
    /// When the earliest waiting retry falls due.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>>;
}

/// Planning's ports, for wiring.
#[derive(Clone)]
pub struct Ports {
    pub plans: Arc<dyn PlanRepo>,
    pub queue: Arc<dyn WorkQueue>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
