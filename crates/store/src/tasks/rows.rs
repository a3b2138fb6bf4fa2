//! A task's row: read into the domain's `Task`, written whole for a new task,
//! and the updates for what the task's methods and the engine's moves change.

use agentry_domain::Result;
use agentry_domain::id::{LabelId, MemberId, PlanId, ProjectId, TaskId};
use agentry_domain::tracker::{Execution, Priority, Task, TaskRecord, TaskResult, TaskStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;

use crate::entity::tasks;
use crate::error::corrupt;

pub(crate) fn task_from(
    row: tasks::Model,
    labels: Vec<LabelId>,
    depends_on: Vec<TaskId>,
) -> Result<Task> {
    let execution = match row.plan_id {
        Some(plan) => Some(Execution {
            plan_id: PlanId(plan),
            client_id: row.client_id.unwrap_or_default(),
            agent_type: row.agent_type,
            depends_on,
            can_parallel: row.can_parallel,
            progress: u8::try_from(row.progress).map_err(|e| corrupt("task progress", e))?,
            retry_count: u32::try_from(row.retry_count).map_err(|e| corrupt("retry count", e))?,
            max_retries: u32::try_from(row.max_retries).map_err(|e| corrupt("max retries", e))?,
            error_message: row.error_message,
            result: row
                .result
                .map(|r| serde_json::from_str(&r))
                .transpose()
                .map_err(|e| corrupt("task result", e))?,
            started_at: row.started_at,
            completed_at: row.completed_at,
        }),
        None => None,
    };
    Ok(Task::restore(TaskRecord {
        id: TaskId(row.id),
        project_id: ProjectId(row.project_id),
        number: row.number,
        title: row.title,
        description: row.description,
        status: TaskStatus::parse(&row.status).map_err(|e| corrupt("task status", e))?,
        priority: Priority::parse(&row.priority).map_err(|e| corrupt("task priority", e))?,
        assignee_id: row.assignee_id.map(MemberId),
        labels,
        execution,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }))
}

/// A new task's row, every column; `deps_open` counts its dependencies (none
/// is done when a plan is created), NULL outside a plan.
pub(crate) fn new_row(t: &TaskRecord) -> tasks::ActiveModel {
    let e = t.execution.as_ref();
    tasks::ActiveModel {
        id: Set(t.id.0),
        project_id: Set(t.project_id.0),
        number: Set(t.number),
        title: Set(t.title.clone()),
        description: Set(t.description.clone()),
        status: Set(t.status.as_str().to_owned()),
        priority: Set(t.priority.as_str().to_owned()),
        assignee_id: Set(t.assignee_id.map(|a| a.0)),
        version: Set(t.version),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
        plan_id: Set(e.map(|e| e.plan_id.0)),
        client_id: Set(e.map(|e| e.client_id.clone())),
        agent_type: Set(e.and_then(|e| e.agent_type.clone())),
        can_parallel: Set(e.is_none_or(|e| e.can_parallel)),
        progress: Set(e.map_or(0, |e| i32::from(e.progress))),
        retry_count: Set(e.map_or(0, |e| i32::try_from(e.retry_count).unwrap_or(i32::MAX))),
        max_retries: Set(e.map_or(0, |e| i32::try_from(e.max_retries).unwrap_or(i32::MAX))),
        error_message: Set(e.and_then(|e| e.error_message.clone())),
        result: Set(e.and_then(|e| e.result.as_ref()).map(result_json)),
        started_at: Set(e.and_then(|e| e.started_at)),
        completed_at: Set(e.and_then(|e| e.completed_at)),
        deps_open: Set(e.map(|e| i32::try_from(e.depends_on.len()).unwrap_or(i32::MAX))),
        not_before: Set(None),
        lease_owner: Set(None),
        lease_until: Set(None),
        fence: Set(0),
    }
}

pub(crate) fn result_json(result: &TaskResult) -> String {
    serde_json::to_string(result).unwrap_or_else(|_| "{}".to_owned())
}

fn execution_columns(
    update: sea_orm::UpdateMany<tasks::Entity>,
    e: &Execution,
) -> sea_orm::UpdateMany<tasks::Entity> {
    update
        .col_expr(tasks::Column::Progress, Expr::value(i32::from(e.progress)))
        .col_expr(
            tasks::Column::RetryCount,
            Expr::value(i32::try_from(e.retry_count).unwrap_or(i32::MAX)),
        )
        .col_expr(
            tasks::Column::ErrorMessage,
            Expr::value(e.error_message.clone()),
        )
        .col_expr(
            tasks::Column::Result,
            Expr::value(e.result.as_ref().map(result_json)),
        )
        .col_expr(tasks::Column::StartedAt, Expr::value(e.started_at))
        .col_expr(tasks::Column::CompletedAt, Expr::value(e.completed_at))
}

/// An update writing what a task's methods may change: its own fields and its
/// execution state (the plan, its graph and its settings never change).
pub(crate) fn set_record(
    update: sea_orm::UpdateMany<tasks::Entity>,
    t: &TaskRecord,
) -> sea_orm::UpdateMany<tasks::Entity> {
    let update = update
        .col_expr(tasks::Column::Title, Expr::value(t.title.clone()))
        .col_expr(
            tasks::Column::Description,
            Expr::value(t.description.clone()),
        )
        .col_expr(tasks::Column::Status, Expr::value(t.status.as_str()))
        .col_expr(tasks::Column::Priority, Expr::value(t.priority.as_str()))
        .col_expr(
            tasks::Column::AssigneeId,
            Expr::value(t.assignee_id.map(|a| a.0)),
        )
        .col_expr(tasks::Column::Version, Expr::value(t.version))
        .col_expr(tasks::Column::UpdatedAt, Expr::value(t.updated_at));
    match &t.execution {
        Some(e) => execution_columns(update, e),
        None => update,
    }
}
