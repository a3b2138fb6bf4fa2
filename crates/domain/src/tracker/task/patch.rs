//! Changing a task's own fields: text, priority, status (through the state
//! machine) and assignee, one event per field that really changed.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::super::events::{TaskAssigned, TaskStatusChanged, TaskUnassigned, TrackerEvent};
use super::super::{Priority, TaskStatus};
use super::{Changes, Task, TaskDraft};
use crate::Result;
use crate::event::FieldChange;
use crate::id::MemberId;

/// The fields a caller wants changed; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<TaskStatus>,
    pub priority: Option<Priority>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<MemberId>>,
}

impl Task {
    /// Applies `patch`: one event per real change, none for a no-op.
    ///
    /// # Errors
    /// `Validation` for bad text, `InvalidTransition` for a forbidden status change.
    /// On error the task is unchanged.
    pub fn apply(&mut self, patch: TaskPatch, now: DateTime<Utc>) -> Result<Changes> {
        let mut next = self.0.clone();
        let mut events = Vec::new();
        let updated =
            |field, from, to| TrackerEvent::TaskUpdated(FieldChange::new(field, from, to));
        if let Some(title) = patch.title {
            let title = crate::text::required("title", &title, TaskDraft::TITLE_MAX)?;
            if title != next.title {
                events.push(updated("title", json!(next.title), json!(title)));
                next.title = title;
            }
        }
        if let Some(description) = patch.description {
            let description =
                crate::text::bounded("description", &description, TaskDraft::DESCRIPTION_MAX)?;
            if description != next.description {
                events.push(updated(
                    "description",
                    json!(next.description),
                    json!(description),
                ));
                next.description = description;
            }
        }
        if let Some(priority) = patch.priority.filter(|p| *p != next.priority) {
            events.push(updated("priority", json!(next.priority), json!(priority)));
            next.priority = priority;
        }
        if let Some(status) = patch.status.filter(|s| *s != next.status) {
            next.status.check_transition(status)?;
            events.push(TrackerEvent::TaskStatus(TaskStatusChanged {
                from: next.status,
                to: status,
            }));
            next.status = status;
        }
        if let Some(assignee) = patch.assignee.filter(|a| *a != next.assignee_id) {
            events.push(match (assignee, next.assignee_id) {
                (Some(assignee), previous) => {
                    TrackerEvent::TaskAssigned(TaskAssigned { assignee, previous })
                }
                (None, Some(previous)) => TrackerEvent::TaskUnassigned(TaskUnassigned { previous }),
                (None, None) => unreachable!("filtered out: the assignee did not change"),
            });
            next.assignee_id = assignee;
        }
        self.0 = next;
        let changes = Changes {
            events,
            rows: Vec::new(),
        };
        Ok(self.touch(changes, now))
    }
}
