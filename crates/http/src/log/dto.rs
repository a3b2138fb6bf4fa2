//! The log's request and response bodies.

use agentry_domain::event::Event;
use agentry_domain::log::Attachment;
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::schema::{EventPayload, EventTypeName, PostableType};
use crate::common::json_body::rfc3339;

// Written with serde (`JsonBody`); the `Object` derive is its description in the spec.
/// One action in the log.
#[derive(Debug, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct EventOut {
    pub id: Uuid,
    /// Absent only for installation-wide events (users, tokens, the registry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Uuid>,
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: EventTypeName,
    /// The member who acted; absent for the system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<Uuid>,
    /// The event this one replies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<Uuid>,
    /// The type's payload, e.g. `{"from": "backlog", "to": "done"}` for `task_status`.
    pub payload: EventPayload,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<Event> for EventOut {
    fn from(e: Event) -> Self {
        Self {
            id: e.id.0,
            project_id: e.project_id.map(|p| p.0),
            kind: EventTypeName(e.kind.type_name().to_owned()),
            actor_id: e.actor_id.map(|a| a.0),
            task_id: e.task_id.map(|t| t.0),
            parent_id: e.parent_id.map(|p| p.0),
            payload: EventPayload(e.kind.into_payload()),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// One page of a feed, newest first.
#[derive(Debug, Object, Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct EventPageOut {
    pub events: Vec<EventOut>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A chat message or a task comment to post.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PostEventIn {
    pub project_id: Uuid,
    #[oai(rename = "type")]
    pub kind: PostableType,
    /// Required for `task_comment`: a task of the project.
    pub task_id: Option<Uuid>,
    /// Replies in the thread of this event of the project.
    pub parent_id: Option<Uuid>,
    /// `chat_message`: `{content, mentions?, thinking?, voice_url?}`;
    /// `task_comment`: `{content, mentions?, thinking?, tool_log?}`. `mentions` is a
    /// list of member ids; `@handle`s in `content` are resolved and added.
    pub payload: Value,
}

#[derive(Debug, Object)]
pub struct AttachmentOut {
    pub id: Uuid,
    pub event_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Attachment> for AttachmentOut {
    fn from(a: &Attachment) -> Self {
        Self {
            id: a.id.0,
            event_id: a.event_id.0,
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size_bytes: a.size_bytes,
            sha256: a.sha256.clone(),
            created_at: a.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use agentry_domain::catalog;
    use agentry_domain::event::{Event, EventKind};
    use agentry_domain::id::{EventId, MemberId, ProjectId, TaskId};
    use chrono::{TimeZone as _, Utc};
    use poem_openapi::types::ToJSON as _;

    use super::{EventOut, EventPageOut};

    /// The body a client reads is written by serde, the spec is derived from the
    /// poem-openapi `Object`: both must give the same JSON, for every event type
    /// (and one this server does not know), absent and present options, whole and
    /// fractional seconds.
    #[test]
    fn an_event_page_written_with_serde_is_the_json_its_schema_describes() {
        let whole = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        let fractional = whole + chrono::Duration::microseconds(123_456);
        let kinds = catalog::kinds()
            .map(|k| (k.type_name, (k.payload)().example()))
            .chain([("plan_created", serde_json::json!({"goal": "ship"}))]);
        let events: Vec<Event> = kinds
            .enumerate()
            .map(|(n, (type_name, payload))| {
                let some = n % 2 == 0;
                Event {
                    id: EventId::generate(),
                    project_id: some.then(ProjectId::generate),
                    actor_id: some.then(MemberId::generate),
                    task_id: some.then(TaskId::generate),
                    parent_id: some.then(EventId::generate),
                    kind: EventKind::stored(type_name.to_owned(), payload),
                    created_at: if some { whole } else { fractional },
                    updated_at: fractional,
                }
            })
            .collect();
        for next_cursor in [None, Some("cursor".to_owned())] {
            let page = EventPageOut {
                events: events.iter().cloned().map(EventOut::from).collect(),
                next_cursor,
            };
            assert_eq!(
                serde_json::to_value(&page).unwrap(),
                page.to_json().unwrap()
            );
        }
    }
}
