//! Tasks with their labels and links.

use std::collections::HashMap;

use agentry_domain::event::Event;
use agentry_domain::id::{LabelId, MemberId, PlanId, ProjectId, TaskId, TaskLinkId};
use agentry_domain::tracker::{
    Execution, LinkKind, NewTask, Priority, Task, TaskChange, TaskLink, TaskLinkRepo, TaskQuery,
    TaskRecord, TaskRepo, TaskStatus,
};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, Condition, ConnectionTrait, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _,
};
use uuid::Uuid;

use crate::Store;
use crate::entity::{projects, task_dependencies, task_labels, task_links, tasks};
use crate::error::{corrupt, db_error, unique};

fn task_from(row: tasks::Model, labels: Vec<LabelId>, depends_on: Vec<TaskId>) -> Result<Task> {
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

fn result_json(result: &agentry_domain::tracker::TaskResult) -> String {
    serde_json::to_string(result).unwrap_or_else(|_| "{}".to_owned())
}

/// An update writing what the engine's moves change: the status, the execution
/// state and the next version, counted from the stored one, so an edit a person
/// made to the task's own fields meanwhile stands.
pub(crate) fn set_execution(
    update: sea_orm::UpdateMany<tasks::Entity>,
    t: &TaskRecord,
) -> sea_orm::UpdateMany<tasks::Entity> {
    let update = update
        .col_expr(tasks::Column::Status, Expr::value(t.status.as_str()))
        .col_expr(
            tasks::Column::Version,
            Expr::col(tasks::Column::Version).add(1),
        )
        .col_expr(tasks::Column::UpdatedAt, Expr::value(t.updated_at));
    match &t.execution {
        Some(e) => execution_columns(update, e),
        None => update,
    }
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

fn link_from(row: task_links::Model) -> Result<TaskLink> {
    Ok(TaskLink {
        id: TaskLinkId(row.id),
        project_id: ProjectId(row.project_id),
        source_id: TaskId(row.source_id),
        target_id: TaskId(row.target_id),
        kind: LinkKind::parse(&row.kind).map_err(|e| corrupt("link kind", e))?,
        created_at: row.created_at,
    })
}

fn label_row(
    task: TaskId,
    label: LabelId,
    at: chrono::DateTime<chrono::Utc>,
) -> task_labels::ActiveModel {
    task_labels::ActiveModel {
        task_id: Set(task.0),
        label_id: Set(label.0),
        created_at: Set(at),
    }
}

/// The labels of each of `tasks`, sorted, in one query.
async fn labels_of(
    conn: &impl ConnectionTrait,
    tasks: &[Uuid],
) -> Result<HashMap<Uuid, Vec<LabelId>>> {
    let mut labels: HashMap<Uuid, Vec<LabelId>> = HashMap::new();
    if tasks.is_empty() {
        return Ok(labels);
    }
    let rows = task_labels::Entity::find()
        .filter(task_labels::Column::TaskId.is_in(tasks.iter().copied()))
        .all(conn)
        .await
        .map_err(db_error)?;
    for row in rows {
        labels
            .entry(row.task_id)
            .or_default()
            .push(LabelId(row.label_id));
    }
    labels.values_mut().for_each(|l| l.sort());
    Ok(labels)
}

/// The dependencies of each of `tasks`, sorted, in one query per chunk.
async fn dependencies_of(
    conn: &impl ConnectionTrait,
    tasks: &[Uuid],
) -> Result<HashMap<Uuid, Vec<TaskId>>> {
    let mut deps: HashMap<Uuid, Vec<TaskId>> = HashMap::new();
    for chunk in tasks.chunks(crate::events::ROWS_PER_STATEMENT) {
        let rows = task_dependencies::Entity::find()
            .filter(task_dependencies::Column::TaskId.is_in(chunk.iter().copied()))
            .all(conn)
            .await
            .map_err(db_error)?;
        for row in rows {
            deps.entry(row.task_id)
                .or_default()
                .push(TaskId(row.depends_on_id));
        }
    }
    deps.values_mut().for_each(|d| d.sort());
    Ok(deps)
}

/// Tasks from their rows, with their labels and (for plan tasks) dependencies.
pub(crate) async fn with_labels(
    conn: &impl ConnectionTrait,
    rows: Vec<tasks::Model>,
) -> Result<Vec<Task>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut labels = labels_of(conn, &ids).await?;
    let planned: Vec<Uuid> = rows
        .iter()
        .filter(|r| r.plan_id.is_some())
        .map(|r| r.id)
        .collect();
    let mut deps = if planned.is_empty() {
        HashMap::new()
    } else {
        dependencies_of(conn, &planned).await?
    };
    rows.into_iter()
        .map(|row| {
            let own = labels.remove(&row.id).unwrap_or_default();
            let depends_on = deps.remove(&row.id).unwrap_or_default();
            task_from(row, own, depends_on)
        })
        .collect()
}

async fn apply_change(conn: &impl ConnectionTrait, task: &Task, change: &TaskChange) -> Result<()> {
    let (id, at) = (task.id(), task.record().updated_at);
    match change {
        TaskChange::AddLabel(label) => {
            task_labels::Entity::insert(label_row(id, *label, at))
                .exec_without_returning(conn)
                .await
                .map_err(unique("the task has this label already"))?;
        }
        TaskChange::RemoveLabel(label) => {
            task_labels::Entity::delete_many()
                .filter(task_labels::Column::TaskId.eq(id.0))
                .filter(task_labels::Column::LabelId.eq(label.0))
                .exec(conn)
                .await
                .map_err(db_error)?;
        }
        TaskChange::AddLink(link) => {
            let row = task_links::ActiveModel {
                id: Set(link.id.0),
                project_id: Set(link.project_id.0),
                source_id: Set(link.source_id.0),
                target_id: Set(link.target_id.0),
                kind: Set(link.kind.as_str().to_owned()),
                created_at: Set(link.created_at),
            };
            task_links::Entity::insert(row)
                .exec_without_returning(conn)
                .await
                .map_err(unique("the tasks are linked so already"))?;
        }
        TaskChange::RemoveLink(link) => {
            let removed = task_links::Entity::delete_by_id(link.0)
                .exec(conn)
                .await
                .map_err(db_error)?;
            // Removed meanwhile (through the task at its other end): its event stands.
            if removed.rows_affected == 0 {
                return Err(Error::NotFound { entity: "link" });
            }
        }
    }
    Ok(())
}

impl Store {
    /// The task matching `condition` (a unique key), with its labels.
    async fn one_task(
        &self,
        condition: impl sea_orm::sea_query::IntoCondition,
    ) -> Result<Option<Task>> {
        let row = tasks::Entity::find()
            .filter(condition)
            .one(&self.read)
            .await
            .map_err(db_error)?;
        Ok(with_labels(&self.read, row.into_iter().collect())
            .await?
            .pop())
    }
}

#[async_trait]
impl TaskRepo for Store {
    async fn create_task(&self, task: &NewTask, events: &[Event]) -> Result<Task> {
        let project = task.record().project_id;
        self.transact(events, async |txn| {
            // Bumping the counter first takes the project's row lock on PostgreSQL, so
            // concurrent creations get consecutive numbers instead of colliding.
            let bumped = projects::Entity::update_many()
                .col_expr(
                    projects::Column::TaskSeq,
                    Expr::col(projects::Column::TaskSeq).add(1),
                )
                .filter(projects::Column::Id.eq(project.0))
                .exec(txn)
                .await
                .map_err(db_error)?;
            if bumped.rows_affected == 0 {
                return Err(Error::NotFound { entity: "project" });
            }
            let number = projects::Entity::find_by_id(project.0)
                .select_only()
                .column(projects::Column::TaskSeq)
                .into_tuple::<i64>()
                .one(txn)
                .await
                .map_err(db_error)?
                .ok_or(Error::NotFound { entity: "project" })?;
            let task = task.clone().numbered(number);
            let t = task.record();
            let row = new_row(t);
            tasks::Entity::insert(row)
                .exec_without_returning(txn)
                .await
                .map_err(db_error)?;
            task_labels::Entity::insert_many(
                t.labels.iter().map(|l| label_row(t.id, *l, t.created_at)),
            )
            .exec_without_returning(txn)
            .await
            .map_err(db_error)?;
            Ok(task)
        })
        .await
    }

    async fn get_task(&self, id: TaskId) -> Result<Option<Task>> {
        self.one_task(tasks::Column::Id.eq(id.0)).await
    }

    async fn task_project(&self, id: TaskId) -> Result<Option<ProjectId>> {
        let seen = match self.caches.task_projects.get(&id) {
            Ok(project) => return Ok(Some(project)),
            Err(seen) => seen,
        };
        let project: Option<Uuid> = tasks::Entity::find_by_id(id.0)
            .select_only()
            .column(tasks::Column::ProjectId)
            .into_tuple()
            .one(&self.read)
            .await
            .map_err(db_error)?;
        let project = project.map(ProjectId);
        if let Some(project) = project {
            self.caches.task_projects.put(seen, id, project);
        }
        Ok(project)
    }

    async fn get_task_by_number(&self, project: ProjectId, number: i64) -> Result<Option<Task>> {
        let key = Condition::all()
            .add(tasks::Column::ProjectId.eq(project.0))
            .add(tasks::Column::Number.eq(number));
        self.one_task(key).await
    }

    async fn list_tasks(&self, q: &TaskQuery) -> Result<Vec<Task>> {
        let mut query = tasks::Entity::find();
        if let Some(project) = q.project_id {
            query = query.filter(tasks::Column::ProjectId.eq(project.0));
        }
        if let Some(status) = q.status {
            query = query.filter(tasks::Column::Status.eq(status.as_str()));
        }
        if let Some(assignee) = q.assignee_id {
            query = query.filter(tasks::Column::AssigneeId.eq(assignee.0));
        }
        if let Some(label) = q.label_id {
            let labelled = Query::select()
                .column(task_labels::Column::TaskId)
                .from(task_labels::Entity)
                .and_where(task_labels::Column::LabelId.eq(label.0))
                .to_owned();
            query = query.filter(Condition::all().add(tasks::Column::Id.in_subquery(labelled)));
        }
        if let Some(after) = q.after_number {
            query = query.filter(tasks::Column::Number.gt(after));
        }
        let rows = query
            .order_by_asc(tasks::Column::Number)
            .order_by_asc(tasks::Column::Id)
            .limit(u64::from(q.limit))
            .all(&self.read)
            .await
            .map_err(db_error)?;
        with_labels(&self.read, rows).await
    }

    async fn update_task(
        &self,
        task: &Task,
        expected_version: i64,
        changes: &[TaskChange],
        events: &[Event],
    ) -> Result<()> {
        let t = task.record();
        let planned = self
            .transact(events, async |txn| {
                if let Some(plan) = crate::plan_state::plan_of(txn, t.id).await? {
                    crate::plan_state::lock_plan(txn, plan).await?;
                }
                let before = crate::plan_state::lock_task(txn, t.id).await?;
                if before.version != expected_version {
                    return Err(Error::StaleVersion {
                        expected: expected_version,
                        actual: before.version,
                    });
                }
                set_record(tasks::Entity::update_many(), t)
                    .filter(tasks::Column::Id.eq(t.id.0))
                    .filter(tasks::Column::Version.eq(expected_version))
                    .exec(txn)
                    .await
                    .map_err(db_error)?;
                if let Some(plan) = before.plan_id {
                    let mut follow = crate::plan_state::after_status_change(
                        txn,
                        task,
                        before.status,
                        t.updated_at,
                        true,
                    )
                    .await?;
                    follow.extend(
                        crate::plan_state::refresh_plan(txn, plan, false, t.updated_at).await?,
                    );
                    crate::events::insert(txn, &follow).await?;
                    self.work.announce(txn).await?;
                }
                for change in changes {
                    apply_change(txn, task, change).await?;
                }
                Ok(before.plan_id.is_some())
            })
            .await?;
        if planned {
            self.work.wake();
        }
        Ok(())
    }
}

#[async_trait]
impl TaskLinkRepo for Store {
    async fn list_links(&self, task: TaskId) -> Result<Vec<TaskLink>> {
        let rows = task_links::Entity::find()
            .filter(
                Condition::any()
                    .add(task_links::Column::SourceId.eq(task.0))
                    .add(task_links::Column::TargetId.eq(task.0)),
            )
            .order_by_asc(task_links::Column::Id)
            .all(&self.read)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(link_from).collect()
    }

    async fn get_link(&self, id: TaskLinkId) -> Result<Option<TaskLink>> {
        let row = task_links::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?;
        row.map(link_from).transpose()
    }
}
