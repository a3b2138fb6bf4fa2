//! What people and agents say: the kinds a client posts to the log.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::event_kinds;
use crate::id::{ChannelId, MemberId};
use crate::shape::described_struct;
use crate::workspace::Handle;

event_kinds! {
    /// The kinds a client posts.
    pub enum ChatEvent {
        /// A message in a project's chat.
        ChatMessage(ChatMessage) = "chat_message" in Project,
        /// A comment on a task.
        TaskComment(TaskComment) = "task_comment" in Project,
    }
}

described_struct! {
    /// A member named in a message, resolved from its `@handle` when it was posted.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Mention as "MentionPayload" {
        pub member_id: MemberId,
        pub handle: Handle,
    }
}

described_struct! {
    /// `chat_message`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ChatMessage as "ChatMessagePayload" {
        pub content: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub mentions: Vec<Mention>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub thinking: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub voice_url: Option<String>,
        /// Set when an inbound channel posted the message (never by a client).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub via: Option<Via>,
    }
}

described_struct! {
    /// The outside update a message came from: its channel, the update's id
    /// there, and who sent it there.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Via as "ViaPayload" {
        pub channel_id: ChannelId,
        pub update_id: i64,
        pub sender_id: String,
        pub sender_name: String,
    }
}

described_struct! {
    /// `task_comment`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TaskComment as "TaskCommentPayload" {
        pub content: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub mentions: Vec<Mention>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub thinking: Option<String>,
        /// The agent's tool calls behind this comment, as the agent reported them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tool_log: Option<Value>,
    }
}
