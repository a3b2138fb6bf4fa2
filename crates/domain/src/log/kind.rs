use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::payload::*;
use crate::{Error, Result};

/// Whether an event kind belongs to a project or to the whole installation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Always carries a `project_id`.
    Project,
    /// Never carries one (users, tokens; later the registry and process lifecycle).
    Global,
}

/// Every kind of event, each with its typed payload. Serialized as
/// `{"type": "...", "payload": {...}}`; the store keeps the two parts in two columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum EventKind {
    ChatMessage(ChatMessage),
    TaskComment(TaskComment),
    TaskCreated(TaskCreated),
    TaskStatus(TaskStatusChanged),
    TaskAssigned(TaskAssigned),
    TaskUnassigned(TaskUnassigned),
    TaskUpdated(TaskUpdated),
    TaskLabelAdd(TaskLabel),
    TaskLabelRemove(TaskLabel),
    ProjectCreated(ProjectCreated),
    MemberAdded(MemberAdded),
    LabelCreated(LabelCreated),
    UserCreated(UserCreated),
    TokenCreated(TokenIssued),
    TokenRevoked(TokenRevoked),
    AssistantCreated(AssistantChanged),
    AssistantUpdated(AssistantChanged),
    AssistantDeleted(AssistantChanged),
    ToolCreated(ToolChanged),
    ToolUpdated(ToolChanged),
    ToolDeleted(ToolChanged),
    ToolLinked(ToolLinkChanged),
    ToolUnlinked(ToolLinkChanged),
}

impl EventKind {
    /// Every type name, in declaration order.
    pub const TYPE_NAMES: [&'static str; 23] = [
        "chat_message",
        "task_comment",
        "task_created",
        "task_status",
        "task_assigned",
        "task_unassigned",
        "task_updated",
        "task_label_add",
        "task_label_remove",
        "project_created",
        "member_added",
        "label_created",
        "user_created",
        "token_created",
        "token_revoked",
        "assistant_created",
        "assistant_updated",
        "assistant_deleted",
        "tool_created",
        "tool_updated",
        "tool_deleted",
        "tool_linked",
        "tool_unlinked",
    ];

    /// The type names a client may post; every other kind is written by the system.
    pub const CLIENT_TYPES: [&'static str; 2] = ["chat_message", "task_comment"];

    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::ChatMessage(_) => "chat_message",
            Self::TaskComment(_) => "task_comment",
            Self::TaskCreated(_) => "task_created",
            Self::TaskStatus(_) => "task_status",
            Self::TaskAssigned(_) => "task_assigned",
            Self::TaskUnassigned(_) => "task_unassigned",
            Self::TaskUpdated(_) => "task_updated",
            Self::TaskLabelAdd(_) => "task_label_add",
            Self::TaskLabelRemove(_) => "task_label_remove",
            Self::ProjectCreated(_) => "project_created",
            Self::MemberAdded(_) => "member_added",
            Self::LabelCreated(_) => "label_created",
            Self::UserCreated(_) => "user_created",
            Self::TokenCreated(_) => "token_created",
            Self::TokenRevoked(_) => "token_revoked",
            Self::AssistantCreated(_) => "assistant_created",
            Self::AssistantUpdated(_) => "assistant_updated",
            Self::AssistantDeleted(_) => "assistant_deleted",
            Self::ToolCreated(_) => "tool_created",
            Self::ToolUpdated(_) => "tool_updated",
            Self::ToolDeleted(_) => "tool_deleted",
            Self::ToolLinked(_) => "tool_linked",
            Self::ToolUnlinked(_) => "tool_unlinked",
        }
    }

    #[must_use]
    pub fn scope(&self) -> Scope {
        match self {
            Self::ChatMessage(_)
            | Self::TaskComment(_)
            | Self::TaskCreated(_)
            | Self::TaskStatus(_)
            | Self::TaskAssigned(_)
            | Self::TaskUnassigned(_)
            | Self::TaskUpdated(_)
            | Self::TaskLabelAdd(_)
            | Self::TaskLabelRemove(_)
            | Self::ProjectCreated(_)
            | Self::MemberAdded(_)
            | Self::LabelCreated(_) => Scope::Project,
            _ => Scope::Global,
        }
    }

    /// Checks a type name against the known kinds, returning its canonical form.
    ///
    /// # Errors
    /// `Validation` naming `field` for an unknown type.
    pub fn known_type(field: &str, name: &str) -> Result<&'static str> {
        Self::TYPE_NAMES
            .into_iter()
            .find(|known| *known == name)
            .ok_or_else(|| Error::validation(field, format!("unknown event type {name:?}")))
    }

    /// The payload alone, as stored in the `payload` column.
    ///
    /// # Errors
    /// `Internal` if serialization fails (it does not for these types).
    pub fn payload(&self) -> Result<Value> {
        let mut tagged = serde_json::to_value(self).map_err(Error::internal)?;
        Ok(tagged
            .get_mut("payload")
            .map(Value::take)
            .unwrap_or_else(|| Value::Object(serde_json::Map::new())))
    }

    /// Rebuilds a kind from its two stored parts.
    ///
    /// # Errors
    /// `Validation` when the type is unknown or the payload does not fit it.
    pub fn from_parts(type_name: &str, payload: Value) -> Result<Self> {
        let type_name = Self::known_type("type", type_name)?;
        super::parts::rebuild(type_name, payload).map_err(|e| misfit(type_name, &e))
    }

    /// Rebuilds a kind from its type and its payload as JSON text, read straight
    /// into the payload's type.
    ///
    /// # Errors
    /// `Validation` when the type is unknown, the text is not one JSON value, or
    /// the payload does not fit the type.
    pub fn from_json(type_name: &str, payload: &str) -> Result<Self> {
        let type_name = Self::known_type("type", type_name)?;
        let mut reader = serde_json::Deserializer::from_str(payload);
        super::parts::rebuild(type_name, &mut reader)
            .and_then(|kind| reader.end().map(|()| kind))
            .map_err(|e| misfit(type_name, &e))
    }
}

