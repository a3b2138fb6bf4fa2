//! Tasks: the tracker's work items, with their labels and links.
//!
//! Every response carries the task's version as an `ETag`; a write that sends it back
//! in `If-Match` happens only if nobody changed the task in between (409 otherwise).

use agentry_domain::Services;
use agentry_domain::id::{LabelId, MemberId, ProjectId, TaskId, TaskLinkId};
use agentry_domain::tracker::TaskQuery;
use agentry_domain::tracker::{CreateTask, TaskView};
use agentry_domain::tracker::{LinkKind, Priority, TaskLink, TaskPatch, TaskStatus};
use chrono::{DateTime, Utc};
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use crate::Tag;
use crate::accounts::Created;
use crate::auth::Caller;
use crate::common::wire::Wire;
use crate::problem::{ApiResult, bad_request};
use crate::text::Text;

#[derive(Debug, Object)]
pub struct TaskOut {
    pub id: Uuid,
    pub project_id: Uuid,
    /// The human-readable key, such as `TE-4`.
    pub key: String,
    pub number: i64,
    pub title: String,
    pub description: String,
    pub status: Wire<TaskStatus>,
    pub priority: Wire<Priority>,
    pub assignee_id: Option<Uuid>,
    pub labels: Vec<Uuid>,
    /// Bumped by every change; also sent as the `ETag`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&TaskView> for TaskOut {
    fn from(v: &TaskView) -> Self {
        let t = &v.task;
        Self {
            id: t.id.0,
            project_id: t.project_id.0,
            key: v.key.clone(),
            number: t.number,
            title: t.title.clone(),
            description: t.description.clone(),
            status: t.status.into(),
            priority: t.priority.into(),
            assignee_id: t.assignee_id.map(|a| a.0),
            labels: t.labels.iter().map(|l| l.0).collect(),
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateTaskIn {
    pub title: Text,
    #[oai(default)]
    pub description: Text,
    /// `backlog` (default), `pending` or `in_progress`.
    pub status: Option<Wire<TaskStatus>>,
    /// `medium` by default.
    pub priority: Option<Wire<Priority>>,
    /// A member of the project.
    pub assignee_id: Option<Uuid>,
    /// Labels of the project.
    #[oai(default)]
    pub labels: Vec<Uuid>,
}

/// The fields to change; absent fields stay as they are.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PatchTaskIn {
    pub title: Option<Text>,
    pub description: Option<Text>,
    /// Must be an allowed transition from the current status (409 otherwise).
    pub status: Option<Wire<TaskStatus>>,
    pub priority: Option<Wire<Priority>>,
    /// A member of the project, or `null` to unassign.
    pub assignee_id: MaybeUndefined<Uuid>,
}

#[derive(Debug, Object)]
pub struct LinkOut {
    pub id: Uuid,
    pub source_task_id: Uuid,
    pub target_task_id: Uuid,
    pub kind: Wire<LinkKind>,
    pub created_at: DateTime<Utc>,
}

impl From<&TaskLink> for LinkOut {
    fn from(l: &TaskLink) -> Self {
        Self {
            id: l.id.0,
            source_task_id: l.source_id.0,
            target_task_id: l.target_id.0,
            kind: l.kind.into(),
            created_at: l.created_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct LinksOut {
    /// Links from this task to others.
    pub outgoing: Vec<LinkOut>,
    /// Links from other tasks to this one.
    pub incoming: Vec<LinkOut>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateLinkIn {
    /// A task of the same project.
    pub target_task_id: Uuid,
    pub kind: Wire<LinkKind>,
}

#[derive(Debug, ApiResponse)]
pub enum TaskResponse {
    #[oai(status = 200)]
    Ok(Json<TaskOut>, #[oai(header = "ETag")] String),
    #[oai(status = 201)]
    Created(Json<TaskOut>, #[oai(header = "ETag")] String),
}

impl TaskResponse {
    fn ok(view: &TaskView) -> Self {
        Self::Ok(Json(view.into()), etag(view.task.version))
    }
}

#[derive(Debug, ApiResponse)]
pub enum NoContent {
    #[oai(status = 204)]
    NoContent,
}

pub(crate) fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version named by an `If-Match` header: `"3"`, `W/"3"` or `3`; `*` names none.
pub(crate) fn expected_version(if_match: Option<&str>) -> ApiResult<Option<i64>> {
    let Some(raw) = if_match.map(str::trim) else {
        return Ok(None);
    };
    if raw == "*" {
        return Ok(None);
    }
    let tag = raw.strip_prefix("W/").unwrap_or(raw).trim_matches('"');
    tag.parse::<i64>().map(Some).map_err(|_| {
        bad_request(
            "If-Match",
            "must be an ETag this API returned, such as \"3\"",
        )
    })
}

/// Tasks, task labels and task links.
#[derive(Debug)]
pub struct TasksApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Tasks")]
impl TasksApi {
    /// Creates a task with the project's next number; records `task_created`.
    #[oai(
        path = "/projects/:project_id/tasks",
        method = "post",
        operation_id = "create_task"
    )]
    async fn create(
        &self,
        caller: Caller,
        project_id: Path<Uuid>,
        body: Json<CreateTaskIn>,
    ) -> ApiResult<TaskResponse> {
        let Json(body) = body;
        let input = CreateTask {
            title: body.title.into(),
            description: body.description.into(),
            status: body.status.map(|s| s.0),
            priority: body.priority.map(|p| p.0),
            assignee_id: body.assignee_id.map(MemberId),
            labels: body.labels.into_iter().map(LabelId).collect(),
        };
        let view = self
            .services
            .tasks
            .create(&caller.0, ProjectId(project_id.0), input)
            .await?;
        Ok(TaskResponse::Created(
            Json((&view).into()),
            etag(view.task.version),
        ))
    }

    /// A project's tasks by number, filtered; continue with `after` = the last number.
    #[oai(
        path = "/projects/:project_id/tasks",
        method = "get",
        operation_id = "list_tasks"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per query parameter"
    )]
    async fn list(
        &self,
        caller: Caller,
        project_id: Path<Uuid>,
        status: Query<Option<Wire<TaskStatus>>>,
        assignee_id: Query<Option<Uuid>>,
        label_id: Query<Option<Uuid>>,
        /// Only tasks numbered after this.
        after: Query<Option<i64>>,
        /// 1–500, 100 by default.
        #[oai(
            default = "default_task_limit",
            validator(minimum(value = "1"), maximum(value = "500"))
        )]
        limit: Query<u32>,
    ) -> ApiResult<Json<Vec<TaskOut>>> {
        let query = TaskQuery {
            project_id: None,
            status: status.0.map(|s| s.0),
            assignee_id: assignee_id.0.map(MemberId),
            label_id: label_id.0.map(LabelId),
            after_number: after.0,
            limit: limit.0,
        };
        let tasks = self
            .services
            .tasks
            .list(&caller.0, ProjectId(project_id.0), query)
            .await?;
        Ok(Json(tasks.iter().map(TaskOut::from).collect()))
    }

    #[oai(path = "/tasks/:task_id", method = "get", operation_id = "get_task")]
    async fn get(&self, caller: Caller, task_id: Path<Uuid>) -> ApiResult<TaskResponse> {
        let view = self
            .services
            .tasks
            .get(&caller.0, TaskId(task_id.0))
            .await?;
        Ok(TaskResponse::ok(&view))
    }

    /// Changes fields; records one event per changed field (`task_updated`,
    /// `task_status`, `task_assigned`, `task_unassigned`).
    #[oai(
        path = "/tasks/:task_id",
        method = "patch",
        operation_id = "update_task"
    )]
    async fn update(
        &self,
        caller: Caller,
        task_id: Path<Uuid>,
        /// The `ETag` last read; the write fails with 409 if the task changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<PatchTaskIn>,
    ) -> ApiResult<TaskResponse> {
        let expected = expected_version(if_match.0.as_deref())?;
        let Json(body) = body;
        let assignee = match body.assignee_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(MemberId(id))),
        };
        let patch = TaskPatch {
            title: body.title.map(Into::into),
            description: body.description.map(Into::into),
            status: body.status.map(|s| s.0),
            priority: body.priority.map(|p| p.0),
            assignee,
        };
        let view = self
            .services
            .tasks
            .update(&caller.0, TaskId(task_id.0), patch, expected)
            .await?;
        Ok(TaskResponse::ok(&view))
    }

    /// Puts a label on the task (`task_label_add`); a no-op if it is there.
    #[oai(
        path = "/tasks/:task_id/labels/:label_id",
        method = "put",
        operation_id = "add_task_label"
    )]
    async fn add_label(
        &self,
        caller: Caller,
        task_id: Path<Uuid>,
        label_id: Path<Uuid>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> ApiResult<TaskResponse> {
        set_label(
            &self.services,
            &caller,
            task_id.0,
            label_id.0,
            &if_match,
            true,
        )
        .await
    }

    /// Takes a label off the task (`task_label_remove`); a no-op if it is not there.
    #[oai(
        path = "/tasks/:task_id/labels/:label_id",
        method = "delete",
        operation_id = "remove_task_label"
    )]
    async fn remove_label(
        &self,
        caller: Caller,
        task_id: Path<Uuid>,
        label_id: Path<Uuid>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> ApiResult<TaskResponse> {
        set_label(
            &self.services,
            &caller,
            task_id.0,
            label_id.0,
            &if_match,
            false,
        )
        .await
    }

    #[oai(
        path = "/tasks/:task_id/links",
        method = "get",
        operation_id = "list_task_links"
    )]
    async fn links(&self, caller: Caller, task_id: Path<Uuid>) -> ApiResult<Json<LinksOut>> {
        let links = self
            .services
            .tasks
            .links(&caller.0, TaskId(task_id.0))
            .await?;
        Ok(Json(LinksOut {
            outgoing: links.outgoing.iter().map(LinkOut::from).collect(),
            incoming: links.incoming.iter().map(LinkOut::from).collect(),
        }))
    }

    /// Links the task to another of the project (recorded as `task_updated`, field `link`).
    #[oai(
        path = "/tasks/:task_id/links",
        method = "post",
        operation_id = "create_task_link"
    )]
    async fn link(
        &self,
        caller: Caller,
        task_id: Path<Uuid>,
        body: Json<CreateLinkIn>,
    ) -> ApiResult<Created<LinkOut>> {
        let link = self
            .services
            .tasks
            .link(
                &caller.0,
                TaskId(task_id.0),
                TaskId(body.target_task_id),
                body.kind.0,
            )
            .await?;
        Ok(Created::Created(Json((&link).into())))
    }

    #[oai(
        path = "/tasks/:task_id/links/:link_id",
        method = "delete",
        operation_id = "delete_task_link"
    )]
    async fn unlink(
        &self,
        caller: Caller,
        task_id: Path<Uuid>,
        link_id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        self.services
            .tasks
            .unlink(&caller.0, TaskId(task_id.0), TaskLinkId(link_id.0))
            .await?;
        Ok(NoContent::NoContent)
    }
}

fn default_task_limit() -> u32 {
    100
}

/// Both label routes: put on (`on`) or take off, under the same `If-Match` rules.
async fn set_label(
    services: &Services,
    caller: &Caller,
    task_id: Uuid,
    label_id: Uuid,
    if_match: &Header<Option<String>>,
    on: bool,
) -> ApiResult<TaskResponse> {
    let expected = expected_version(if_match.0.as_deref())?;
    let view = services
        .tasks
        .set_label(&caller.0, TaskId(task_id), LabelId(label_id), on, expected)
        .await?;
    Ok(TaskResponse::ok(&view))
}

#[cfg(test)]
mod tests {
    use super::expected_version;

    #[test]
    fn if_match_accepts_strong_weak_and_bare_tags() {
        assert_eq!(expected_version(Some("\"3\"")).unwrap(), Some(3));
        assert_eq!(expected_version(Some("W/\"4\"")).unwrap(), Some(4));
        assert_eq!(expected_version(Some("5")).unwrap(), Some(5));
        assert_eq!(expected_version(Some("*")).unwrap(), None);
        assert_eq!(expected_version(None).unwrap(), None);
        assert!(expected_version(Some("\"abc\"")).is_err());
    }
}
