//! Tools: what an assistant may call, with the JSON Schema of its input.

use agentry_domain::Services;
use agentry_domain::id::ToolId;
use agentry_domain::registry::ToolKind;
use agentry_domain::registry::ToolQuery;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::{ToolIn, ToolOut, ToolPatch};
use super::{RecordResponse, precondition};
use crate::Tag;
use crate::auth::Caller;
use crate::common::wire::Wire;
use crate::problem::ApiResult;
use crate::tasks::{NoContent, expected_version};

type ToolResponse = RecordResponse<ToolOut>;

/// Tools.
#[derive(Debug)]
pub struct ToolsApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Registry")]
impl ToolsApi {
    /// Tools by name, filtered; page on with `after` = the last name seen.
    #[oai(path = "/tools", method = "get", operation_id = "list_tools")]
    async fn tools(
        &self,
        caller: Caller,
        is_active: Query<Option<bool>>,
        tool_type: Query<Option<Wire<ToolKind>>>,
        after: Query<Option<String>>,
        /// 1-200, default 50.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<Vec<ToolOut>>> {
        let query = ToolQuery {
            is_active: is_active.0,
            tool_type: tool_type.0.map(|t| t.0),
            after_name: after.0,
            limit: super::limit(limit.0)?,
        };
        let found = self.services.registry.tools(&caller.0, &query).await?;
        Ok(Json(found.iter().map(ToolOut::from).collect()))
    }

    /// Registers a tool (admin; `tool_created`). Its input schema must be a valid
    /// JSON Schema of an object.
    #[oai(path = "/tools", method = "post", operation_id = "create_tool")]
    async fn create_tool(&self, caller: Caller, body: Json<ToolIn>) -> ApiResult<ToolResponse> {
        let t = self
            .services
            .registry
            .create_tool(&caller.0, body.0.draft()?)
            .await?;
        Ok(ToolResponse::created(&t))
    }

    #[oai(path = "/tools/:id", method = "get", operation_id = "get_tool")]
    async fn tool(&self, caller: Caller, id: Path<Uuid>) -> ApiResult<ToolResponse> {
        let t = self.services.registry.tool(&caller.0, ToolId(id.0)).await?;
        Ok(ToolResponse::ok(&t))
    }

    /// Replaces every settable field (admin; `tool_updated`); 412 on a stale `If-Match`.
    #[oai(path = "/tools/:id", method = "put", operation_id = "replace_tool")]
    async fn replace_tool(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<ToolIn>,
    ) -> ApiResult<ToolResponse> {
        let expected = expected_version(if_match.0.as_deref())?;
        let t = self
            .services
            .registry
            .update_tool(&caller.0, ToolId(id.0), body.0.draft()?, expected)
            .await
            .map_err(precondition)?;
        Ok(ToolResponse::ok(&t))
    }

    /// Changes the given fields (admin), as `PUT` for the rest.
    #[oai(path = "/tools/:id", method = "patch", operation_id = "update_tool")]
    async fn update_tool(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<ToolPatch>,
    ) -> ApiResult<ToolResponse> {
        let expected = expected_version(if_match.0.as_deref())?;
        let registry = &self.services.registry;
        let current = registry.tool(&caller.0, ToolId(id.0)).await?;
        let draft = body.0.apply(&current.draft)?;
        let t = registry
            .update_tool(
                &caller.0,
                current.id,
                draft,
                Some(expected.unwrap_or(current.revision)),
            )
            .await
            .map_err(precondition)?;
        Ok(ToolResponse::ok(&t))
    }

    /// Deletes a tool no assistant uses (admin; `tool_deleted`); 409 while linked.
    #[oai(path = "/tools/:id", method = "delete", operation_id = "delete_tool")]
    async fn delete_tool(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> ApiResult<NoContent> {
        let expected = expected_version(if_match.0.as_deref())?;
        self.services
            .registry
            .delete_tool(&caller.0, ToolId(id.0), expected)
            .await
            .map_err(precondition)?;
        Ok(NoContent::NoContent)
    }
}
