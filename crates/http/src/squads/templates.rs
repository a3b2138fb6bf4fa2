//! The workflow template library.

use agentry_domain::Services;
use agentry_domain::id::TemplateId;
use agentry_domain::squads::{Template, TemplateDraft, TemplateQuery};
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::{TemplateIn, TemplateOut, TemplatePageOut};
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::paging;
use crate::common::preconditions::expected_version;
use crate::common::problem::{ApiResult, bad_request};
use crate::common::responses::{NoContent, Versioned, VersionedCreated};

fn versioned(template: &Template) -> Versioned<TemplateOut> {
    Versioned::new(template.into(), template.record.revision)
}

/// Workflow templates: public example definitions new workflows copy.
#[derive(Debug)]
pub struct TemplatesApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Squads")]
impl TemplatesApi {
    /// A page of templates, oldest first (the built-in ones come first).
    #[oai(
        path = "/workflow-templates",
        method = "get",
        operation_id = "list_workflow_templates"
    )]
    async fn templates(
        &self,
        caller: Caller,
        category: Query<Option<String>>,
        is_builtin: Query<Option<bool>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200, 50 by default.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<TemplatePageOut>> {
        let page = paging::request::<TemplateId>(cursor.0.as_deref(), limit.0)?;
        if category.0.as_deref().is_some_and(|c| c.contains('\0')) {
            return Err(bad_request("category", "must not contain NUL characters"));
        }
        let query = TemplateQuery {
            category: category.0,
            is_builtin: is_builtin.0,
            after: page.after,
            limit: page.limit,
        };
        let found = self.services.squads.templates(&caller.0, query).await?;
        let (templates, next_cursor) = paging::items(found, |t| TemplateOut::from(&t));
        Ok(Json(TemplatePageOut {
            templates,
            next_cursor,
        }))
    }

    /// Adds a template of the caller's (`workflow_template_created`).
    #[oai(
        path = "/workflow-templates",
        method = "post",
        operation_id = "create_workflow_template"
    )]
    async fn create_template(
        &self,
        caller: Caller,
        body: Json<TemplateIn>,
    ) -> ApiResult<VersionedCreated<TemplateOut>> {
        let template = self
            .services
            .squads
            .create_template(&caller.0, TemplateDraft::from(body.0))
            .await?;
        Ok(VersionedCreated::new(
            (&template).into(),
            template.record.revision,
        ))
    }

    #[oai(
        path = "/workflow-templates/:id",
        method = "get",
        operation_id = "get_workflow_template"
    )]
    async fn template(&self, caller: Caller, id: Path<Uuid>) -> ApiResult<Versioned<TemplateOut>> {
        let template = self
            .services
            .squads
            .template(&caller.0, TemplateId(id.0))
            .await?;
        Ok(versioned(&template))
    }

    /// Replaces a template (its creator, or an admin; built-in ones admins only).
    #[oai(
        path = "/workflow-templates/:id",
        method = "put",
        operation_id = "replace_workflow_template"
    )]
    async fn replace_template(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; 412 if the template changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<TemplateIn>,
    ) -> ApiResult<Versioned<TemplateOut>> {
        let expected = expected_version(if_match.0.as_deref())?;
        let draft = TemplateDraft::from(body.0);
        let template = self
            .services
            .squads
            .update_template(
                &caller.0,
                TemplateId(id.0),
                move |_| Ok(draft.clone()),
                expected,
            )
            .await?;
        Ok(versioned(&template))
    }

    /// Removes a template (its creator, or an admin; built-in ones admins only).
    #[oai(
        path = "/workflow-templates/:id",
        method = "delete",
        operation_id = "delete_workflow_template"
    )]
    async fn delete_template(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; 412 if the template changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> ApiResult<NoContent> {
        let expected = expected_version(if_match.0.as_deref())?;
        self.services
            .squads
            .delete_template(&caller.0, TemplateId(id.0), expected)
            .await?;
        Ok(NoContent::NoContent)
    }
}
