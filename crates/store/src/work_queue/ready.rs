//! The claim's ready query: the scheduling rule's readiness
//! (`agentry_domain::planning::schedule::is_ready`) as one condition on the
//! `tasks` row `t`, read as far as the rule's window. On PostgreSQL the step
//! function (`agentry_step`, installed by the migrator) holds the same
//! condition for the claims it makes; the differential test holds both to
//! the rule.
//!
//! Every comparison keeps the shape the `idx_tasks_ready` index serves
//! (`deps_open`, status, `not_before`) and the constants inline, so the
//! planner sees the same statement on every claim; only `now` and the plans
//! a settlement's claim is held to are bound.

use agentry_domain::Result;
use agentry_domain::id::PlanId;
use agentry_domain::planning::schedule;
use agentry_domain::tracker::TaskStatus;
use agentry_domain::workspace::MemberKind;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, Asterisk, Cond, Condition, Expr, ExprTrait as _, Query, SelectStatement,
};
use sea_orm::{ConnectionTrait as _, DatabaseTransaction, EntityTrait as _};

use crate::Store;
use crate::entity::{members, tasks};
use crate::error::db_error;

/// The candidate row.
fn t(column: tasks::Column) -> Expr {
    Expr::col((Alias::new("t"), column))
}

/// A constant written into the statement rather than bound: statuses, kinds
/// and flags are the same on every claim.
fn constant(value: impl Into<sea_orm::Value>) -> Expr {
    Expr::Constant(value.into())
}

fn status(status: TaskStatus) -> Expr {
    constant(status.as_str())
}

/// `schedule::is_ready` for the row `t`, of the plans `within` when given.
fn is_ready(now: DateTime<Utc>, within: Option<&[PlanId]>) -> Condition {
    // Its assignee is an agent member with an assistant.
    let agent_member = Query::select()
        .expr(constant(1))
        .from_as(members::Entity, Alias::new("m"))
        .and_where(
            Expr::col((Alias::new("m"), members::Column::Id))
                .equals((Alias::new("t"), tasks::Column::AssigneeId)),
        )
        .and_where(
            Expr::col((Alias::new("m"), members::Column::Kind))
                .eq(constant(MemberKind::Agent.as_str())),
        )
        .and_where(Expr::col((Alias::new("m"), members::Column::AssistantId)).is_not_null())
        .to_owned();
    // What runs in its plan (`schedule::Running::admits`): a task running
    // alone turns every candidate away; anything running turns away a
    // candidate that must run alone. Two subqueries, not one with an `OR`:
    // PostgreSQL hashes the first once per claim and asks the second only of
    // a candidate that must run alone.
    let running = |alias: &'static str, alone: bool| {
        let col = |column| Expr::col((Alias::new(alias), column));
        let mut query = Query::select()
            .expr(constant(1))
            .from_as(tasks::Entity, Alias::new(alias))
            .and_where(col(tasks::Column::PlanId).equals((Alias::new("t"), tasks::Column::PlanId)))
            .and_where(col(tasks::Column::Status).eq(status(TaskStatus::InProgress)))
            .to_owned();
        if alone {
            query.and_where(col(tasks::Column::CanParallel).eq(constant(false)));
        }
        query
    };
    Cond::all()
        .add(t(tasks::Column::DepsOpen).eq(constant(0)))
        .add(
            t(tasks::Column::Status)
                .is_in([status(TaskStatus::Pending), status(TaskStatus::Retrying)]),
        )
        .add(
            Cond::any()
                .add(t(tasks::Column::NotBefore).is_null())
                .add(t(tasks::Column::NotBefore).lte(now)),
        )
        .add(t(tasks::Column::PlanId).is_not_null())
        .add_option(within.map(|plans| t(tasks::Column::PlanId).is_in(plans.iter().map(|p| p.0))))
        .add(
            Cond::any()
                .add(t(tasks::Column::AgentType).is_not_null())
                .add(Expr::exists(agent_member)),
        )
        .add(Expr::exists(running("r", true)).not())
        .add(
            Cond::any()
                .add(t(tasks::Column::CanParallel).eq(constant(true)))
                .add(Expr::exists(running("q", false)).not()),
        )
}

/// Whole ready rows. In no order: the rule orders the window it reads, and
/// ordering here would read and sort every ready row instead of stopping at
/// the window (the index serves no other order).
fn select_ready(now: DateTime<Utc>, within: Option<&[PlanId]>) -> SelectStatement {
    Query::select()
        .column((Alias::new("t"), Asterisk))
        .from_as(tasks::Entity, Alias::new("t"))
        .cond_where(is_ready(now, within))
        .to_owned()
}

impl Store {
    /// The ready tasks a claim of up to `limit` reads (its window); of the
    /// plans `locked` only when given (their rows already locked by this
    /// transaction on PostgreSQL), else of any plan.
    pub(super) async fn ready_rows(
        &self,
        txn: &DatabaseTransaction,
        now: DateTime<Utc>,
        limit: usize,
        locked: Option<&[PlanId]>,
    ) -> Result<Vec<tasks::Model>> {
        let window = u64::try_from(schedule::window(limit)).unwrap_or(u64::MAX);
        // SQLite has one writer; on PostgreSQL only a settlement's claim
        // comes here, under its plans' locks, which every write of their
        // tasks takes (a worker's own claim is the step function's).
        let statement = select_ready(now, locked).limit(window).to_owned();
        tasks::Entity::find()
            .from_raw_sql(txn.get_database_backend().build(&statement))
            .all(txn)
            .await
            .map_err(db_error)
    }
}
