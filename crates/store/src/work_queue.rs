//! The engine's work queue on the `tasks` table: ready tasks are claimed under
//! a lease with a fencing token (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
//! any number of workers in any number of processes share them; SQLite has one
//! writer), and settled only by a write naming that token.

use std::collections::{HashMap, HashSet};

use agentry_domain::Result;
use agentry_domain::event::Event;
use agentry_domain::id::{PlanId, TaskId};
use agentry_domain::planning::{Claim, ClaimRequest, PlanStatus, Settlement, WorkQueue, schedule};
use agentry_domain::tracker::{Task, TaskStatus};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, Func};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, DbBackend, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _, Statement,
};
use uuid::Uuid;

use crate::Store;
use crate::entity::tasks;
use crate::error::db_error;
use crate::plan_state;

mod one_call;
mod ready;
mod settle;

fn no_time() -> Option<DateTime<Utc>> {
    None
}

/// What a claim took, and whether it left ready tasks behind: a settlement
/// that took all there was needs no other worker woken.
pub(super) struct Claimed {
    pub claims: Vec<Claim>,
    pub left_ready: bool,
}

impl Claimed {
    fn nothing() -> Self {
        Self {
            claims: Vec::new(),
            left_ready: false,
        }
    }
}

/// A task a claim takes, started as `Task::start` starts it (what the claim
/// writes) under the fence after `fence`; its `task_status` event is added
/// to `events`.
fn started(
    mut task: Task,
    fence: i64,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
    events: &mut Vec<Event>,
) -> Result<Claim> {
    for kind in task.start(now)?.events {
        events.push(Event::in_project(
            task.project_id(),
            None,
            Some(task.id()),
            kind,
            now,
        )?);
    }
    Ok(Claim {
        task,
        fence: fence + 1,
        lease_until,
    })
}

impl Store {
    /// Claims, within `txn`, up to `limit` ready tasks (of the `locked` plans
    /// when given) for `worker`: each started under its next fencing token,
    /// its `task_status` event added to `events`. The plans' statuses are the
    /// caller's to re-derive.
    pub(super) async fn claim_in(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        request: &ClaimRequest,
        now: DateTime<Utc>,
        locked: Option<&[PlanId]>,
        events: &mut Vec<Event>,
    ) -> Result<Claimed> {
        let ClaimRequest {
            worker,
            limit,
            lease_until,
        } = request;
        let (limit, lease_until) = (*limit, *lease_until);
        if limit == 0 {
            return Ok(Claimed::nothing());
        }
        let rows = self.ready_rows(txn, now, limit, locked).await?;
        if rows.is_empty() {
            return Ok(Claimed::nothing());
        }
        let read = rows.len();
        // The ready query turned away what runs beside a task running alone;
        // the rule picks among the rest, as one claim adds to each plan.
        let ready: Vec<schedule::Candidate> = rows
            .iter()
            .filter_map(|r| {
                Some(schedule::Candidate {
                    id: TaskId(r.id),
                    plan: PlanId(r.plan_id?),
                    can_parallel: r.can_parallel,
                })
            })
            .collect();
        let picked: HashSet<TaskId> = schedule::choose(&ready, limit).into_iter().collect();
        let chosen: Vec<tasks::Model> = rows
            .into_iter()
            .filter(|r| picked.contains(&TaskId(r.id)))
            .collect();
        let fences: HashMap<Uuid, i64> = chosen.iter().map(|r| (r.id, r.fence)).collect();
        let mut claims = Vec::new();
        for task in crate::tasks::with_labels(txn, chosen).await? {
            let fence = fences.get(&task.id().0).copied().unwrap_or(0);
            claims.push(started(task, fence, lease_until, now, events)?);
        }
        let left_ready = claims.len() < read;
        if claims.is_empty() {
            return Ok(Claimed { claims, left_ready });
        }
        // What `Task::start` decided is the same for every claimed task — in
        // progress, the next version, started now unless it started before, no
        // error — so one statement writes it for all, with each lease.
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
            .col_expr(tasks::Column::LeaseOwner, Expr::value(worker.as_str()))
            .col_expr(tasks::Column::LeaseUntil, Expr::value(lease_until))
            .col_expr(tasks::Column::Fence, Expr::col(tasks::Column::Fence).add(1))
            .col_expr(tasks::Column::NotBefore, Expr::value(no_time()))
            .filter(tasks::Column::Id.is_in(claims.iter().map(|c| c.task.id().0)))
            .filter(
                tasks::Column::Status
                    .is_in([TaskStatus::Pending.as_str(), TaskStatus::Retrying.as_str()]),
            )
            .exec(txn)
            .await
            .map_err(db_error)?;
        if written.rows_affected != claims.len() as u64 {
            // Not possible with the rows locked or one writer; never hand out
            // a task this transaction did not move.
            return Err(agentry_domain::Error::internal(
                "a claimed task moved during its claim",
            ));
        }
        Ok(Claimed { claims, left_ready })
    }
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
        let request = ClaimRequest {
            worker: worker.to_owned(),
            limit,
            lease_until,
        };
        if self.backend() == crate::Backend::Postgres {
            let (_, claims) = self
                .step_in_one_call(&[], now, Some(&request), true)
                .await?;
            return Ok(claims);
        }
        let txn = self.begin_write().await?;
        let mut events = Vec::new();
        let claims = self
            .claim_in(&txn, &request, now, None, &mut events)
            .await?
            .claims;
        if claims.is_empty() {
            txn.rollback().await.map_err(db_error)?;
            return Ok(claims);
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
        if !events.is_empty() {
            self.commits.bump();
        }
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
        let mut renewed = HashSet::new();
        for chunk in held.chunks(crate::events::ROWS_PER_STATEMENT) {
            renewed.extend(renew(&self.write, chunk, now, lease_until).await?);
        }
        Ok(held
            .iter()
            .filter(|(task, _)| !renewed.contains(&task.0))
            .map(|(task, _)| *task)
            .collect())
    }

