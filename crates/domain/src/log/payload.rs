//! The typed payload of each event kind, stored as a JSON object.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::id::{AssistantId, LabelId, MemberId, TokenId, ToolId, UserId};
use crate::tracker::{Priority, TaskStatus};
use crate::workspace::{Handle, MemberKind};

/// A member named in a message, resolved from its `@handle` when the message was posted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub member_id: MemberId,
    pub handle: Handle,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<Mention>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskComment {
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<Mention>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<String>,
    /// The agent's tool calls behind this comment, as the agent reported them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_log: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskCreated {
    pub title: String,
    pub status: TaskStatus,
    pub priority: Priority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<MemberId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskStatusChanged {
    pub from: TaskStatus,
    pub to: TaskStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskAssigned {
    pub assignee: MemberId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<MemberId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskUnassigned {
    pub previous: MemberId,
}

/// One changed field of a task; `from` and `to` are that field's JSON values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskUpdated {
    pub field: String,
    pub from: Value,
    pub to: Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLabel {
    pub label: LabelId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectCreated {
    pub name: String,
    pub key: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberAdded {
    pub member: MemberId,
    pub handle: Handle,
    pub kind: MemberKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelCreated {
    pub label: LabelId,
    pub name: String,
    pub color: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCreated {
    pub user: UserId,
    pub name: String,
    pub is_admin: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenIssued {
    pub token: TokenId,
    pub user: UserId,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRevoked {
    pub token: TokenId,
    pub user: UserId,
}

/// One field of a configuration record that changed, with its values as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub from: Value,
    pub to: Value,
}

impl FieldChange {
    /// The fields whose serialized values differ between two versions of a record.
    ///
    /// # Errors
    /// `Internal` when a version does not serialize to a JSON object.
    pub fn between<T: Serialize>(before: &T, after: &T) -> crate::Result<Vec<Self>> {
        let as_object = |v: &T| match serde_json::to_value(v) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(crate::Error::internal("a record is not a JSON object")),
        };
        let (before, after) = (as_object(before)?, as_object(after)?);
        Ok(after
            .into_iter()
            .filter_map(|(field, to)| {
                let from = before.get(&field).cloned().unwrap_or(Value::Null);
                (from != to).then_some(Self { field, from, to })
            })
            .collect())
    }
}

/// An assistant was created, changed (with what changed) or deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantChanged {
    pub assistant: AssistantId,
    pub name: String,
    /// The user who made the change.
    pub by: UserId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
}

/// A tool was created, changed (with what changed) or deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolChanged {
    pub tool: ToolId,
    pub name: String,
    pub by: UserId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
}

/// An assistant was given a tool, or had it taken away.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolLinkChanged {
    pub assistant: AssistantId,
    pub tool: ToolId,
    pub by: UserId,
}