fn misfit(type_name: &str, error: &impl std::fmt::Display) -> Error {
    Error::validation("payload", format!("does not fit {type_name}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::MemberId;
    use crate::tracker::TaskStatus;

    #[test]
    fn a_kind_splits_into_type_and_payload_and_back() {
        let kind = EventKind::TaskStatus(TaskStatusChanged {
            from: TaskStatus::Backlog,
            to: TaskStatus::Done,
        });
        let payload = kind.payload().unwrap();
        assert_eq!(
            payload,
            serde_json::json!({"from": "backlog", "to": "done"})
        );
        assert_eq!(
            EventKind::from_parts(kind.type_name(), payload).unwrap(),
            kind
        );
    }

    #[test]
    fn optional_fields_are_left_out_of_the_payload() {
        let kind = EventKind::TaskAssigned(TaskAssigned {
            assignee: MemberId::generate(),
            previous: None,
        });
        let payload = kind.payload().unwrap();
        assert!(payload.get("previous").is_none());
    }

    #[test]
    fn every_type_name_is_the_serde_tag() {
        for name in EventKind::TYPE_NAMES {
            assert!(
                EventKind::from_parts(name, serde_json::json!({})).is_err()
                    || name == "chat_message"
            );
        }
        assert!(EventKind::from_parts("message_new", serde_json::json!({})).is_err());
    }

    #[test]
    fn a_payload_read_from_text_is_the_payload_read_from_a_value() {
        let mention = serde_json::json!({"member_id": MemberId::generate(), "handle": "coder"});
        let payload = serde_json::json!({"content": "hi @coder", "mentions": [mention]});
        let text = payload.to_string();
        let from_text = EventKind::from_json("chat_message", &text).unwrap();
        assert_eq!(
            from_text,
            EventKind::from_parts("chat_message", payload).unwrap()
        );
        assert_eq!(from_text.payload().unwrap().to_string(), text);
    }

    #[test]
    fn payload_text_must_be_one_json_value_that_fits_the_type() {
        for bad in [
            r#"{"from": "backlog", "to": "done"} {}"#,
            r#"{"from": "backlog", "to": "done""#,
            r#"{"from": "backlog"}"#,
            "",
        ] {
            let err = EventKind::from_json("task_status", bad).unwrap_err();
            assert!(matches!(err, Error::Validation { .. }), "{bad:?}: {err}");
        }
        assert!(
            EventKind::from_json("task_status", r#" {"from": "backlog", "to": "done"} "#).is_ok()
        );
        assert!(EventKind::from_json("message_new", "{}").is_err());
    }

    #[test]
    fn a_payload_of_the_wrong_shape_is_refused() {
        let err =
            EventKind::from_parts("task_status", serde_json::json!({"from": "nope"})).unwrap_err();
        assert!(matches!(err, Error::Validation { .. }));
    }
}
