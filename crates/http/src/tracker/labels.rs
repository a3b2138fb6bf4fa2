//! A project's labels.

use agentry_domain::Services;
use agentry_domain::id::ProjectId;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::{CreateLabel, LabelOut};
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::problem::ApiResult;
use crate::common::responses::Created;

/// Labels.
#[derive(Debug)]
pub struct LabelsApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Projects")]
impl LabelsApi {
    /// Creates a label in the project (`label_created`).
    #[oai(
        path = "/projects/:project_id/labels",
        method = "post",
        operation_id = "create_label"
    )]
    async fn create(
        &self,
        caller: Caller,
        project_id: Path<Uuid>,
        body: Json<CreateLabel>,
    ) -> ApiResult<Created<LabelOut>> {
        let label = self
            .services
            .labels
            .create(
                &caller.0,
                ProjectId(project_id.0),
                &body.name.0,
                body.color.as_ref().map(AsRef::as_ref),
            )
            .await?;
        Ok(Created::Created(Json((&label).into())))
    }

    /// The project's labels, by name.
    #[oai(
        path = "/projects/:project_id/labels",
        method = "get",
        operation_id = "list_labels"
    )]
    async fn list(&self, caller: Caller, project_id: Path<Uuid>) -> ApiResult<Json<Vec<LabelOut>>> {
        let labels = self
            .services
            .labels
            .list(&caller.0, ProjectId(project_id.0))
            .await?;
        Ok(Json(labels.iter().map(LabelOut::from).collect()))
    }
}
