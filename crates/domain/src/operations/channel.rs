//! Inbound channels (a Telegram bot, or any bridge posting updates): a channel is
//! bound to a project, and each update it receives from outside becomes one chat
//! message there. Which updates it has is the `inbox`, keyed by
//! `(channel, update_id)`; the offset a bridge resumes from is derived from it,
//! never stored.

use chrono::{DateTime, Utc};

use crate::id::{ChannelId, ProjectId};
use crate::vocabulary::vocabulary;
use crate::{Error, Result};

vocabulary! {
    /// What is on the other side of a channel.
    pub enum ChannelKind("kind") {
        Telegram = "telegram",
        /// Any other bridge that posts updates with increasing ids.
        Webhook = "webhook",
    }
}

/// A channel as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub id: ChannelId,
    pub project_id: ProjectId,
    pub name: String,
    pub kind: ChannelKind,
    pub created_at: DateTime<Utc>,
}

/// Channels a project may have.
pub const MAX_CHANNELS: usize = 100;
/// The longest channel name, in characters.
pub const NAME_MAX: usize = 100;
/// The longest sender id and name, in characters.
pub const SENDER_MAX: usize = 200;

/// One update from outside, as the bridge got it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundUpdate {
    /// The sender's id of the update: unique per channel, increasing.
    pub update_id: i64,
    pub sender_id: String,
    pub sender_name: String,
    pub text: String,
}

impl InboundUpdate {
    /// Checks each field, bounded before anything proportional to it.
    ///
    /// # Errors
    /// `Validation` naming the field.
    pub fn checked(self) -> Result<Self> {
        if self.update_id < 0 {
            return Err(Error::validation("update_id", "must be 0 or more"));
        }
        Ok(Self {
            update_id: self.update_id,
            sender_id: crate::text::required("sender.id", &self.sender_id, SENDER_MAX)?,
            sender_name: crate::text::bounded("sender.name", &self.sender_name, SENDER_MAX)?,
            text: crate::text::required("text", &self.text, crate::log::CONTENT_MAX)?,
        })
    }
}
