//! Channel request and response bodies.

use agentry_domain::operations::{ChannelKind, ChannelView, Receipt};
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use crate::common::text::Text;
use crate::common::wire::Wire;
use crate::log::EventOut;

/// An inbound channel, with the offset its bridge resumes from.
#[derive(Debug, Object)]
pub struct ChannelOut {
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    pub kind: Wire<ChannelKind>,
    /// One past the highest `update_id` received, 0 before the first: the
    /// bridge asks the outside for updates from here (Telegram's
    /// `getUpdates?offset=`). Derived from the inbox, never stored.
    pub offset: i64,
    pub created_at: DateTime<Utc>,
}

impl From<ChannelView> for ChannelOut {
    fn from(view: ChannelView) -> Self {
        let c = view.channel;
        Self {
            id: c.id.0,
            project_id: c.project_id.0,
            name: c.name,
            kind: Wire(c.kind),
            offset: view.offset,
            created_at: c.created_at,
        }
    }
}

/// A new channel of a project; `kind` is `telegram` when not given.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateChannel {
    pub project_id: Uuid,
    /// 1–100 characters, unique in the project.
    pub name: Text,
    pub kind: Option<Wire<ChannelKind>>,
}

/// Who sent an update, outside.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SenderIn {
    /// Their id there (1–200 characters).
    pub id: Text,
    /// Their name there (up to 200 characters).
    pub name: Option<Text>,
}

/// One update from outside, as the bridge got it.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateIn {
    /// The outside's id of the update: unique in the channel, 0 or more.
    /// Delivering it again changes nothing.
    pub update_id: i64,
    pub sender: SenderIn,
    /// The message (1–32,000 characters).
    pub text: Text,
}

/// What an update became: `message` is the `chat_message` it became (now,
/// or when it first came), with `payload.via` naming the update; absent for
/// an update that came again after retention pruned its message.
#[derive(Debug, Object)]
pub struct ReceiptOut {
    pub channel_id: Uuid,
    pub update_id: i64,
    /// True when the update had come before: nothing was written, and
    /// `message` is what it became then.
    pub duplicate: bool,
    #[oai(skip_serializing_if_is_none)]
    pub message: Option<EventOut>,
}

impl From<Receipt> for ReceiptOut {
    fn from(r: Receipt) -> Self {
        Self {
            channel_id: r.channel_id.0,
            update_id: r.update_id,
            duplicate: r.duplicate,
            message: r.message.map(EventOut::from),
        }
    }
}