    async fn settle(&self, settlements: &[Settlement], now: DateTime<Utc>) -> Result<Vec<bool>> {
        self.settle_then(settlements, now, None)
            .await
            .map(|(written, _)| written)
    }

    async fn settle_and_claim(
        &self,
        settlements: &[Settlement],
        now: DateTime<Utc>,
        then: &ClaimRequest,
    ) -> Result<(Vec<bool>, Vec<Claim>)> {
        self.settle_then(settlements, now, Some(then)).await
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

/// Renews the leases of `held` whose fence and live lease still hold, in one
/// statement; the ids renewed.
async fn renew(
    conn: &sea_orm::DatabaseConnection,
    held: &[(TaskId, i64)],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<HashSet<Uuid>> {
    let backend = conn.get_database_backend();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut mark = |value: sea_orm::Value| {
        values.push(value);
        match backend {
            DbBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_owned(),
        }
    };
    let rows: Vec<String> = held
        .iter()
        .map(|(task, fence)| format!("({}, {})", mark(task.0.into()), mark((*fence).into())))
        .collect();
    // In the order of their placeholders, for SQLite.
    let (until, alive) = (mark(lease_until.into()), mark(now.into()));
    // One statement. On PostgreSQL the rows still held are locked in id
    // order first, as settlements lock them: the two never wait on each
    // other in a cycle (SQLite has one writer). A lease no longer held is not
    // locked: its task is another's to write.
    let locked = if backend == DbBackend::Postgres {
        ", locked AS MATERIALIZED (SELECT t.id FROM tasks t JOIN h ON t.id = h.id \
           WHERE t.fence = h.fence AND t.status = 'in_progress' \
           ORDER BY t.id FOR UPDATE OF t)"
    } else {
        ""
    };
    let in_locked = if locked.is_empty() {
        ""
    } else {
        " AND tasks.id IN (SELECT id FROM locked)"
    };
    let sql = format!(
        "WITH h(id, fence) AS (VALUES {rows}){locked} \
         UPDATE tasks SET lease_until = {until} FROM h \
         WHERE tasks.id = h.id AND tasks.fence = h.fence{in_locked} \
           AND tasks.status = 'in_progress' AND tasks.lease_until >= {alive} \
         RETURNING tasks.id",
        rows = rows.join(", "),
    );
    conn.query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map_err(db_error)?
        .iter()
        .map(|r| r.try_get_by_index::<Uuid>(0).map_err(db_error))
        .collect()
}
