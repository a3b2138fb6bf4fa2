//! Plans with their task graphs.

use agentry_domain::event::Event;
use agentry_domain::id::{AssistantThreadId, MemberId, PlanId, ProjectId, TaskId};
use agentry_domain::planning::{NewPlan, Plan, PlanQuery, PlanRepo, PlanStatus};
use agentry_domain::tracker::{Task, TaskResult, TaskStatus};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _,
};
use uuid::Uuid;

use crate::Store;
use crate::entity::{attachments, events, plans, projects, task_dependencies, tasks};
use crate::error::{corrupt, db_error};
use crate::plan_state;

/// Task rows per insert: well under both databases' bind-parameter caps.
const TASKS_PER_STATEMENT: usize = 200;

fn plan_from(row: plans::Model) -> Result<Plan> {
    Ok(Plan {
        id: PlanId(row.id),
        project_id: ProjectId(row.project_id),
        thread_id: row.thread_id.map(AssistantThreadId),
        goal: row.goal,
        status: PlanStatus::parse(&row.status).map_err(|e| corrupt("plan status", e))?,
        aborted: row.aborted,
        created_by: row.created_by.map(MemberId),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

#[async_trait]
impl PlanRepo for Store {
    async fn create_plan(&self, plan: &NewPlan, events: &[Event]) -> Result<Vec<Task>> {
        let p = &plan.plan;
        // An `i32`, as `create_task`'s bump of the same statement binds: PostgreSQL
        // connections cache the statement with its parameter's type.
        let count = i32::try_from(plan.tasks.len()).map_err(Error::internal)?;
        self.transact(events, async |txn| {
            // One bump for the whole plan, under the project's row lock: its tasks
            // get consecutive numbers.
            let bumped = projects::Entity::update_many()
                .col_expr(
                    projects::Column::TaskSeq,
                    Expr::col(projects::Column::TaskSeq).add(count),
                )
                .filter(projects::Column::Id.eq(p.project_id.0))
                .exec(txn)
                .await
                .map_err(db_error)?;
            if bumped.rows_affected == 0 {
                return Err(Error::NotFound { entity: "project" });
            }
            let last: i64 = projects::Entity::find_by_id(p.project_id.0)
                .select_only()
                .column(projects::Column::TaskSeq)
                .into_tuple()
                .one(txn)
                .await
                .map_err(db_error)?
                .ok_or(Error::NotFound { entity: "project" })?;
            plans::Entity::insert(plans::ActiveModel {
                id: Set(p.id.0),
                project_id: Set(p.project_id.0),
                thread_id: Set(p.thread_id.map(|t| t.0)),
                goal: Set(p.goal.clone()),
                status: Set(p.status.as_str().to_owned()),
                aborted: Set(p.aborted),
                created_by: Set(p.created_by.map(|m| m.0)),
                created_at: Set(p.created_at),
                updated_at: Set(p.updated_at),
            })
            .exec_without_returning(txn)
            .await
            .map_err(crate::error::foreign("session_id", "no such thread"))?;
            let first = last - i64::from(count) + 1;
            let stored: Vec<Task> = plan
                .tasks
                .iter()
                .zip(first..)
                .map(|(t, number)| t.clone().numbered(number))
                .collect();
            for chunk in stored.chunks(TASKS_PER_STATEMENT) {
                tasks::Entity::insert_many(chunk.iter().map(|t| crate::tasks::new_row(t.record())))
                    .exec_without_returning(txn)
                    .await
                    .map_err(db_error)?;
            }
            let edges: Vec<task_dependencies::ActiveModel> = stored
                .iter()
                .flat_map(|t| {
                    let id = t.id().0;
                    t.execution()
                        .map(|e| e.depends_on.clone())
                        .unwrap_or_default()
                        .into_iter()
                        .map(move |d| task_dependencies::ActiveModel {
                            task_id: Set(id),
                            depends_on_id: Set(d.0),
                        })
                })
                .collect();
            for chunk in edges.chunks(crate::events::ROWS_PER_STATEMENT) {
                task_dependencies::Entity::insert_many(chunk.to_vec())
                    .exec_without_returning(txn)
                    .await
                    .map_err(db_error)?;
            }
            self.work.announce(txn).await?;
            Ok(stored)
        })
        .await
        .inspect(|_| self.work.wake())
    }

    async fn get_plan(&self, id: PlanId) -> Result<Option<Plan>> {
        plans::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?
            .map(plan_from)
            .transpose()
    }

    async fn plan_tasks(&self, id: PlanId) -> Result<Vec<Task>> {
        let rows = tasks::Entity::find()
            .filter(tasks::Column::PlanId.eq(id.0))
            .order_by_asc(tasks::Column::Number)
            .all(&self.read)
            .await
            .map_err(db_error)?;
        crate::tasks::with_labels(&self.read, rows).await
    }

    async fn dependency_results(&self, task: TaskId) -> Result<Vec<(String, Option<TaskResult>)>> {
        let rows: Vec<(String, Option<String>)> = tasks::Entity::find()
            .select_only()
            .column(tasks::Column::Title)
            .column(tasks::Column::Result)
            .filter(
                tasks::Column::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(task_dependencies::Column::DependsOnId)
                        .from(task_dependencies::Entity)
                        .and_where(task_dependencies::Column::TaskId.eq(task.0))
                        .to_owned(),
                ),
            )
            .order_by_asc(tasks::Column::Number)
            .into_tuple()
            .all(&self.read)
            .await
            .map_err(db_error)?;
        rows.into_iter()
            .map(|(title, result)| {
                let result = result
                    .map(|r| serde_json::from_str::<TaskResult>(&r))
                    .transpose()
                    .map_err(|e| corrupt("task result", e))?;
                Ok((title, result))
            })
            .collect()
    }

    async fn list_plans(&self, q: &PlanQuery) -> Result<Vec<Plan>> {
        let mut query = plans::Entity::find().filter(plans::Column::ProjectId.eq(q.project_id.0));
        if let Some(status) = q.status {
            query = query.filter(plans::Column::Status.eq(status.as_str()));
        }
        if let Some(before) = q.before {
            query = query.filter(plans::Column::Id.lt(before.0));
        }
        query
            .order_by_desc(plans::Column::Id)
            .limit(u64::from(q.limit))
            .all(&self.read)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(plan_from)
            .collect()
    }

    async fn update_plan_tasks(
        &self,
        plan: PlanId,
        changed: &[(Task, i64)],
        abort: bool,
        events: &[Event],
    ) -> Result<()> {
        self.transact(events, async |txn| {
            let now = changed
                .iter()
                .map(|(t, _)| t.record().updated_at)
                .max()
                .unwrap_or_else(agentry_domain::clock::utc_now);
            plan_state::lock_plan(txn, plan).await?;
            let mut follow = Vec::new();
            let mut order: Vec<&(Task, i64)> = changed.iter().collect();
            order.sort_by_key(|(t, _)| t.id());
            for (task, expected) in order {
                let before = plan_state::lock_task(txn, task.id()).await?;
                if before.version != *expected || before.plan_id != Some(plan) {
                    return Err(Error::StaleVersion {
                        expected: *expected,
                        actual: before.version,
                    });
                }
                let mut update =
                    crate::tasks::set_record(tasks::Entity::update_many(), task.record());
                if task.record().status.is_terminal() {
                    // A cancelled task's worker loses its lease: its fence moves on.
                    update = update
                        .col_expr(
                            tasks::Column::LeaseOwner,
                            Expr::value(Option::<String>::None),
                        )
                        .col_expr(
                            tasks::Column::LeaseUntil,
                            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                        )
                        .col_expr(tasks::Column::Fence, Expr::col(tasks::Column::Fence).add(1));
                }
                if task.record().status == TaskStatus::Pending {
                    update = update.col_expr(
                        tasks::Column::NotBefore,
                        Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                    );
                }
                update
                    .filter(tasks::Column::Id.eq(task.id().0))
                    .exec(txn)
                    .await
                    .map_err(db_error)?;
                // The use case decided every task's move, the cascade included.
                follow.extend(
                    plan_state::after_status_change(txn, task, before.status, now, false).await?,
                );
            }
            follow.extend(plan_state::refresh_plan(txn, plan, abort, now).await?);
            self.work.announce(txn).await?;
            crate::events::insert(txn, &follow).await
        })
        .await
        .inspect(|()| self.work.wake())
    }

    async fn delete_plan(&self, id: PlanId, events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| {
            plan_state::lock_plan(txn, id).await?;
            // Checked again under the plan's lock: no claim lands meanwhile.
            let running = tasks::Entity::find()
                .filter(tasks::Column::PlanId.eq(id.0))
                .filter(tasks::Column::Status.eq(TaskStatus::InProgress.as_str()))
                .one(txn)
                .await
                .map_err(db_error)?;
            if running.is_some() {
                return Err(Error::Conflict(
                    "a task of the plan is running; abort the plan first".into(),
                ));
            }
            let task_ids: Vec<Uuid> = tasks::Entity::find()
                .select_only()
                .column(tasks::Column::Id)
                .filter(tasks::Column::PlanId.eq(id.0))
                .into_tuple()
                .all(txn)
                .await
                .map_err(db_error)?;
            for chunk in task_ids.chunks(crate::events::ROWS_PER_STATEMENT) {
                let of_tasks = events::Column::TaskId.is_in(chunk.iter().copied());
                let event_ids: Vec<Uuid> = events::Entity::find()
                    .select_only()
                    .column(events::Column::Id)
                    .filter(of_tasks.clone())
                    .into_tuple()
                    .all(txn)
                    .await
                    .map_err(db_error)?;
                for ids in event_ids.chunks(crate::events::ROWS_PER_STATEMENT) {
                    attachments::Entity::delete_many()
                        .filter(attachments::Column::EventId.is_in(ids.iter().copied()))
                        .exec(txn)
                        .await
                        .map_err(db_error)?;
                    // Replies from elsewhere keep their place, without their parent.
                    events::Entity::update_many()
                        .col_expr(events::Column::ParentId, Expr::value(Option::<Uuid>::None))
                        .filter(events::Column::ParentId.is_in(ids.iter().copied()))
                        .filter(
                            events::Column::TaskId
                                .is_not_in(chunk.iter().copied())
                                .or(events::Column::TaskId.is_null()),
                        )
                        .exec(txn)
                        .await
                        .map_err(db_error)?;
                }
                events::Entity::delete_many()
                    .filter(of_tasks)
                    .exec(txn)
                    .await
                    .map_err(db_error)?;
                tasks::Entity::delete_many()
                    .filter(tasks::Column::Id.is_in(chunk.iter().copied()))
                    .exec(txn)
                    .await
                    .map_err(db_error)?;
            }
            let deleted = plans::Entity::delete_by_id(id.0)
                .exec(txn)
                .await
                .map_err(db_error)?;
            if deleted.rows_affected == 0 {
                return Err(Error::NotFound { entity: "plan" });
            }
            Ok(())
        })
        .await
    }
}
