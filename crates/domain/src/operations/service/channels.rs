//! Inbound channels: binding one to a project, and receiving its updates,
//! each exactly once.

use std::sync::Arc;

use crate::caller::Principal;
use crate::event::Event;
use crate::id::{ChannelId, ProjectId};
use crate::log::{ChatEvent, ChatMessage, Via};
use crate::operations::{
    Channel, ChannelCreated, ChannelEvent, ChannelKind, ChannelRepo, InboundUpdate, MAX_CHANNELS,
    NAME_MAX, Ports,
};
use crate::workspace::{self, access};
use crate::{Error, Result};

/// What a client asks for: a channel of a project.
#[derive(Clone, Debug)]
pub struct NewChannel {
    pub project_id: ProjectId,
    pub name: String,
    pub kind: ChannelKind,
}

/// A channel with the offset its bridge resumes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelView {
    pub channel: Channel,
    pub offset: i64,
}

/// What receiving an update did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub channel_id: ChannelId,
    pub update_id: i64,
    /// The chat message the update became; `None` once retention pruned it.
    pub message: Option<Event>,
    /// The update had come before; nothing was written this time.
    pub duplicate: bool,
}

/// The channels use cases.
#[derive(Clone)]
pub struct Channels {
    channels: Arc<dyn ChannelRepo>,
    ports: Ports,
    workspace: workspace::Ports,
}

impl std::fmt::Debug for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channels").finish_non_exhaustive()
    }
}

impl Channels {
    pub(crate) fn new(ports: Ports, workspace: workspace::Ports) -> Self {
        Self {
            channels: ports.channels.clone(),
            ports,
            workspace,
        }
    }

    /// Binds a new channel to a project the caller is a member of.
    ///
    /// # Errors
    /// `Validation` for a bad name, `NotFound` for a project the caller cannot
    /// see, `Conflict` when the project has a channel of this name or
    /// [`MAX_CHANNELS`] of them.
    pub async fn create(&self, who: &Principal, new: NewChannel) -> Result<ChannelView> {
        let name = crate::text::required("name", &new.name, NAME_MAX)?;
        let scope = access::project(&self.workspace, who, new.project_id).await?;
        if self.channels.list_channels(new.project_id).await?.len() >= MAX_CHANNELS {
            return Err(Error::Conflict(format!(
                "the project has {MAX_CHANNELS} channels, the most it may have"
            )));
        }
        let now = self.ports.clock.now();
        let channel = Channel {
            id: ChannelId::generate(),
            project_id: new.project_id,
            name,
            kind: new.kind,
            created_at: now,
        };
        let created = ChannelCreated {
            channel: channel.id,
            name: channel.name.clone(),
            kind: channel.kind.as_str().to_owned(),
        };
        let event = Event::in_project(
            channel.project_id,
            scope.actor(),
            None,
            ChannelEvent::ChannelCreated(created),
            now,
        )?;
        self.channels.create_channel(&channel, &[event]).await?;
        Ok(ChannelView { channel, offset: 0 })
    }

    /// A channel and its offset.
    ///
    /// # Errors
    /// `NotFound` for a channel the caller cannot see.
    pub async fn get(&self, who: &Principal, id: ChannelId) -> Result<ChannelView> {
        let channel = self.visible(who, id).await?.0;
        let offset = self.channels.offset(id).await?;
        Ok(ChannelView { channel, offset })
    }

    /// A project's channels, by name, each with its offset.
    ///
    /// # Errors
    /// `NotFound` for a project the caller cannot see.
    pub async fn list(&self, who: &Principal, project: ProjectId) -> Result<Vec<ChannelView>> {
        access::project(&self.workspace, who, project).await?;
        let mut views = Vec::new();
        for channel in self.channels.list_channels(project).await? {
            let offset = self.channels.offset(channel.id).await?;
            views.push(ChannelView { channel, offset });
        }
        Ok(views)
    }

    /// Receives one update: the first time it becomes a chat message in the
    /// channel's project, posted by the caller (the bridge) and saying who
    /// sent it outside; again, it changes nothing and answers the same message.
    ///
    /// # Errors
    /// `Validation` for a bad update, `NotFound` for a channel the caller
    /// cannot see.
    pub async fn receive(
        &self,
        who: &Principal,
        id: ChannelId,
        update: InboundUpdate,
    ) -> Result<Receipt> {
        let update = update.checked()?;
        let (channel, scope) = self.visible(who, id).await?;
        let message = ChatMessage {
            content: update.text,
            mentions: Vec::new(),
            thinking: None,
            voice_url: None,
            via: Some(Via {
                channel_id: id,
                update_id: update.update_id,
                sender_id: update.sender_id,
                sender_name: update.sender_name,
            }),
        };
        let event = Event::in_project(
            channel.project_id,
            scope.actor(),
            None,
            ChatEvent::ChatMessage(message),
            self.ports.clock.now(),
        )?;
        let received = self.channels.receive(id, update.update_id, &event).await?;
        Ok(Receipt {
            channel_id: id,
            update_id: update.update_id,
            message: received.event,
            duplicate: received.duplicate,
        })
    }

    async fn visible(
        &self,
        who: &Principal,
        id: ChannelId,
    ) -> Result<(Channel, access::ProjectAccess)> {
        let not_found = || Error::NotFound { entity: "channel" };
        let channel = self.channels.get_channel(id).await?.ok_or_else(not_found)?;
        let scope = access::project_of(&self.workspace, who, channel.project_id, "channel").await?;
        Ok((channel, scope))
    }
}

#[cfg(test)]
#[path = "channels_tests.rs"]
mod tests;
