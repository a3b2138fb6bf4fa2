//! Settlements written in one transaction: every task's fenced update in one
//! statement, their dependents' counts in another, then (when asked) a claim
//! of what they made ready within their plans, and the plans' statuses.

use std::collections::HashSet;

use agentry_domain::Result;
use agentry_domain::event::Event;
use agentry_domain::id::PlanId;
use agentry_domain::planning::{Claim, ClaimRequest, Settlement};
use agentry_domain::tracker::TaskStatus;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait as _, DatabaseTransaction, DbBackend, Statement};
use uuid::Uuid;

use crate::Store;
use crate::error::db_error;
use crate::plan_state;

/// The columns each settlement gives, in the order of its values.
const COLUMNS: &str = "id, fence, expired, releases, status, progress, retry_count, \
                       error_message, result, started_at, completed_at, not_before, updated_at";

impl Store {
    /// Settlements, then (when asked) a claim within their plans, in one
    /// transaction.
    pub(super) async fn settle_then(
        &self,
        settlements: &[Settlement],
        now: DateTime<Utc>,
        then: Option<&ClaimRequest>,
    ) -> Result<(Vec<bool>, Vec<Claim>)> {
        if self.backend() == crate::Backend::Postgres && super::one_call::suits(settlements) {
            return self.step_in_one_call(settlements, now, then, false).await;
        }
        let txn = self.begin_write().await?;
        let plans = plan_state::plans_of(settlements.iter().map(|s| &s.task));
        for plan in &plans {
            plan_state::lock_plan(&txn, *plan).await?;
        }
        let updated = write_tasks(&txn, settlements, now).await?;
        let written: Vec<bool> = settlements
            .iter()
            .map(|s| updated.contains(&s.task.id().0))
            .collect();
        let mut order: Vec<usize> = (0..settlements.len()).filter(|&i| written[i]).collect();
        order.sort_by_key(|&i| settlements[i].task.id());
        let mut events = Vec::new();
        // Tasks done: their dependents' counts move in one statement.
        let mut done = Vec::new();
        for i in order {
            let s = &settlements[i];
            let status = s.task.record().status;
            events.extend(s.events.iter().cloned());
            if status == TaskStatus::Done {
                done.push(s.task.id());
            } else if status != TaskStatus::InProgress {
                events.extend(
                    plan_state::after_status_change(
                        &txn,
                        &s.task,
                        TaskStatus::InProgress,
                        now,
                        true,
                    )
                    .await?,
                );
            }
        }
        plan_state::unblock_dependents(&txn, &done).await?;
        let moved: Vec<PlanId> = plan_state::plans_of(
            settlements
                .iter()
                .zip(&written)
                .filter(|(s, w)| **w && s.task.record().status != TaskStatus::InProgress)
                .map(|(s, _)| &s.task),
        );
        // Without a claim, what the settlements made ready is another worker's.
        let mut claimed = super::Claimed {
            claims: Vec::new(),
            left_ready: true,
        };
        if let Some(then) = then
            && !moved.is_empty()
        {
            claimed = self
                .claim_in(&txn, then, now, Some(&moved), &mut events)
                .await?;
        }
        for plan in &moved {
            events.extend(plan_state::refresh_plan(&txn, *plan, false, now).await?);
        }
        self.commit_settled(txn, settlements, &written, claimed.left_ready, &events)
            .await?;
        Ok((written, claimed.claims))
    }

    /// Ends a settlement's transaction: its events, a notice when it left
    /// work for other workers, the commit, then the wake-ups. What its claim
    /// took needs no other worker; what it left ready (`left_ready`) does,
    /// and so does a retry, whose wait a worker must time.
    pub(super) async fn commit_settled(
        &self,
        txn: DatabaseTransaction,
        settlements: &[Settlement],
        written: &[bool],
        left_ready: bool,
        events: &[Event],
    ) -> Result<()> {
        crate::events::insert(&txn, events).await?;
        let moved = settlements.iter().zip(written).any(|(s, w)| {
            *w && s.task.execution().is_some() && s.task.record().status != TaskStatus::InProgress
        });
        let retries = settlements
            .iter()
            .zip(written)
            .any(|(s, w)| *w && s.retry_at.is_some());
        let wake = moved && (left_ready || retries);
        if wake {
            self.work.announce(&txn).await?;
        }
        txn.commit().await.map_err(db_error)?;
        if !events.is_empty() {
            self.commits.bump();
        }
        if wake {
            self.work.wake();
        }
        Ok(())
    }
}

