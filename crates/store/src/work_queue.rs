//! The engine's work queue on the `tasks` table: ready tasks are claimed under
//! a lease with a fencing token (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
//! any number of workers in any number of processes share them; SQLite has one
//! writer), and settled only by a write naming that token.

use std::collections::HashMap;

use agentry_domain::Result;
use agentry_domain::event::Event;
use agentry_domain::id::{PlanId, TaskId};
use agentry_domain::planning::{Claim, PlanStatus, Settlement, WorkQueue};
use agentry_domain::tracker::TaskStatus;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, Func};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, DbBackend, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _, Statement, TransactionTrait as _,
};
use uuid::Uuid;

use crate::Store;
use crate::entity::tasks;
use crate::error::db_error;
use crate::plan_state;

/// Candidates read per claim, beyond what is asked: room for tasks passed over
/// because their plan runs a task alone.
const CANDIDATE_FACTOR: usize = 4;

fn no_time() -> Option<DateTime<Utc>> {
    None
}

impl Store {
    /// Ids of ready tasks: no open dependency, waiting and due, run by an agent.
    async fn ready_ids(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>> {
        let backend = txn.get_database_backend();
        let now_param = match backend {
            DbBackend::Postgres => "$1",
            _ => "?",
        };
        // Ready, run by an agent, and not in a plan where a task runs alone.
        let ready = format!(
            "t.deps_open = 0 AND t.status IN ('pending', 'retrying') \
               AND (t.not_before IS NULL OR t.not_before <= {now_param}) \
               AND (t.agent_type IS NOT NULL OR EXISTS (\
                    SELECT 1 FROM members m WHERE m.id = t.assignee_id \
                    AND m.kind = 'agent' AND m.assistant_id IS NOT NULL)) \
               AND NOT EXISTS (SELECT 1 FROM tasks r WHERE r.plan_id = t.plan_id \
                    AND r.status = 'in_progress' AND r.can_parallel = {no})",
            no = if backend == DbBackend::Postgres {
                "false"
            } else {
                "0"
            },
        );
        let select = |sql: String| async move {
            let rows = txn
                .query_all_raw(Statement::from_sql_and_values(backend, sql, [now.into()]))
                .await
                .map_err(db_error)?;
            rows.iter()
                .map(|r| r.try_get_by_index::<Uuid>(0).map_err(db_error))
                .collect::<Result<Vec<Uuid>>>()
        };
        let ids = select(format!(
            "SELECT t.id FROM tasks t WHERE {ready} LIMIT {limit}"
        ))
        .await?;
        if backend != DbBackend::Postgres || ids.is_empty() {
            return Ok(ids);
        }
        // On PostgreSQL: the plans' locks first (as every write of plan tasks
        // takes them), then the tasks, skipping those another claim holds and
        // reading again what the wait for the plans may have changed.
        let plans: std::collections::BTreeSet<Uuid> = tasks::Entity::find()
            .select_only()
            .column(tasks::Column::PlanId)
            .filter(tasks::Column::Id.is_in(ids.iter().copied()))
            .into_tuple::<Option<Uuid>>()
            .all(txn)
            .await
            .map_err(db_error)?
            .into_iter()
            .flatten()
            .collect();
        for plan in plans {
            plan_state::lock_plan(txn, PlanId(plan)).await?;
        }
        // Uuids print as 36 hexadecimal digits and dashes: nothing to escape.
        let listed = ids
            .iter()
            .map(|id| format!("'{id}'"))
            .collect::<Vec<_>>()
            .join(", ");
        select(format!(
            "SELECT t.id FROM tasks t WHERE t.id IN ({listed}) AND {ready} FOR UPDATE OF t SKIP LOCKED"
        ))
        .await
    }
}

/// What already runs in a plan: how many tasks, and whether one runs alone.
#[derive(Default, Clone, Copy)]
struct Running {
    count: usize,
    alone: bool,
}

#[async_trait]
impl WorkQueue for Store {
    async fn claim(
        &self,
        worker: &str,
        limit: usize,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<Claim>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let txn = self.write.begin().await.map_err(db_error)?;
        let ids = self.ready_ids(&txn, now, limit * CANDIDATE_FACTOR).await?;
        if ids.is_empty() {
            txn.rollback().await.map_err(db_error)?;
            return Ok(Vec::new());
        }
        let rows = tasks::Entity::find()
            .filter(tasks::Column::Id.is_in(ids))
            .all(&txn)
            .await
            .map_err(db_error)?;
        let candidates = crate::tasks::with_labels(&txn, rows.clone()).await?;
        let fences: HashMap<Uuid, i64> = rows.iter().map(|r| (r.id, r.fence)).collect();
        // The ready query left out plans where a task runs alone; what is
        // running matters only to a candidate that must run alone. Claims in
        // one plan take turns (the plan's row lock), so this is what runs.
        let serial: Vec<PlanId> = plan_state::plans_of(
            candidates
                .iter()
                .filter(|t| t.execution().is_some_and(|e| !e.can_parallel)),
        );
        let mut running: HashMap<PlanId, Running> = HashMap::new();
        for plan in &serial {
            let busy: Vec<bool> = tasks::Entity::find()
                .select_only()
                .column(tasks::Column::CanParallel)
                .filter(tasks::Column::PlanId.eq(plan.0))
                .filter(tasks::Column::Status.eq(TaskStatus::InProgress.as_str()))
                .into_tuple()
                .all(&txn)
                .await
                .map_err(db_error)?;
            running.insert(
                *plan,
                Running {
                    count: busy.len(),
                    alone: busy.iter().any(|parallel| !parallel),
                },
            );
        }
        let mut claims = Vec::new();
        let mut events = Vec::new();
        for mut task in candidates {
            if claims.len() == limit {
                break;
            }
            let Some(execution) = task.execution() else {
                continue;
            };
            let plan = execution.plan_id;
            let alone = !execution.can_parallel;
            let state = running.entry(plan).or_default();
            if state.alone || (alone && state.count > 0) {
                continue;
            }
            state.count += 1;
            state.alone = state.alone || alone;
            let changes = task.start(now)?;
            let fence = fences.get(&task.id().0).copied().unwrap_or(0) + 1;
            for kind in changes.events {
                events.push(Event::in_project(
                    task.project_id(),
                    None,
                    Some(task.id()),
                    kind,
                    now,
                )?);
            }
            claims.push(Claim {
                task,
                fence,
                lease_until,
            });
        }
        // What `Task::start` decided is the same for every claimed task — in
        // progress, the next version, started now unless it started before, no
        // error — so one statement writes it for all, with each lease.
        if !claims.is_empty() {
            let written = tasks::Entity::update_many()
                .col_expr(
                    tasks::Column::Status,
                    Expr::value(TaskStatus::InProgress.as_str()),
                )
                .col_expr(
                    tasks::Column::Version,
                    Expr::col(tasks::Column::Version).add(1),
                )
                .col_expr(tasks::Column::UpdatedAt, Expr::value(now))
                .col_expr(
                    tasks::Column::StartedAt,
                    Expr::from(Func::coalesce([
                        Expr::col(tasks::Column::StartedAt),
                        Expr::value(now),
                    ])),
                )
                .col_expr(
                    tasks::Column::ErrorMessage,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(tasks::Column::LeaseOwner, Expr::value(worker))
                .col_expr(tasks::Column::LeaseUntil, Expr::value(lease_until))
                .col_expr(tasks::Column::Fence, Expr::col(tasks::Column::Fence).add(1))
                .col_expr(tasks::Column::NotBefore, Expr::value(no_time()))
                .filter(tasks::Column::Id.is_in(claims.iter().map(|c| c.task.id().0)))
                .filter(
                    tasks::Column::Status
                        .is_in([TaskStatus::Pending.as_str(), TaskStatus::Retrying.as_str()]),
                )
                .exec(&txn)
                .await
                .map_err(db_error)?;
            if written.rows_affected != claims.len() as u64 {
                // Someone moved a candidate meanwhile (not possible with the rows
                // locked or one writer): claim nothing this time.
                txn.rollback().await.map_err(db_error)?;
                return Ok(Vec::new());
            }
        }
        // A claim moves a task to `in_progress`: the derived status of a plan
        // in progress stays so; only a plan still `pending` moves.
        let claimed_plans = plan_state::plans_of(claims.iter().map(|c| &c.task));
        let pending: Vec<Uuid> = crate::entity::plans::Entity::find()
            .select_only()
            .column(crate::entity::plans::Column::Id)
            .filter(crate::entity::plans::Column::Id.is_in(claimed_plans.iter().map(|p| p.0)))
            .filter(crate::entity::plans::Column::Status.ne(PlanStatus::InProgress.as_str()))
            .into_tuple()
            .all(&txn)
            .await
            .map_err(db_error)?;
        for plan in pending {
            events.extend(plan_state::refresh_plan(&txn, PlanId(plan), false, now).await?);
        }
        crate::events::insert(&txn, &events).await?;
        txn.commit().await.map_err(db_error)?;
        Ok(claims)
    }

    async fn still_held(&self, held: &[(TaskId, i64)], now: DateTime<Utc>) -> Result<Vec<TaskId>> {
        let rows: Vec<(Uuid, i64, String, Option<DateTime<Utc>>)> = tasks::Entity::find()
            .select_only()
            .column(tasks::Column::Id)
            .column(tasks::Column::Fence)
            .column(tasks::Column::Status)
            .column(tasks::Column::LeaseUntil)
            .filter(tasks::Column::Id.is_in(held.iter().map(|(t, _)| t.0)))
            .into_tuple()
            .all(&self.write)
            .await
            .map_err(db_error)?;
        let current: HashMap<Uuid, (i64, String, Option<DateTime<Utc>>)> = rows
            .into_iter()
            .map(|(id, fence, status, until)| (id, (fence, status, until)))
            .collect();
        Ok(held
            .iter()
            .filter(|(task, fence)| {
                !current.get(&task.0).is_some_and(|(f, status, until)| {
                    f == fence
                        && status == TaskStatus::InProgress.as_str()
                        && until.is_some_and(|u| u >= now)
                })
            })
            .map(|(task, _)| *task)
            .collect())
    }

    async fn heartbeat(
        &self,
        held: &[(TaskId, i64)],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<TaskId>> {
        let mut lost = Vec::new();
        // In id order, as settlements lock them: two never wait on each other.
        let mut held = held.to_vec();
        held.sort_unstable();
        let txn = self.write.begin().await.map_err(db_error)?;
        for (task, fence) in &held {
            let extended = tasks::Entity::update_many()
                .col_expr(tasks::Column::LeaseUntil, Expr::value(lease_until))
                .filter(tasks::Column::Id.eq(task.0))
                .filter(tasks::Column::Fence.eq(*fence))
                .filter(tasks::Column::Status.eq(TaskStatus::InProgress.as_str()))
                .filter(tasks::Column::LeaseUntil.gte(now))
                .exec(&txn)
                .await
                .map_err(db_error)?;
            if extended.rows_affected == 0 {
                lost.push(*task);
            }
        }
        txn.commit().await.map_err(db_error)?;
        Ok(lost)
    }

    async fn settle(&self, settlements: &[Settlement], now: DateTime<Utc>) -> Result<Vec<bool>> {
        let txn = self.write.begin().await.map_err(db_error)?;
        for plan in plan_state::plans_of(settlements.iter().map(|s| &s.task)) {
            plan_state::lock_plan(&txn, plan).await?;
        }
        let mut written = vec![false; settlements.len()];
        let mut order: Vec<usize> = (0..settlements.len()).collect();
        order.sort_by_key(|&i| settlements[i].task.id());
        let mut events = Vec::new();
        for i in order {
            let s = &settlements[i];
            let t = s.task.record();
            let mut update = crate::tasks::set_execution(tasks::Entity::update_many(), t);
            if t.status != TaskStatus::InProgress {
                update = update
                    .col_expr(
                        tasks::Column::LeaseOwner,
                        Expr::value(Option::<String>::None),
                    )
                    .col_expr(tasks::Column::LeaseUntil, Expr::value(no_time()))
                    .col_expr(tasks::Column::NotBefore, Expr::value(s.retry_at));
            }
            let lease = if s.expired {
                tasks::Column::LeaseUntil.lt(now)
            } else {
                tasks::Column::LeaseUntil.gte(now)
            };
            let result = update
                .filter(tasks::Column::Id.eq(t.id.0))
                .filter(tasks::Column::Fence.eq(s.fence))
                .filter(tasks::Column::Status.eq(TaskStatus::InProgress.as_str()))
                .filter(lease)
                .exec(&txn)
                .await
                .map_err(db_error)?;
            if result.rows_affected == 0 {
                continue;
            }
            written[i] = true;
            events.extend(s.events.iter().cloned());
            if t.status != TaskStatus::InProgress {
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
        let moved = settlements
            .iter()
            .zip(&written)
            .filter(|(s, w)| **w && s.task.record().status != TaskStatus::InProgress)
            .map(|(s, _)| &s.task);
        for plan in plan_state::plans_of(moved) {
            events.extend(plan_state::refresh_plan(&txn, plan, false, now).await?);
        }
        crate::events::insert(&txn, &events).await?;
        let moved = written.iter().any(|w| *w);
        if moved {
            self.work.announce(&txn).await?;
        }
        txn.commit().await.map_err(db_error)?;
        if moved {
            self.work.wake();
        }
        Ok(written)
    }

    async fn expired(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Claim>> {
        let rows = tasks::Entity::find()
            .filter(tasks::Column::Status.eq(TaskStatus::InProgress.as_str()))
            .filter(tasks::Column::LeaseUntil.lt(now))
            .order_by_asc(tasks::Column::LeaseUntil)
            .limit(u64::try_from(limit).unwrap_or(u64::MAX))
            .all(&self.read)
            .await
            .map_err(db_error)?;
        let fences: Vec<(i64, Option<DateTime<Utc>>)> =
            rows.iter().map(|r| (r.fence, r.lease_until)).collect();
        let tasks = crate::tasks::with_labels(&self.read, rows).await?;
        Ok(tasks
            .into_iter()
            .zip(fences)
            .map(|(task, (fence, until))| Claim {
                task,
                fence,
                lease_until: until.unwrap_or(now),
            })
            .collect())
    }

    async fn wait_for_work(&self, at_most: std::time::Duration) {
        self.work.wait(at_most).await;
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let due: Option<Option<DateTime<Utc>>> = tasks::Entity::find()
            .select_only()
            .column_as(tasks::Column::NotBefore.min(), "due")
            .filter(tasks::Column::DepsOpen.eq(0))
            .filter(tasks::Column::Status.eq(TaskStatus::Retrying.as_str()))
            .into_tuple()
            .one(&self.read)
            .await
            .map_err(db_error)?;
        Ok(due.flatten())
    }
}
