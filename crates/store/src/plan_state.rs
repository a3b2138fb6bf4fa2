//! What every write of a plan task does beside the task itself, in its
//! transaction: keeps each dependent's count of open dependencies, skips what
//! lies downstream of a task that failed for good, and re-derives the plan's
//! status (the domain's rule) with a `plan_status` event when it moves.

use agentry_domain::event::Event;
use agentry_domain::id::{PlanId, TaskId};
use agentry_domain::planning::{
    PlanEvent, PlanStatus, PlanStatusChanged, StatusCounts, downstream,
};
use agentry_domain::tracker::{Task, TaskStatus};
use agentry_domain::{Error, Result};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, Query, SubQueryStatement};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, Statement,
};
use uuid::Uuid;

use crate::entity::{plans, task_dependencies, tasks};
use crate::error::{corrupt, db_error};

/// A task's row as it stands, locked for this transaction on PostgreSQL.
pub(crate) struct Locked {
    pub status: TaskStatus,
    pub version: i64,
    pub plan_id: Option<PlanId>,
}

/// Reads (and on PostgreSQL locks) a task's row, so that what is read stays
/// true until the transaction ends.
///
/// # Errors
/// `NotFound` for an unknown task.
pub(crate) async fn lock_task(txn: &DatabaseTransaction, id: TaskId) -> Result<Locked> {
    let mut query = tasks::Entity::find_by_id(id.0)
        .select_only()
        .column(tasks::Column::Status)
        .column(tasks::Column::Version)
        .column(tasks::Column::PlanId);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let (status, version, plan_id): (String, i64, Option<Uuid>) = query
        .into_tuple()
        .one(txn)
        .await
        .map_err(db_error)?
        .ok_or(Error::NotFound { entity: "task" })?;
    Ok(Locked {
        status: TaskStatus::parse(&status).map_err(|e| corrupt("task status", e))?,
        version,
        plan_id: plan_id.map(PlanId),
    })
}

