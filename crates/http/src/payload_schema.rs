//! How the spec describes an event's `payload`: one schema per shape, offered as
//! `anyOf` (the event's `type` says which applies). Responses carry the payload
//! exactly as the domain serialized it; these structs only describe it, and a test
//! checks each domain payload has every field its schema requires.

use poem_openapi::Object;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ToJSON, Type};
use serde_json::Value;
use uuid::Uuid;

use crate::projects::MemberKindDto;
use crate::tasks::{PriorityDto, TaskStatusDto};

#[derive(Debug, Object)]
pub struct MentionPayload {
    pub member_id: Uuid,
    pub handle: String,
}

/// `chat_message`.
#[derive(Debug, Object)]
pub struct ChatMessagePayload {
    pub content: String,
    pub mentions: Option<Vec<MentionPayload>>,
    pub thinking: Option<String>,
    pub voice_url: Option<String>,
}

/// `task_comment`.
#[derive(Debug, Object)]
pub struct TaskCommentPayload {
    pub content: String,
    pub mentions: Option<Vec<MentionPayload>>,
    pub thinking: Option<String>,
    /// The agent's tool calls behind the comment, as it reported them.
    pub tool_log: Option<Value>,
}

/// `task_created`.
#[derive(Debug, Object)]
pub struct TaskCreatedPayload {
    pub title: String,
    pub status: TaskStatusDto,
    pub priority: PriorityDto,
    pub assignee: Option<Uuid>,
}

/// `task_status`.
#[derive(Debug, Object)]
pub struct TaskStatusPayload {
    pub from: TaskStatusDto,
    pub to: TaskStatusDto,
}

/// `task_assigned`.
#[derive(Debug, Object)]
pub struct TaskAssignedPayload {
    pub assignee: Uuid,
    pub previous: Option<Uuid>,
}

/// `task_unassigned`.
#[derive(Debug, Object)]
pub struct TaskUnassignedPayload {
    pub previous: Uuid,
}

/// `task_updated` (one per changed field; `field: "link"` for links), and each
/// entry of a registry change's `changes`.
#[derive(Debug, Object)]
pub struct FieldChangePayload {
    pub field: String,
    pub from: Value,
    pub to: Value,
}

/// `task_label_add`, `task_label_remove`.
#[derive(Debug, Object)]
pub struct TaskLabelPayload {
    pub label: Uuid,
}

/// `project_created`.
#[derive(Debug, Object)]
pub struct ProjectCreatedPayload {
    pub name: String,
    pub key: String,
}

/// `member_added`.
#[derive(Debug, Object)]
pub struct MemberAddedPayload {
    pub member: Uuid,
    pub handle: String,
    pub kind: MemberKindDto,
}

/// `label_created`.
#[derive(Debug, Object)]
pub struct LabelCreatedPayload {
    pub label: Uuid,
    pub name: String,
    pub color: String,
}

/// `user_created`.
#[derive(Debug, Object)]
pub struct UserCreatedPayload {
    pub user: Uuid,
    pub name: String,
    pub is_admin: bool,
}

/// `token_created`.
#[derive(Debug, Object)]
pub struct TokenCreatedPayload {
    pub token: Uuid,
    pub user: Uuid,
    pub name: String,
}

/// `token_revoked`.
#[derive(Debug, Object)]
pub struct TokenRevokedPayload {
    pub token: Uuid,
    pub user: Uuid,
}

/// `assistant_created`, `assistant_updated` (with `changes`), `assistant_deleted`.
#[derive(Debug, Object)]
pub struct AssistantChangedPayload {
    pub assistant: Uuid,
    pub name: String,
    /// The user who made the change.
    pub by: Uuid,
    pub changes: Option<Vec<FieldChangePayload>>,
}

/// `tool_created`, `tool_updated` (with `changes`), `tool_deleted`.
#[derive(Debug, Object)]
pub struct ToolChangedPayload {
    pub tool: Uuid,
    pub name: String,
    pub by: Uuid,
    pub changes: Option<Vec<FieldChangePayload>>,
}

/// `tool_linked`, `tool_unlinked`.
#[derive(Debug, Object)]
pub struct ToolLinkChangedPayload {
    pub assistant: Uuid,
    pub tool: Uuid,
    pub by: Uuid,
}

/// An event's payload, as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct EventPayload(pub Value);

macro_rules! shapes {
    ($($shape:ty),* $(,)?) => {
        fn shape_refs() -> Vec<MetaSchemaRef> {
            vec![$(<$shape>::schema_ref()),*]
        }

        fn register_shapes(registry: &mut Registry) {
            $(<$shape>::register(registry);)*
        }
    };
}

