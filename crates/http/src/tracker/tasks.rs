//! Tasks: the tracker's work items, with their labels and links.
//!
//! Every response carries the task's version as an `ETag`; a write that sends it
//! back in `If-Match` happens only if nobody changed the task in between (412).

use agentry_domain::Services;
use agentry_domain::id::{LabelId, MemberId, ProjectId, TaskId, TaskLinkId};
use agentry_domain::tracker::{TaskQuery, TaskStatus, TaskView};
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::{
    CreateLinkIn, CreateTaskIn, LinkOut, LinksOut, PatchTaskIn, TaskOut, TaskPageOut,
};
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::paging;
use crate::common::preconditions::expected_version;
use crate::common::problem::ApiResult;
use crate::common::responses::{Created, NoContent, Versioned, VersionedCreated};
use crate::common::wire::Wire;

fn versioned(view: &TaskView) -> Versioned<TaskOut> {
    Versioned::new(view.into(), view.task.version())
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
    ) -> ApiResult<VersionedCreated<TaskOut>> {
        let view = self
            .services
            .tasks
            .create(&caller.0, ProjectId(project_id.0), body.0.into())
            .await?;
        Ok(VersionedCreated::new((&view).into(), view.task.version()))
    }

    /// A page of the project's tasks by number, filtered.
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
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200, 50 by default.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<TaskPageOut>> {
        let page = paging::request::<i64>(cursor.0.as_deref(), limit.0)?;
        let query = TaskQuery {
            project_id: None,
            status: status.0.map(|s| s.0),
            assignee_id: assignee_id.0.map(MemberId),
            label_id: label_id.0.map(LabelId),
            after_number: page.after,
            limit: page.limit,
        };
        let found = self
            .services
            .tasks
            .list(&caller.0, ProjectId(project_id.0), query)
            .await?;
        let (tasks, next_cursor) = paging::items(found, |view| TaskOut::from(&view));
        Ok(Json(TaskPageOut { tasks, next_cursor }))
    }

    #[oai(path = "/tasks/:task_id", method = "get", operation_id = "get_task")]
    async fn get(&self, caller: Caller, task_id: Path<Uuid>) -> ApiResult<Versioned<TaskOut>> {
        let view = self
            .services
            .tasks
            .get(&caller.0, TaskId(task_id.0))
            .await?;
        Ok(versioned(&view))
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
        /// The `ETag` last read; the write fails with 412 if the task changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<PatchTaskIn>,
    ) -> ApiResult<Versioned<TaskOut>> {
        let expected = expected_version(if_match.0.as_deref())?;
        let view = self
            .services
            .tasks
            .update(&caller.0, TaskId(task_id.0), body.0.into(), expected)
            .await?;
        Ok(versioned(&view))
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
        /// The `ETag` last read; the write fails with 412 if the task changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> ApiResult<Versioned<TaskOut>> {
        self.set_label(&caller, task_id.0, label_id.0, &if_match, true)
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
        /// The `ETag` last read; the write fails with 412 if the task changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> ApiResult<Versioned<TaskOut>> {
        self.set_label(&caller, task_id.0, label_id.0, &if_match, false)
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

impl TasksApi {
    /// Both label routes: put on (`on`) or take off, under the same `If-Match` rules.
    async fn set_label(
        &self,
        caller: &Caller,
        task_id: Uuid,
        label_id: Uuid,
        if_match: &Header<Option<String>>,
        on: bool,
    ) -> ApiResult<Versioned<TaskOut>> {
        let expected = expected_version(if_match.0.as_deref())?;
        let view = self
            .services
            .tasks
            .set_label(&caller.0, TaskId(task_id), LabelId(label_id), on, expected)
            .await?;
        Ok(versioned(&view))
    }
}
