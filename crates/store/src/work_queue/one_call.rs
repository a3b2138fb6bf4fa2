//! The step on PostgreSQL in one call: the settlements, their dependents'
//! counts and the claim run server-side in `agentry_step` (installed by the
//! migrator; its text says what it does), and the store adds what the
//! domain decides (each claimed task's start, each plan's derived status and
//! the events) in the same transaction. Four round trips (begin, the step,
//! the events, commit) instead of a dozen; five when a plan's status moves.
//!
//! Settlements that skip what lies downstream (a task failed for good) or
//! name one task twice take the general path (`settle`), which reads the
//! plan's tasks to decide what to skip.

use std::collections::HashSet;

use agentry_domain::event::Event;
use agentry_domain::id::{LabelId, PlanId, ProjectId, TaskId};
use agentry_domain::planning::{
    Claim, ClaimRequest, PlanStatus, Settlement, StatusCounts, schedule,
};
use agentry_domain::tracker::TaskStatus;
use agentry_domain::{Error, Result};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::Claimed;
use crate::Store;
use crate::entity::tasks;
use crate::error::{corrupt, db_error};
use crate::plan_state::{self, PlanFacts};

/// Whether the step function can write these settlements.
pub(super) fn suits(settlements: &[Settlement]) -> bool {
    let mut seen = HashSet::new();
    settlements.iter().all(|s| {
        let status = s.task.record().status;
        seen.insert(s.task.id()) && (status == TaskStatus::Done || !status.is_terminal())
    })
}

/// What `agentry_step` returns.
#[derive(Deserialize)]
struct Stepped {
    written: Vec<Uuid>,
    claimed: Vec<ClaimedRow>,
    read: usize,
    plans: Vec<PlanRow>,
}

/// A claimed task as it was before the claim.
#[derive(Deserialize)]
struct ClaimedRow {
    task: tasks::Model,
    labels: Vec<Uuid>,
    depends_on: Vec<Uuid>,
}

#[derive(Deserialize)]
struct PlanRow {
    id: Uuid,
    status: String,
    aborted: bool,
    project_id: Uuid,
    counts: std::collections::BTreeMap<String, u64>,
}

impl Store {
    /// Settlements, then a claim (within the plans they moved, or `anywhere`
    /// when there are none: a worker's own claim), in one transaction whose
    /// work is one call.
    pub(super) async fn step_in_one_call(
        &self,
        settlements: &[Settlement],
        now: DateTime<Utc>,
        then: Option<&ClaimRequest>,
        anywhere: bool,
    ) -> Result<(Vec<bool>, Vec<Claim>)> {
        let txn = self.begin_write().await?;
        let settled: Vec<Value> = settlements.iter().map(settled_row).collect();
        let limit = then.map_or(0, |c| c.limit);
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let values: [sea_orm::Value; 7] = [
            Value::Array(settled).into(),
            now.into(),
            then.map(|c| c.worker.clone()).into(),
            count(limit).into(),
            count(schedule::window(limit)).into(),
            then.map(|c| c.lease_until).into(),
            anywhere.into(),
        ];
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT agentry_step($1, $2, $3, $4, $5, $6, $7)",
                values,
            ))
            .await
            .map_err(db_error)?
            .ok_or_else(|| Error::internal("the step function returned no row"))?;
        let stepped: Value = row.try_get_by_index(0).map_err(db_error)?;
        let stepped: Stepped =
            serde_json::from_value(stepped).map_err(|e| corrupt("the step's answer", e))?;

        let written_ids: HashSet<Uuid> = stepped.written.iter().copied().collect();
        let written: Vec<bool> = settlements
            .iter()
            .map(|s| written_ids.contains(&s.task.id().0))
            .collect();
        let mut order: Vec<usize> = (0..settlements.len()).filter(|&i| written[i]).collect();
        order.sort_by_key(|&i| settlements[i].task.id());
        let mut events: Vec<Event> = order
            .iter()
            .flat_map(|&i| settlements[i].events.iter().cloned())
            .collect();
        let claimed = claims_of(stepped.claimed, stepped.read, then, now, &mut events)?;
        for plan in stepped.plans {
            events.extend(plan_state::record_plan_status(&txn, &plan.facts()?, false, now).await?);
        }
        self.commit_settled(txn, settlements, &written, claimed.left_ready, &events)
            .await?;
        Ok((written, claimed.claims))
    }
}

/// A settlement as the step function reads it: the columns the engine's
/// moves change, and how its lease is checked.
fn settled_row(s: &Settlement) -> Value {
    let t = s.task.record();
    let e = t.execution.as_ref();
    json!({
        "id": t.id.0,
        "fence": s.fence,
        "expired": s.expired,
        "releases": t.status != TaskStatus::InProgress,
        "status": t.status.as_str(),
        "progress": e.map_or(0, |e| e.progress),
        "retry_count": e.map_or(0, |e| e.retry_count),
        "error_message": e.and_then(|e| e.error_message.as_deref()),
        "result": e.and_then(|e| e.result.as_ref()).map(crate::tasks::result_json),
        "started_at": e.and_then(|e| e.started_at),
        "completed_at": e.and_then(|e| e.completed_at),
        "not_before": s.retry_at,
        "updated_at": t.updated_at,
    })
}

/// The claimed tasks, started as `Task::start` starts them (what the step
/// function wrote), their `task_status` events added to `events`.
fn claims_of(
    rows: Vec<ClaimedRow>,
    read: usize,
    then: Option<&ClaimRequest>,
    now: DateTime<Utc>,
    events: &mut Vec<Event>,
) -> Result<Claimed> {
    let Some(then) = then else {
        // What the settlements made ready is another worker's.
        return Ok(Claimed {
            claims: Vec::new(),
            left_ready: true,
        });
    };
    let mut claims = Vec::with_capacity(rows.len());
    for row in rows {
        let fence = row.task.fence;
        let labels = row.labels.into_iter().map(LabelId).collect();
        let depends_on = row.depends_on.into_iter().map(TaskId).collect();
        let task = crate::tasks::task_from(row.task, labels, depends_on)?;
        claims.push(super::started(task, fence, then.lease_until, now, events)?);
    }
    Ok(Claimed {
        left_ready: claims.len() < read,
        claims,
    })
}

impl PlanRow {
    fn facts(self) -> Result<PlanFacts> {
        let mut counts = StatusCounts::new();
        for (status, n) in self.counts {
            let status = TaskStatus::parse(&status).map_err(|e| corrupt("task status", e))?;
            counts.insert(status, n);
        }
        Ok(PlanFacts {
            plan: PlanId(self.id),
            project: ProjectId(self.project_id),
            status: PlanStatus::parse(&self.status).map_err(|e| corrupt("plan status", e))?,
            aborted: self.aborted,
            counts,
        })
    }
}
