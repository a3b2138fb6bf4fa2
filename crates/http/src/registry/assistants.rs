//! Assistants: their settings, their tools, what they resolve to, and a
//! caller's thread with one.

use agentry_domain::Services;
use agentry_domain::id::{AssistantId, ToolId};
use agentry_domain::registry::{Assistant, AssistantKind, AssistantQuery};
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::{
    AssistantIn, AssistantOut, AssistantPageOut, AssistantPatch, LinkedToolOut, OpenAiToolsOut,
    ResolvedOut, ThreadOut, ToolLinkOut,
};
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::paging;
use crate::common::preconditions::expected_version;
use crate::common::problem::ApiResult;
use crate::common::responses::{Created, NoContent, Versioned, VersionedCreated};
use crate::common::wire::Wire;

fn versioned(assistant: &Assistant) -> Versioned<AssistantOut> {
    Versioned::new(assistant.into(), assistant.revision)
}

/// Assistants, their tools and their resolution.
#[derive(Debug)]
pub struct AssistantsApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Registry")]
impl AssistantsApi {
    /// A page of assistants by name, filtered.
    #[oai(path = "/assistants", method = "get", operation_id = "list_assistants")]
    async fn assistants(
        &self,
        caller: Caller,
        is_active: Query<Option<bool>>,
        assistant_type: Query<Option<Wire<AssistantKind>>>,
        is_secretary: Query<Option<bool>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200, 50 by default.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<AssistantPageOut>> {
        let page = paging::request::<String>(cursor.0.as_deref(), limit.0)?;
        let query = AssistantQuery {
            is_active: is_active.0,
            assistant_type: assistant_type.0.map(|t| t.0),
            is_secretary: is_secretary.0,
            after_name: page.after,
            limit: page.limit,
        };
        let found = self.services.registry.assistants(&caller.0, query).await?;
        let (assistants, next_cursor) = paging::items(found, |a| AssistantOut::from(&a));
        Ok(Json(AssistantPageOut {
            assistants,
            next_cursor,
        }))
    }

    /// Registers an assistant (admin; writes `assistant_created`).
    #[oai(
        path = "/assistants",
        method = "post",
        operation_id = "create_assistant"
    )]
    async fn create_assistant(
        &self,
        caller: Caller,
        body: Json<AssistantIn>,
    ) -> ApiResult<VersionedCreated<AssistantOut>> {
        let a = self
            .services
            .registry
            .create_assistant(&caller.0, body.0.into())
            .await?;
        Ok(VersionedCreated::new((&a).into(), a.revision))
    }

    #[oai(
        path = "/assistants/:id",
        method = "get",
        operation_id = "get_assistant"
    )]
    async fn assistant(
        &self,
        caller: Caller,
        id: Path<Uuid>,
    ) -> ApiResult<Versioned<AssistantOut>> {
        let a = self
            .services
            .registry
            .assistant(&caller.0, AssistantId(id.0))
            .await?;
        Ok(versioned(&a))
    }

    /// Replaces every settable field (admin; writes `assistant_updated` with each
    /// change).
    #[oai(
        path = "/assistants/:id",
        method = "put",
        operation_id = "replace_assistant"
    )]
    async fn replace_assistant(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; the write fails with 412 if the assistant changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<AssistantIn>,
    ) -> ApiResult<Versioned<AssistantOut>> {
        let expected = expected_version(if_match.0.as_deref())?;
        let draft = agentry_domain::registry::AssistantDraft::from(body.0);
        let a = self
            .services
            .registry
            .update_assistant(
                &caller.0,
                AssistantId(id.0),
                move |_| Ok(draft.clone()),
                expected,
            )
            .await?;
        Ok(versioned(&a))
    }

    /// Changes the given fields (admin), as `PUT` for the rest.
    #[oai(
        path = "/assistants/:id",
        method = "patch",
        operation_id = "update_assistant"
    )]
    async fn update_assistant(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; the write fails with 412 if the assistant changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<AssistantPatch>,
    ) -> ApiResult<Versioned<AssistantOut>> {
        let expected = expected_version(if_match.0.as_deref())?;
        let patch = body.0;
        let a = self
            .services
            .registry
            .update_assistant(
                &caller.0,
                AssistantId(id.0),
                move |current| Ok(patch.apply(current)),
                expected,
            )
            .await?;
        Ok(versioned(&a))
    }

    /// Deletes an unused assistant (admin). While tools, links, agent members or
    /// threads use it, answers 409 saying which, unless `deactivate=true` asks to
    /// switch it off instead (`is_active: false`, keeping what refers to it). 204
    /// once deleted or switched off.
    #[oai(
        path = "/assistants/:id",
        method = "delete",
        operation_id = "delete_assistant"
    )]
    async fn delete_assistant(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; the delete fails with 412 if the assistant changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        #[oai(default)] deactivate: Query<bool>,
    ) -> ApiResult<NoContent> {
        let expected = expected_version(if_match.0.as_deref())?;
        self.services
            .registry
            .delete_assistant(&caller.0, AssistantId(id.0), expected, deactivate.0)
            .await?;
        Ok(NoContent::NoContent)
    }

    /// The tools an assistant has, by name, with each link's state.
    #[oai(
        path = "/assistants/:id/tools",
        method = "get",
        operation_id = "list_assistant_tools"
    )]
    async fn assistant_tools(
        &self,
        caller: Caller,
        id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<LinkedToolOut>>> {
        let pairs = self
            .services
            .registry
            .tools_of(&caller.0, AssistantId(id.0))
            .await?;
        Ok(Json(
            pairs
                .iter()
                .map(|(link, tool)| LinkedToolOut {
                    link: link.into(),
                    tool: tool.into(),
                })
                .collect(),
        ))
    }

    /// Gives the assistant a tool (admin; `tool_linked`). 409 if it has it, or if a
    /// sub-assistant tool would let an assistant reach itself (the loop is named).
    #[oai(
        path = "/assistants/:id/tools/:tool_id",
        method = "post",
        operation_id = "link_tool"
    )]
    async fn link_tool(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        tool_id: Path<Uuid>,
    ) -> ApiResult<Created<ToolLinkOut>> {
        let link = self
            .services
            .registry
            .link_tool(&caller.0, AssistantId(id.0), ToolId(tool_id.0))
            .await?;
        Ok(Created::Created(Json((&link).into())))
    }

    /// Takes a tool away from the assistant (admin; `tool_unlinked`).
    #[oai(
        path = "/assistants/:id/tools/:tool_id",
        method = "delete",
        operation_id = "unlink_tool"
    )]
    async fn unlink_tool(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        tool_id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        self.services
            .registry
            .unlink_tool(&caller.0, AssistantId(id.0), ToolId(tool_id.0))
            .await?;
        Ok(NoContent::NoContent)
    }

    /// Everything a runtime needs to run the assistant in one call: its active tools
    /// with their schemas and, for sub-assistant tools, the sub-assistant tree.
    #[oai(
        path = "/assistants/:id/resolved",
        method = "get",
        operation_id = "resolve_assistant"
    )]
    async fn resolved(&self, caller: Caller, id: Path<Uuid>) -> ApiResult<Json<ResolvedOut>> {
        let resolved = self
            .services
            .registry
            .resolve(&caller.0, AssistantId(id.0))
            .await?;
        Ok(Json((&resolved).into()))
    }

    /// The assistant's active tools in the OpenAI function-calling format.
    #[oai(
        path = "/assistants/:id/resolved/openai-tools",
        method = "get",
        operation_id = "assistant_openai_tools"
    )]
    async fn openai_tools(
        &self,
        caller: Caller,
        id: Path<Uuid>,
    ) -> ApiResult<Json<OpenAiToolsOut>> {
        let resolved = self
            .services
            .registry
            .resolve(&caller.0, AssistantId(id.0))
            .await?;
        Ok(Json(OpenAiToolsOut {
            tools: resolved.openai_tools(),
        }))
    }

    /// The caller's thread with the assistant, created on first use.
    #[oai(
        path = "/assistants/:id/thread",
        method = "post",
        operation_id = "assistant_thread"
    )]
    async fn thread(&self, caller: Caller, id: Path<Uuid>) -> ApiResult<Json<ThreadOut>> {
        let thread = self
            .services
            .registry
            .thread(&caller.0, AssistantId(id.0))
            .await?;
        Ok(Json((&thread).into()))
    }
}
