use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{EventKind, Scope};
use crate::id::{EventId, MemberId, ProjectId, TaskId};
use crate::{Error, Result};

/// One action in the system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// UUID v7: events sort by id in the order they were created.
    pub id: EventId,
    pub project_id: Option<ProjectId>,
    /// The member who acted; `None` for the system (or an admin outside the project).
    pub actor_id: Option<MemberId>,
    pub task_id: Option<TaskId>,
    /// The event this one replies to or belongs under (threads, agent turns).
    pub parent_id: Option<EventId>,
    pub kind: EventKind,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Event {
    /// The largest payload, serialized, that an event may carry.
    pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

    /// A project event.
    ///
    /// # Errors
    /// See [`Event::check`].
    pub fn in_project(
        project_id: ProjectId,
        actor_id: Option<MemberId>,
        task_id: Option<TaskId>,
        kind: EventKind,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        Self::build(Some(project_id), actor_id, task_id, None, kind, now)
    }

    /// An installation-wide event, outside any project.
    ///
    /// # Errors
    /// See [`Event::check`].
    pub fn global(kind: EventKind, now: DateTime<Utc>) -> Result<Self> {
        Self::build(None, None, None, None, kind, now)
    }

    /// # Errors
    /// See [`Event::check`].
    pub fn build(
        project_id: Option<ProjectId>,
        actor_id: Option<MemberId>,
        task_id: Option<TaskId>,
        parent_id: Option<EventId>,
        kind: EventKind,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let event = Self {
            id: EventId::generate(),
            project_id,
            actor_id,
            task_id,
            parent_id,
            kind,
            created_at: now,
            updated_at: now,
        };
        event.check()?;
        Ok(event)
    }

    /// Checks the log's invariants: the scope matches the project, and the payload is
    /// a bounded JSON object without NUL characters.
    ///
    /// # Errors
    /// `Validation` or `TooLarge` naming what is wrong.
    pub fn check(&self) -> Result<()> {
        match (self.kind.scope(), self.project_id) {
            (Scope::Project, None) => {
                return Err(Error::validation(
                    "project_id",
                    "this event type belongs to a project",
                ));
            }
            (Scope::Global, Some(_)) => {
                return Err(Error::validation(
                    "project_id",
                    "this event type belongs to no project",
                ));
            }
            _ => {}
        }
        let payload = self.kind.payload()?;
        if !payload.is_object() {
            return Err(Error::validation("payload", "must be a JSON object"));
        }
        if contains_nul(&payload) {
            return Err(Error::validation(
                "payload",
                "must not contain NUL characters",
            ));
        }
        let size = serde_json::to_vec(&payload).map_err(Error::internal)?.len();
        if size > Self::MAX_PAYLOAD_BYTES {
            return Err(Error::TooLarge {
                what: "payload",
                limit: Self::MAX_PAYLOAD_BYTES,
            });
        }
        Ok(())
    }
}

fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::UserId;
    use crate::log::payload::{ChatMessage, TaskComment, UserCreated};

    fn chat(content: &str) -> EventKind {
        EventKind::ChatMessage(ChatMessage {
            content: content.into(),
            mentions: vec![],
            thinking: None,
            voice_url: None,
        })
    }

    #[test]
    fn a_project_event_needs_a_project() {
        let err = Event::build(None, None, None, None, chat("hi"), Utc::now()).unwrap_err();
        assert!(matches!(err, Error::Validation { field, .. } if field == "project_id"));
    }

    #[test]
    fn a_global_event_has_no_project() {
        let kind = EventKind::UserCreated(UserCreated {
            user: UserId::generate(),
            name: "a".into(),
            is_admin: false,
        });
        assert!(Event::global(kind.clone(), Utc::now()).is_ok());
        let err =
            Event::in_project(ProjectId::generate(), None, None, kind, Utc::now()).unwrap_err();
        assert!(matches!(err, Error::Validation { .. }));
    }

    #[test]
    fn nul_characters_anywhere_in_the_payload_are_refused() {
        let kind = EventKind::TaskComment(TaskComment {
            content: "ok".into(),
            mentions: vec![],
            thinking: None,
            tool_log: Some(serde_json::json!({"calls": [{"out": "a\u{0}b"}]})),
        });
        let err =
            Event::in_project(ProjectId::generate(), None, None, kind, Utc::now()).unwrap_err();
        assert!(matches!(err, Error::Validation { .. }));
    }

    #[test]
    fn an_oversized_payload_is_refused() {
        let big = "x".repeat(Event::MAX_PAYLOAD_BYTES);
        let err = Event::in_project(ProjectId::generate(), None, None, chat(&big), Utc::now())
            .unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }));
    }
}