/// Locks the plan's row on PostgreSQL. Every write of a plan's tasks takes its
/// plan's lock first (several plans in id order), so such writes never wait on
/// each other in a cycle.
pub(crate) async fn lock_plan(txn: &DatabaseTransaction, plan: PlanId) -> Result<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        plans::Entity::find_by_id(plan.0)
            .select_only()
            .column(plans::Column::Id)
            .lock_exclusive()
            .into_tuple::<Uuid>()
            .one(txn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// The plan of a task, if it has one (a task never changes plans).
pub(crate) async fn plan_of(txn: &DatabaseTransaction, task: TaskId) -> Result<Option<PlanId>> {
    let plan: Option<Option<Uuid>> = tasks::Entity::find_by_id(task.0)
        .select_only()
        .column(tasks::Column::PlanId)
        .into_tuple()
        .one(txn)
        .await
        .map_err(db_error)?;
    Ok(plan.flatten().map(PlanId))
}

/// Whether a move to `to` leaves the task's dependents unable to run: it ended
/// without being done.
fn strands_dependents(from: TaskStatus, to: TaskStatus) -> bool {
    to.is_terminal() && to != TaskStatus::Done && !(from.is_terminal() && from != TaskStatus::Done)
}

/// After `task` moved from `from` to its current status: its dependents' open
/// counts, and, when it ended without being done (`cascade`), every open task
/// downstream skipped, each with its `task_status` event (returned). A task
/// downstream that cannot be skipped from where it stands (a person took it
/// up) is left as it is.
pub(crate) async fn after_status_change(
    txn: &DatabaseTransaction,
    task: &Task,
    from: TaskStatus,
    now: DateTime<Utc>,
    cascade: bool,
) -> Result<Vec<Event>> {
    let to = task.record().status;
    let delta = match (from == TaskStatus::Done, to == TaskStatus::Done) {
        (false, true) => -1,
        (true, false) => 1,
        _ => 0,
    };
    if delta != 0 {
        // One statement; under the plan's lock nobody else writes these rows.
        let dependents = Query::select()
            .column(task_dependencies::Column::TaskId)
            .from(task_dependencies::Entity)
            .and_where(task_dependencies::Column::DependsOnId.eq(task.id().0))
            .to_owned();
        tasks::Entity::update_many()
            .col_expr(
                tasks::Column::DepsOpen,
                Expr::col(tasks::Column::DepsOpen).add(delta),
            )
            .filter(tasks::Column::Id.in_subquery(dependents))
            .exec(txn)
            .await
            .map_err(db_error)?;
    }
    if !cascade || !strands_dependents(from, to) {
        return Ok(Vec::new());
    }
    let Some(plan) = task.execution().map(|e| e.plan_id) else {
        return Ok(Vec::new());
    };
    let rows = tasks::Entity::find()
        .filter(tasks::Column::PlanId.eq(plan.0))
        .order_by_asc(tasks::Column::Number)
        .all(txn)
        .await
        .map_err(db_error)?;
    let mut all = crate::tasks::with_labels(txn, rows).await?;
    let mut events = Vec::new();
    for i in downstream(&all, task.id()) {
        let skipped = &mut all[i];
        if skipped.record().status.is_terminal() {
            continue;
        }
        let version = skipped.version();
        let Ok(changes) = skipped.skip(now) else {
            continue;
        };
        let written = crate::tasks::set_record(tasks::Entity::update_many(), skipped.record())
            .filter(tasks::Column::Id.eq(skipped.id().0))
            .filter(tasks::Column::Version.eq(version))
            .exec(txn)
            .await
            .map_err(db_error)?;
        if written.rows_affected == 0 {
            continue;
        }
        for kind in changes.events {
            events.push(Event::in_project(
                skipped.project_id(),
                None,
                Some(skipped.id()),
                kind,
                now,
            )?);
        }
    }
    Ok(events)
}

/// After tasks moved to done from an open status: each dependent's count of
/// open dependencies drops by how many of them it waits for, in one statement.
/// Under the plans' locks nobody else writes these rows.
pub(crate) async fn unblock_dependents(txn: &DatabaseTransaction, done: &[TaskId]) -> Result<()> {
    if done.is_empty() {
        return Ok(());
    }
    let ids = || done.iter().map(|t| t.0);
    let dependents = Query::select()
        .column(task_dependencies::Column::TaskId)
        .from(task_dependencies::Entity)
        .and_where(task_dependencies::Column::DependsOnId.is_in(ids()))
        .to_owned();
    let waited_on = Query::select()
        .expr(Expr::col((task_dependencies::Entity, task_dependencies::Column::TaskId)).count())
        .from(task_dependencies::Entity)
        .and_where(
            Expr::col((task_dependencies::Entity, task_dependencies::Column::TaskId))
                .equals((tasks::Entity, tasks::Column::Id)),
        )
        .and_where(task_dependencies::Column::DependsOnId.is_in(ids()))
        .to_owned();
    tasks::Entity::update_many()
        .col_expr(
            tasks::Column::DepsOpen,
            Expr::col(tasks::Column::DepsOpen).sub(Expr::SubQuery(
                None,
                Box::new(SubQueryStatement::from(waited_on)),
            )),
        )
        .filter(tasks::Column::Id.in_subquery(dependents))
        .exec(txn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Re-derives the plan's status from its tasks (marking it aborted first when
/// `abort`); returns the `plan_status` event when it moved. The caller holds
/// the plan's lock ([`lock_plan`]), so concurrent changes to its tasks derive
/// one after another, each seeing the ones before.
pub(crate) async fn refresh_plan(
    txn: &DatabaseTransaction,
    plan: PlanId,
    abort: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Event>> {
    // One statement: the plan beside its tasks' counts by status, read from
    // the (plan_id, status) index.
    let backend = txn.get_database_backend();
    let sql = format!(
        "SELECT p.status, p.aborted, p.project_id, t.status, COUNT(t.plan_id) \
         FROM plans p LEFT JOIN tasks t ON t.plan_id = p.id WHERE p.id = {} \
         GROUP BY p.status, p.aborted, p.project_id, t.status",
        if backend == DbBackend::Postgres {
            "$1"
        } else {
            "?"
        }
    );
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [plan.0.into()],
        ))
        .await
        .map_err(db_error)?;
    let first = rows.first().ok_or(Error::NotFound { entity: "plan" })?;
    let status: String = first.try_get_by_index(0).map_err(db_error)?;
    let was_aborted: bool = first.try_get_by_index(1).map_err(db_error)?;
    let project: Uuid = first.try_get_by_index(2).map_err(db_error)?;
    let mut counts = StatusCounts::new();
    for row in &rows {
        let Some(status) = row
            .try_get_by_index::<Option<String>>(3)
            .map_err(db_error)?
        else {
            continue;
        };
        let n: i64 = row.try_get_by_index(4).map_err(db_error)?;
        let status = TaskStatus::parse(&status).map_err(|e| corrupt("task status", e))?;
        counts.insert(status, u64::try_from(n).unwrap_or(0));
    }
    let from = PlanStatus::parse(&status).map_err(|e| corrupt("plan status", e))?;
    let facts = PlanFacts {
        plan,
        project: agentry_domain::id::ProjectId(project),
        status: from,
        aborted: was_aborted,
        counts,
    };
    record_plan_status(txn, &facts, abort, now).await
}

/// What a plan's derived status is made of, as read under its lock.
pub(crate) struct PlanFacts {
    pub plan: PlanId,
    pub project: agentry_domain::id::ProjectId,
    /// As stored.
    pub status: PlanStatus,
    pub aborted: bool,
    pub counts: StatusCounts,
}

/// Derives the plan's status from `facts` (marking it aborted first when
/// `abort`), writes it when it moved, and returns its `plan_status` event.
pub(crate) async fn record_plan_status(
    txn: &DatabaseTransaction,
    facts: &PlanFacts,
    abort: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Event>> {
    let (plan, from) = (facts.plan, facts.status);
    let aborted = facts.aborted || abort;
    let to = PlanStatus::derive(&facts.counts, aborted);
    if from == to && aborted == facts.aborted {
        return Ok(Vec::new());
    }
    plans::Entity::update_many()
        .col_expr(plans::Column::Status, Expr::value(to.as_str()))
        .col_expr(plans::Column::Aborted, Expr::value(aborted))
        .col_expr(plans::Column::UpdatedAt, Expr::value(now))
        .filter(plans::Column::Id.eq(plan.0))
        .exec(txn)
        .await
        .map_err(db_error)?;
    if from == to {
        return Ok(Vec::new());
    }
    let event = Event::in_project(
        facts.project,
        None,
        None,
        PlanEvent::PlanStatus(PlanStatusChanged { plan, from, to }),
        now,
    )?;
    Ok(vec![event])
}

/// Plans touched by a batch, each once, in id order (the order rows are locked in).
pub(crate) fn plans_of<'a>(tasks: impl Iterator<Item = &'a Task>) -> Vec<PlanId> {
    let mut plans: Vec<PlanId> = tasks
        .filter_map(|t| t.execution().map(|e| e.plan_id))
        .collect::<std::collections::HashSet<_>>()
        .into_iter()
        .collect();
    plans.sort();
    plans
}
