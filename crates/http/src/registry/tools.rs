//! Tools: what an assistant may call, with the JSON Schema of its input.

use agentry_domain::Services;
use agentry_domain::id::ToolId;
use agentry_domain::registry::{ToolKind, ToolName, ToolQuery};
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::{ToolIn, ToolOut, ToolPageOut, ToolPatch};
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::paging;
use crate::common::preconditions::expected_version;
use crate::common::problem::ApiResult;
use crate::common::responses::{NoContent, Versioned, VersionedCreated};
use crate::common::wire::Wire;

fn versioned(tool: &agentry_domain::registry::Tool) -> Versioned<ToolOut> {
    Versioned::new(tool.into(), tool.revision)
}

/// Tools.
#[derive(Debug)]
pub struct ToolsApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Registry")]
impl ToolsApi {
    /// A page of tools by name, filtered.
    #[oai(path = "/tools", method = "get", operation_id = "list_tools")]
    async fn tools(
        &self,
        caller: Caller,
        is_active: Query<Option<bool>>,
        tool_type: Query<Option<Wire<ToolKind>>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200, 50 by default.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<ToolPageOut>> {
        let page = paging::request::<ToolName>(cursor.0.as_deref(), limit.0)?;
        let query = ToolQuery {
            is_active: is_active.0,
            tool_type: tool_type.0.map(|t| t.0),
            after_name: page.after.map(String::from),
            limit: page.limit,
        };
        let found = self.services.registry.tools(&caller.0, query).await?;
        let (tools, next_cursor) = paging::items(found, |t| ToolOut::from(&t));
        Ok(Json(ToolPageOut { tools, next_cursor }))
    }

    /// Registers a tool (admin; `tool_created`). Its input schema must be a valid
    /// JSON Schema of an object.
    #[oai(path = "/tools", method = "post", operation_id = "create_tool")]
    async fn create_tool(
        &self,
        caller: Caller,
        body: Json<ToolIn>,
    ) -> ApiResult<VersionedCreated<ToolOut>> {
        let t = self
            .services
            .registry
            .create_tool(&caller.0, body.0.draft()?)
            .await?;
        Ok(VersionedCreated::new((&t).into(), t.revision))
    }

    #[oai(path = "/tools/:id", method = "get", operation_id = "get_tool")]
    async fn tool(&self, caller: Caller, id: Path<Uuid>) -> ApiResult<Versioned<ToolOut>> {
        let t = self.services.registry.tool(&caller.0, ToolId(id.0)).await?;
        Ok(versioned(&t))
    }

    /// Replaces every settable field (admin; `tool_updated`).
    #[oai(path = "/tools/:id", method = "put", operation_id = "replace_tool")]
    async fn replace_tool(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; the write fails with 412 if the tool changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<ToolIn>,
    ) -> ApiResult<Versioned<ToolOut>> {
        let expected = expected_version(if_match.0.as_deref())?;
        let draft = body.0.draft()?;
        let t = self
            .services
            .registry
            .update_tool(
                &caller.0,
                ToolId(id.0),
                move |_| Ok(draft.clone()),
                expected,
            )
            .await?;
        Ok(versioned(&t))
    }

    /// Changes the given fields (admin), as `PUT` for the rest.
    #[oai(path = "/tools/:id", method = "patch", operation_id = "update_tool")]
    async fn update_tool(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; the write fails with 412 if the tool changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<ToolPatch>,
    ) -> ApiResult<Versioned<ToolOut>> {
        let expected = expected_version(if_match.0.as_deref())?;
        let patch = body.0;
        let t = self
            .services
            .registry
            .update_tool(
                &caller.0,
                ToolId(id.0),
                move |current| patch.apply(current),
                expected,
            )
            .await?;
        Ok(versioned(&t))
    }

    /// Deletes a tool no assistant uses (admin; `tool_deleted`); 409 while linked.
    #[oai(path = "/tools/:id", method = "delete", operation_id = "delete_tool")]
    async fn delete_tool(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; the delete fails with 412 if the tool changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> ApiResult<NoContent> {
        let expected = expected_version(if_match.0.as_deref())?;
        self.services
            .registry
            .delete_tool(&caller.0, ToolId(id.0), expected)
            .await?;
        Ok(NoContent::NoContent)
    }
}
