//! A squad's workflows and their versions.

use agentry_domain::Services;
use agentry_domain::id::{SquadId, WorkflowId};
use agentry_domain::squads::{SquadStatus, WorkflowView};
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::{
    DefinitionIn, WorkflowIn, WorkflowOut, WorkflowPageOut, WorkflowPatch, WorkflowVersionInfoOut,
    WorkflowVersionOut, WorkflowVersionPageOut, WorkflowWithDefinitionOut,
};
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::paging;
use crate::common::preconditions::expected_version;
use crate::common::problem::ApiResult;
use crate::common::responses::{NoContent, Versioned, VersionedCreated};
use crate::common::wire::Wire;

fn with_definition(view: &WorkflowView) -> ApiResult<WorkflowWithDefinitionOut> {
    Ok(WorkflowWithDefinitionOut {
        workflow: (&view.workflow).into(),
        current: WorkflowVersionOut::new(&view.current)?,
    })
}

/// Workflows: graphs of steps a squad runs, saved as sealed versions.
#[derive(Debug)]
pub struct WorkflowsApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Squads")]
impl WorkflowsApi {
    /// A page of the squad's workflows, oldest first (to anyone but its owner,
    /// only the active ones).
    #[oai(
        path = "/squads/:id/workflows",
        method = "get",
        operation_id = "list_workflows"
    )]
    async fn workflows(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        status: Query<Option<Wire<SquadStatus>>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200, 50 by default.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<WorkflowPageOut>> {
        let page = paging::request::<WorkflowId>(cursor.0.as_deref(), limit.0)?;
        let found = self
            .services
            .squads
            .workflows(
                &caller.0,
                SquadId(id.0),
                status.0.map(|s| s.0),
                page.after,
                page.limit,
            )
            .await?;
        let (workflows, next_cursor) = paging::items(found, |w| WorkflowOut::from(&w));
        Ok(Json(WorkflowPageOut {
            workflows,
            next_cursor,
        }))
    }

    /// Creates a workflow with its first version, from a definition or a
    /// template (`workflow_created`, `workflow_version_saved`). 422 lists every
    /// problem of the definition (`problems`); 503 when no workflow key is
    /// configured.
    #[oai(
        path = "/squads/:id/workflows",
        method = "post",
        operation_id = "create_workflow"
    )]
    async fn create_workflow(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<WorkflowIn>,
    ) -> ApiResult<VersionedCreated<WorkflowWithDefinitionOut>> {
        let new = body.0.new_workflow()?;
        let view = self
            .services
            .squads
            .create_workflow(&caller.0, SquadId(id.0), new)
            .await?;
        Ok(VersionedCreated::new(
            with_definition(&view)?,
            view.workflow.record.revision,
        ))
    }

    /// A workflow's fields.
    #[oai(path = "/workflows/:id", method = "get", operation_id = "get_workflow")]
    async fn workflow(&self, caller: Caller, id: Path<Uuid>) -> ApiResult<Versioned<WorkflowOut>> {
        let workflow = self
            .services
            .squads
            .workflow(&caller.0, WorkflowId(id.0))
            .await?;
        Ok(Versioned::new((&workflow).into(), workflow.record.revision))
    }

    /// Changes a workflow's name, description or status (`workflow_updated`).
    #[oai(
        path = "/workflows/:id",
        method = "patch",
        operation_id = "update_workflow"
    )]
    async fn update_workflow(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; 412 if the workflow changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<WorkflowPatch>,
    ) -> ApiResult<Versioned<WorkflowOut>> {
        let expected = expected_version(if_match.0.as_deref())?;
        let patch = body.0;
        let workflow = self
            .services
            .squads
            .update_workflow(
                &caller.0,
                WorkflowId(id.0),
                move |d| Ok(patch.apply(d)),
                expected,
            )
            .await?;
        Ok(Versioned::new((&workflow).into(), workflow.record.revision))
    }

    /// Deletes a workflow with its versions (`workflow_deleted`).
    #[oai(
        path = "/workflows/:id",
        method = "delete",
        operation_id = "delete_workflow"
    )]
    async fn delete_workflow(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; 412 if the workflow changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> ApiResult<NoContent> {
        let expected = expected_version(if_match.0.as_deref())?;
        self.services
            .squads
            .delete_workflow(&caller.0, WorkflowId(id.0), expected)
            .await?;
        Ok(NoContent::NoContent)
    }

    /// The workflow's current definition, opened; the `ETag` is the workflow's
    /// revision, for the next save. 503 naming the key when it cannot be opened.
    #[oai(
        path = "/workflows/:id/definition",
        method = "get",
        operation_id = "get_workflow_definition"
    )]
    async fn definition(
        &self,
        caller: Caller,
        id: Path<Uuid>,
    ) -> ApiResult<Versioned<WorkflowWithDefinitionOut>> {
        let view = self
            .services
            .squads
            .current_definition(&caller.0, WorkflowId(id.0))
            .await?;
        Ok(Versioned::new(
            with_definition(&view)?,
            view.workflow.record.revision,
        ))
    }

    /// Saves a definition as the workflow's next version (`workflow_version_saved`
    /// with its digest); every earlier version stays readable. 412 when `If-Match`
    /// names an older revision; 422 lists every problem.
    #[oai(
        path = "/workflows/:id/definition",
        method = "put",
        operation_id = "save_workflow_definition"
    )]
    async fn save_definition(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; 412 if the workflow changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<DefinitionIn>,
    ) -> ApiResult<Versioned<WorkflowWithDefinitionOut>> {
        let expected = expected_version(if_match.0.as_deref())?;
        let view = self
            .services
            .squads
            .save_version(&caller.0, WorkflowId(id.0), &body.0.definition.0, expected)
            .await?;
        Ok(Versioned::new(
            with_definition(&view)?,
            view.workflow.record.revision,
        ))
    }

    /// A page of the workflow's versions, newest first, without definitions.
    #[oai(
        path = "/workflows/:id/versions",
        method = "get",
        operation_id = "list_workflow_versions"
    )]
    async fn versions(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200, 50 by default.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<WorkflowVersionPageOut>> {
        let page = paging::request::<i64>(cursor.0.as_deref(), limit.0)?;
        let found = self
            .services
            .squads
            .versions(&caller.0, WorkflowId(id.0), page.after, page.limit)
            .await?;
        let (versions, next_cursor) = paging::items(found, |v| WorkflowVersionInfoOut::from(&v));
        Ok(Json(WorkflowVersionPageOut {
            versions,
            next_cursor,
        }))
    }

    /// Version `number` of the workflow, with its definition.
    #[oai(
        path = "/workflows/:id/versions/:number",
        method = "get",
        operation_id = "get_workflow_version"
    )]
    async fn version(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        number: Path<i32>,
    ) -> ApiResult<Json<WorkflowVersionOut>> {
        let open = self
            .services
            .squads
            .version(&caller.0, WorkflowId(id.0), number.0)
            .await?;
        Ok(Json(WorkflowVersionOut::new(&open)?))
    }
}
