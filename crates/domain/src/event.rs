//! The envelope of every recorded action, and how a context declares the kinds of
//! event it records.
//!
//! A context declares its kinds once, with [`event_kinds!`]: each kind's type
//! name, its scope and its payload type. The envelope carries any kind as its type
//! name and JSON payload, so the log stores, pages and serves events of kinds this
//! binary has never heard of (a newer binary's, after a rollback) like its own;
//! code that needs a payload's fields decodes it into its context's family.

mod change;
mod kinds;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use self::change::FieldChange;
pub(crate) use self::kinds::event_kinds;
pub use self::kinds::{KindSpec, Kinds, Scope};
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

/// An event's type name and payload: any kind, known to this binary or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventKind {
    type_name: String,
    payload: Value,
}

impl EventKind {
    /// A kind as a store read it back, whether this binary knows its type or not.
    #[must_use]
    pub fn stored(type_name: String, payload: Value) -> Self {
        Self { type_name, payload }
    }

    #[must_use]
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The payload, a JSON object, as stored in the `payload` column.
    #[must_use]
    pub fn payload(&self) -> &Value {
        &self.payload
    }

    #[must_use]
    pub fn into_payload(self) -> Value {
        self.payload
    }

    /// The kind as one of `K`'s typed kinds; `None` when `K` has no kind of this
    /// type name.
    ///
    /// # Errors
    /// `Validation` when the payload does not fit the type.
    pub fn decode<K: Kinds>(&self) -> Option<Result<K>> {
        K::from_parts(&self.type_name, &self.payload).map(|decoded| {
            decoded.map_err(|e| {
                Error::validation("payload", format!("does not fit {}: {e}", self.type_name))
            })
        })
    }
}

impl Event {
    /// The largest payload, serialized, that an event may carry.
    pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

    /// A project event.
    ///
    /// # Errors
    /// See [`Event::build`].
    pub fn in_project<K: Kinds>(
        project_id: ProjectId,
        actor_id: Option<MemberId>,
        task_id: Option<TaskId>,
        kind: K,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        Self::build(Some(project_id), actor_id, task_id, None, kind, now)
    }

    /// An installation-wide event, outside any project.
    ///
    /// # Errors
    /// See [`Event::build`].
    pub fn global<K: Kinds>(kind: K, now: DateTime<Utc>) -> Result<Self> {
        Self::build(None, None, None, None, kind, now)
    }

    /// Checks the log's invariants and builds the event: the kind's scope matches
    /// the project, and the payload is a bounded JSON object without NUL characters.
    ///
    /// # Errors
    /// `Validation` or `TooLarge` naming what is wrong.
    pub fn build<K: Kinds>(
        project_id: Option<ProjectId>,
        actor_id: Option<MemberId>,
        task_id: Option<TaskId>,
        parent_id: Option<EventId>,
        kind: K,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        match (kind.scope(), project_id) {
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
        let payload = kind.to_payload().map_err(Error::internal)?;
        check_payload(&payload)?;
        Ok(Self {
            id: EventId::generate(),
            project_id,
            actor_id,
            task_id,
            parent_id,
            kind: EventKind {
                type_name: kind.type_name().to_owned(),
                payload,
            },
            created_at: now,
            updated_at: now,
        })
    }
}

fn check_payload(payload: &Value) -> Result<()> {
    if !payload.is_object() {
        return Err(Error::validation("payload", "must be a JSON object"));
    }
    if crate::text::json_has_nul(payload) {
        return Err(Error::validation(
            "payload",
            "must not contain NUL characters",
        ));
    }
    let size = serde_json::to_vec(payload).map_err(Error::internal)?.len();
    if size > Event::MAX_PAYLOAD_BYTES {
        return Err(Error::TooLarge {
            what: "payload",
            limit: Event::MAX_PAYLOAD_BYTES,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