/// Writes each settlement whose fence and lease still hold, all in one
/// statement; the ids written. What the engine's moves change: the status,
/// the execution state and the next version, counted from the stored one, so
/// an edit a person made to the task's own fields meanwhile stands.
async fn write_tasks(
    txn: &DatabaseTransaction,
    settlements: &[Settlement],
    now: DateTime<Utc>,
) -> Result<HashSet<Uuid>> {
    let ids: HashSet<Uuid> = settlements.iter().map(|s| s.task.id().0).collect();
    if ids.len() < settlements.len() {
        // One task twice: each write must see the one before.
        let mut written = HashSet::new();
        for s in settlements {
            written.extend(Box::pin(write_tasks(txn, std::slice::from_ref(s), now)).await?);
        }
        return Ok(written);
    }
    let backend = txn.get_database_backend();
    let postgres = backend == DbBackend::Postgres;
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut mark = |value: sea_orm::Value| {
        values.push(value);
        if postgres {
            format!("${}", values.len())
        } else {
            "?".to_owned()
        }
    };
    let rows: Vec<String> = settlements
        .iter()
        .map(|s| {
            let t = s.task.record();
            let e = t.execution.as_ref();
            let releases = t.status != TaskStatus::InProgress;
            let row = [
                mark(t.id.0.into()),
                mark(s.fence.into()),
                mark(s.expired.into()),
                mark(releases.into()),
                mark(t.status.as_str().into()),
                mark(i32::from(e.map_or(0, |e| e.progress)).into()),
                mark(
                    i32::try_from(e.map_or(0, |e| e.retry_count))
                        .unwrap_or(i32::MAX)
                        .into(),
                ),
                mark(e.and_then(|e| e.error_message.clone()).into()),
                mark(
                    e.and_then(|e| e.result.as_ref())
                        .map(crate::tasks::result_json)
                        .into(),
                ),
                mark(e.and_then(|e| e.started_at).into()),
                mark(e.and_then(|e| e.completed_at).into()),
                mark(s.retry_at.into()),
                mark(t.updated_at.into()),
            ];
            format!("({})", row.join(", "))
        })
        .collect();
    // SQLite numbers placeholders in the order they appear: these come last.
    let (before, after) = (mark(now.into()), mark(now.into()));
    if postgres && settlements.len() > 1 {
        // Rows locked in id order, as heartbeats lock them: the two never
        // wait on each other in a cycle.
        let mut ids: Vec<Uuid> = ids.into_iter().collect();
        ids.sort_unstable();
        let listed = (1..=ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT id FROM tasks WHERE id IN ({listed}) ORDER BY id FOR UPDATE"),
            ids.into_iter().map(sea_orm::Value::from),
        ))
        .await
        .map_err(db_error)?;
    }
    let sql = format!(
        "WITH s({COLUMNS}) AS (VALUES {rows}) \
         UPDATE tasks SET status = s.status, version = tasks.version + 1, \
           updated_at = s.updated_at, progress = s.progress, retry_count = s.retry_count, \
           error_message = s.error_message, result = s.result, \
           started_at = s.started_at, completed_at = s.completed_at, \
           lease_owner = CASE WHEN s.releases THEN NULL ELSE tasks.lease_owner END, \
           lease_until = CASE WHEN s.releases THEN NULL ELSE tasks.lease_until END, \
           not_before = CASE WHEN s.releases THEN s.not_before ELSE tasks.not_before END \
         FROM s WHERE tasks.id = s.id AND tasks.fence = s.fence \
           AND tasks.status = 'in_progress' \
           AND CASE WHEN s.expired THEN tasks.lease_until < {before} \
                    ELSE tasks.lease_until >= {after} END \
         RETURNING tasks.id",
        rows = rows.join(", "),
    );
    let returned = txn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map_err(db_error)?;
    returned
        .iter()
        .map(|r| r.try_get_by_index::<Uuid>(0).map_err(db_error))
        .collect()
}
