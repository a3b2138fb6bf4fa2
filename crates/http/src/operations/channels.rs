//! `/channels`: inbound channels and the updates they receive.

use agentry_domain::Services;
use agentry_domain::id::{ChannelId, ProjectId};
use agentry_domain::operations::{ChannelKind, InboundUpdate, NewChannel};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::dto::{ChannelOut, CreateChannel, ReceiptOut, UpdateIn};
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::problem::ApiResult;
use crate::common::responses::Created;

/// Inbound channels.
#[derive(Debug)]
pub struct ChannelsApi {
    pub services: Services,
}

/// What receiving an update did.
#[derive(Debug, ApiResponse)]
pub enum Received {
    /// The update is new: this is the chat message it became.
    #[oai(status = 201)]
    New(Json<ReceiptOut>),
    /// The update had come before: nothing changed; the message it became then.
    #[oai(status = 200)]
    Duplicate(Json<ReceiptOut>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Channels")]
impl ChannelsApi {
    /// Binds an inbound channel to a project the caller is a member of
    /// (`channel_created`). Its updates are posted by the caller's token.
    #[oai(path = "/channels", method = "post", operation_id = "create_channel")]
    async fn create(
        &self,
        caller: Caller,
        body: Json<CreateChannel>,
    ) -> ApiResult<Created<ChannelOut>> {
        let body = body.0;
        let new = NewChannel {
            project_id: ProjectId(body.project_id),
            name: body.name.0,
            kind: body.kind.map_or(ChannelKind::Telegram, |k| k.0),
        };
        let view = self.services.channels.create(&caller.0, new).await?;
        Ok(Created::Created(Json(view.into())))
    }

    /// A project's channels, by name, each with its offset.
    #[oai(path = "/channels", method = "get", operation_id = "list_channels")]
    async fn list(
        &self,
        caller: Caller,
        project_id: Query<Uuid>,
    ) -> ApiResult<Json<Vec<ChannelOut>>> {
        let views = self
            .services
            .channels
            .list(&caller.0, ProjectId(project_id.0))
            .await?;
        Ok(Json(views.into_iter().map(ChannelOut::from).collect()))
    }

    /// A channel, with the offset its bridge resumes from.
    #[oai(
        path = "/channels/:channel_id",
        method = "get",
        operation_id = "get_channel"
    )]
    async fn get(&self, caller: Caller, channel_id: Path<Uuid>) -> ApiResult<Json<ChannelOut>> {
        let view = self
            .services
            .channels
            .get(&caller.0, ChannelId(channel_id.0))
            .await?;
        Ok(Json(view.into()))
    }

    /// Receives one update from outside: the first time, it becomes a
    /// `chat_message` in the channel's project (201); delivered again, it
    /// changes nothing and answers the same message (200).
    #[oai(
        path = "/channels/:channel_id/updates",
        method = "post",
        operation_id = "receive_update"
    )]
    async fn receive(
        &self,
        caller: Caller,
        channel_id: Path<Uuid>,
        body: Json<UpdateIn>,
    ) -> ApiResult<Received> {
        let body = body.0;
        let update = InboundUpdate {
            update_id: body.update_id,
            sender_id: body.sender.id.0,
            sender_name: body.sender.name.map(|n| n.0).unwrap_or_default(),
            text: body.text.0,
        };
        let receipt = self
            .services
            .channels
            .receive(&caller.0, ChannelId(channel_id.0), update)
            .await?;
        Ok(if receipt.duplicate {
            Received::Duplicate(Json(receipt.into()))
        } else {
            Received::New(Json(receipt.into()))
        })
    }
}
