//! Tasks with their labels and links.

use std::collections::HashMap;

use agentry_domain::event::Event;
use agentry_domain::id::{LabelId, ProjectId, TaskId, TaskLinkId};
use agentry_domain::tracker::{
    LinkKind, NewTask, Task, TaskChange, TaskLink, TaskLinkRepo, TaskQuery, TaskRepo,
};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, Condition, ConnectionTrait, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _,
};
use uuid::Uuid;

mod rows;

pub(crate) use rows::task_from;
pub(crate) use rows::{new_row, result_json, set_record};

use crate::Store;
use crate::entity::{projects, task_dependencies, task_labels, task_links, tasks};
use crate::error::{corrupt, db_error, unique};

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