shapes!(
    ChatMessagePayload,
    TaskCommentPayload,
    TaskCreatedPayload,
    TaskStatusPayload,
    TaskAssignedPayload,
    TaskUnassignedPayload,
    FieldChangePayload,
    TaskLabelPayload,
    ProjectCreatedPayload,
    MemberAddedPayload,
    LabelCreatedPayload,
    UserCreatedPayload,
    TokenCreatedPayload,
    TokenRevokedPayload,
    AssistantChangedPayload,
    ToolChangedPayload,
    ToolLinkChangedPayload,
);

crate::text::leaf_type!(
    EventPayload,
    "EventPayload",
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        description: Some("The payload of the event's `type`: one of these shapes."),
        any_of: shape_refs(),
        ..MetaSchema::ANY
    })),
    register = register_shapes
);

impl ToJSON for EventPayload {
    fn to_json(&self) -> Option<Value> {
        Some(self.0.clone())
    }
}

impl poem_openapi::types::ParseFromJSON for EventPayload {
    fn parse_from_json(value: Option<Value>) -> poem_openapi::types::ParseResult<Self> {
        match value {
            Some(object @ Value::Object(_)) => Ok(Self(object)),
            other => Err(poem_openapi::types::ParseError::expected_type(
                other.unwrap_or_default(),
            )),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeSet;

    use agentry_domain::log::EventKind;
    use poem_openapi::registry::Registry;
    use serde_json::json;

    use super::register_shapes;

    /// A full payload of every type, as the domain writes it.
    pub(crate) fn samples() -> Vec<(&'static str, serde_json::Value)> {
        let id = "01a202a7-99f1-73cd-9858-4075c5ed4a74";
        let mention = json!([{"member_id": id, "handle": "coder"}]);
        let change = json!([{"field": "model", "from": "a", "to": "b"}]);
        vec![
            (
                "chat_message",
                json!({"content": "hi", "mentions": mention, "thinking": "t", "voice_url": "https://x"}),
            ),
            (
                "task_comment",
                json!({"content": "c", "mentions": mention, "thinking": "t", "tool_log": {"calls": 1}}),
            ),
            (
                "task_created",
                json!({"title": "t", "status": "backlog", "priority": "medium", "assignee": id}),
            ),
            ("task_status", json!({"from": "backlog", "to": "pending"})),
            ("task_assigned", json!({"assignee": id, "previous": id})),
            ("task_unassigned", json!({"previous": id})),
            (
                "task_updated",
                json!({"field": "title", "from": "a", "to": "b"}),
            ),
            ("task_label_add", json!({"label": id})),
            ("task_label_remove", json!({"label": id})),
            ("project_created", json!({"name": "P", "key": "TE"})),
            (
                "member_added",
                json!({"member": id, "handle": "coder", "kind": "agent"}),
            ),
            (
                "label_created",
                json!({"label": id, "name": "bug", "color": "#ff0000"}),
            ),
            (
                "user_created",
                json!({"user": id, "name": "Ada", "is_admin": false}),
            ),
            (
                "token_created",
                json!({"token": id, "user": id, "name": "ci"}),
            ),
            ("token_revoked", json!({"token": id, "user": id})),
            (
                "assistant_created",
                json!({"assistant": id, "name": "A", "by": id}),
            ),
            (
                "assistant_updated",
                json!({"assistant": id, "name": "A", "by": id, "changes": change}),
            ),
            (
                "assistant_deleted",
                json!({"assistant": id, "name": "A", "by": id}),
            ),
            ("tool_created", json!({"tool": id, "name": "t", "by": id})),
            (
                "tool_updated",
                json!({"tool": id, "name": "t", "by": id, "changes": change}),
            ),
            ("tool_deleted", json!({"tool": id, "name": "t", "by": id})),
            (
                "tool_linked",
                json!({"assistant": id, "tool": id, "by": id}),
            ),
            (
                "tool_unlinked",
                json!({"assistant": id, "tool": id, "by": id}),
            ),
        ]
    }

    #[test]
    fn every_domain_payload_fits_a_shape_it_is_described_by() {
        let mut registry = Registry::new();
        register_shapes(&mut registry);
        let samples = samples();
        assert_eq!(
            samples.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            EventKind::TYPE_NAMES,
            "a sample per event type"
        );
        for (type_name, sample) in samples {
            let payload = EventKind::from_parts(type_name, sample)
                .unwrap()
                .payload()
                .unwrap();
            let fields: BTreeSet<&str> = payload
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let described = registry.schemas.values().any(|shape| {
                let properties: BTreeSet<&str> =
                    shape.properties.iter().map(|(name, _)| *name).collect();
                let required: BTreeSet<&str> = shape.required.iter().copied().collect();
                required.is_subset(&fields) && fields.is_subset(&properties)
            });
            assert!(described, "no shape describes {type_name} {fields:?}");
        }
    }
}
