//! Threads: one per user and assistant, listed most recently used first.

use agentry_domain::Services;
use agentry_domain::id::AssistantThreadId;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::ThreadOut;
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::problem::ApiResult;

/// The caller's threads.
#[derive(Debug)]
pub struct ThreadsApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Registry")]
impl ThreadsApi {
    /// The caller's threads, most recently used first.
    #[oai(path = "/threads", method = "get", operation_id = "list_threads")]
    async fn threads(&self, caller: Caller) -> ApiResult<Json<Vec<ThreadOut>>> {
        let threads = self.services.registry.threads(&caller.0).await?;
        Ok(Json(threads.iter().map(ThreadOut::from).collect()))
    }

    /// Marks one of the caller's threads used now.
    #[oai(
        path = "/threads/:id/touch",
        method = "post",
        operation_id = "touch_thread"
    )]
    async fn touch(&self, caller: Caller, id: Path<Uuid>) -> ApiResult<Json<ThreadOut>> {
        let thread = self
            .services
            .registry
            .touch_thread(&caller.0, AssistantThreadId(id.0))
            .await?;
        Ok(Json((&thread).into()))
    }
}
