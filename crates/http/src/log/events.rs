//! The event log: post chat messages and task comments, read feeds.

use agentry_domain::Services;
use agentry_domain::id::{EventId, ProjectId, TaskId};
use agentry_domain::log::{EventFilter, PostEvent};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{EventOut, EventPageOut, PostEventIn};
use super::schema::EventTypes;
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::json_body::JsonBody;
use crate::common::paging;
use crate::common::problem::ApiResult;

#[derive(Debug, ApiResponse)]
pub enum EventCreated {
    #[oai(status = 201)]
    Created(JsonBody<EventOut>),
}

/// The event log.
#[derive(Debug)]
pub struct EventsApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Events")]
impl EventsApi {
    /// Posts a chat message or a task comment.
    #[oai(path = "/events", method = "post", operation_id = "create_event")]
    async fn create(&self, caller: Caller, body: Json<PostEventIn>) -> ApiResult<EventCreated> {
        let Json(body) = body;
        let input = PostEvent {
            project_id: ProjectId(body.project_id),
            task_id: body.task_id.map(TaskId),
            parent_id: body.parent_id.map(EventId),
            type_name: body.kind.0,
            payload: body.payload,
        };
        let event = self.services.events.post(&caller.0, input).await?;
        Ok(EventCreated::Created(JsonBody(event.into())))
    }

    /// A feed, newest first: a project's (`project_id`), a task's (`task_id`) or a
    /// thread's (`parent_id`), optionally of some `types` only. Events of types this
    /// server does not know are served as stored.
    #[oai(path = "/events", method = "get", operation_id = "list_events")]
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per query parameter"
    )]
    async fn list(
        &self,
        caller: Caller,
        project_id: Query<Option<Uuid>>,
        task_id: Query<Option<Uuid>>,
        parent_id: Query<Option<Uuid>>,
        /// Event types of `EventType`: repeat the parameter or separate them with
        /// commas, e.g. `types=chat_message,task_status`.
        #[oai(default)]
        types: Query<EventTypes>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200, 50 by default.
        limit: Query<Option<u32>>,
    ) -> ApiResult<JsonBody<EventPageOut>> {
        let filter = EventFilter::parse(
            project_id.0.map(ProjectId),
            task_id.0.map(TaskId),
            parent_id.0.map(EventId),
            &types.0.0,
            cursor.0.as_deref(),
            limit.0,
        )?;
        let page = self.services.events.list(&caller.0, filter).await?;
        let (events, next_cursor) = paging::items(page, EventOut::from);
        Ok(JsonBody(EventPageOut {
            events,
            next_cursor,
        }))
    }

    #[oai(path = "/events/:event_id", method = "get", operation_id = "get_event")]
    async fn get(&self, caller: Caller, event_id: Path<Uuid>) -> ApiResult<JsonBody<EventOut>> {
        let event = self
            .services
            .events
            .get(&caller.0, EventId(event_id.0))
            .await?;
        Ok(JsonBody(event.into()))
    }
}
