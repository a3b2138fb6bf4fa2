use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::events::{TaskAssigned, TaskCreated, TaskStatusChanged, TaskUnassigned, TrackerEvent};
use super::{Priority, TaskStatus};
use crate::event::FieldChange;
use crate::id::{LabelId, MemberId, ProjectId, TaskId};
use crate::{Error, Result};

const TITLE_MAX: usize = 500;
const DESCRIPTION_MAX: usize = 100_000;

/// A unit of work in a project, for people and for the plan engine alike.
///
/// Fields change only through [`Task::apply`], which checks the rules and returns
/// the events the change implies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub id: TaskId,
    pub project_id: ProjectId,
    /// Per-project sequence number: the `4` of `TE-4`.
    pub number: i64,
    pub title: String,
    pub description: String,
    pub status: TaskStatus,
    pub priority: Priority,
    pub assignee_id: Option<MemberId>,
    pub labels: Vec<LabelId>,
    /// Bumped by every change; writers name the version they read.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A task before the store gives it its number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTask {
    pub id: TaskId,
    pub project_id: ProjectId,
    pub title: String,
    pub description: String,
    pub status: TaskStatus,
    pub priority: Priority,
    pub assignee_id: Option<MemberId>,
    pub labels: Vec<LabelId>,
    pub created_at: DateTime<Utc>,
}

impl NewTask {
    /// Checks the input and returns the task with its `task_created` event.
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter per field a caller sets"
    )]
    ///
    /// # Errors
    /// `Validation` for a bad title or description, or a status a task cannot start in.
    pub fn new(
        project_id: ProjectId,
        title: &str,
        description: &str,
        status: TaskStatus,
        priority: Priority,
        assignee_id: Option<MemberId>,
        mut labels: Vec<LabelId>,
        now: DateTime<Utc>,
    ) -> Result<(Self, TrackerEvent)> {
        if !matches!(
            status,
            TaskStatus::Backlog | TaskStatus::Pending | TaskStatus::InProgress
        ) {
            return Err(Error::validation(
                "status",
                "a new task starts in backlog, pending or in_progress",
            ));
        }
        labels.sort();
        labels.dedup();
        let task = Self {
            id: TaskId::generate(),
            project_id,
            title: crate::text::required("title", title, TITLE_MAX)?,
            description: crate::text::bounded("description", description, DESCRIPTION_MAX)?,
            status,
            priority,
            assignee_id,
            labels,
            created_at: now,
        };
        let event = TrackerEvent::TaskCreated(TaskCreated {
            title: task.title.clone(),
            status,
            priority,
            assignee: assignee_id,
        });
        Ok((task, event))
    }
}

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
    /// Applies `patch`, returning one event per real change (none for a no-op).
    ///
    /// # Errors
    /// `Validation` for bad text, `InvalidTransition` for a forbidden status change.
    /// On error the task is unchanged.
    pub fn apply(&mut self, patch: TaskPatch, now: DateTime<Utc>) -> Result<Vec<TrackerEvent>> {
        let mut next = self.clone();
        let mut events = Vec::new();
        if let Some(title) = patch.title {
            let title = crate::text::required("title", &title, TITLE_MAX)?;
            if title != next.title {
                events.push(updated("title", json!(next.title), json!(title)));
                next.title = title;
            }
        }
        if let Some(description) = patch.description {
            let description = crate::text::bounded("description", &description, DESCRIPTION_MAX)?;
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
        if !events.is_empty() {
            next.version += 1;
            next.updated_at = now;
            *self = next;
        }
        Ok(events)
    }

    /// Marks a change that is recorded elsewhere (labels, links) on the task itself.
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = now;
    }
}

fn updated(field: &str, from: Value, to: Value) -> TrackerEvent {
    TrackerEvent::TaskUpdated(FieldChange::new(field, from, to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Kinds as _;

    fn task() -> Task {
        let (new, _) = NewTask::new(
            ProjectId::generate(),
            "Write the spec",
            "",
            TaskStatus::Backlog,
            Priority::Medium,
            None,
            vec![],
            Utc::now(),
        )
        .unwrap();
        Task {
            id: new.id,
            project_id: new.project_id,
            number: 1,
            title: new.title,
            description: new.description,
            status: new.status,
            priority: new.priority,
            assignee_id: None,
            labels: vec![],
            version: 1,
            created_at: new.created_at,
            updated_at: new.created_at,
        }
    }

    #[test]
    fn a_patch_emits_one_event_per_changed_field() {
        let mut task = task();
        let events = task
            .apply(
                TaskPatch {
                    title: Some("Write the real spec".into()),
                    description: Some("with examples".into()),
                    priority: Some(Priority::High),
                    status: Some(TaskStatus::InProgress),
                    assignee: Some(Some(MemberId::generate())),
                },
                Utc::now(),
            )
            .unwrap();
        let types: Vec<_> = events.iter().map(|e| e.type_name()).collect();
        assert_eq!(
            types,
            [
                "task_updated",
                "task_updated",
                "task_updated",
                "task_status",
                "task_assigned"
            ]
        );
        assert!(
            matches!(&events[0], TrackerEvent::TaskUpdated(FieldChange { field, .. }) if field == "title")
        );
        assert_eq!(task.version, 2);
    }

    #[test]
    fn a_patch_that_changes_nothing_emits_nothing_and_keeps_the_version() {
        let mut task = task();
        let same = TaskPatch {
            title: Some(task.title.clone()),
            status: Some(task.status),
            assignee: Some(None),
            ..TaskPatch::default()
        };
        assert!(task.apply(same, Utc::now()).unwrap().is_empty());
        assert_eq!(task.version, 1);
    }

    #[test]
    fn a_forbidden_transition_leaves_the_task_untouched() {
        let mut task = task();
        let before = task.clone();
        let patch = TaskPatch {
            title: Some("changed".into()),
            status: Some(TaskStatus::Done),
            ..TaskPatch::default()
        };
        let err = task.apply(patch, Utc::now()).unwrap_err();
        assert!(matches!(err, Error::InvalidTransition { .. }));
        assert_eq!(task, before);
    }

    #[test]
    fn unassigning_names_the_previous_assignee() {
        let mut task = task();
        let member = MemberId::generate();
        task.apply(
            TaskPatch {
                assignee: Some(Some(member)),
                ..TaskPatch::default()
            },
            Utc::now(),
        )
        .unwrap();
        let events = task
            .apply(
                TaskPatch {
                    assignee: Some(None),
                    ..TaskPatch::default()
                },
                Utc::now(),
            )
            .unwrap();
        assert_eq!(
            events,
            [TrackerEvent::TaskUnassigned(TaskUnassigned {
                previous: member
            })]
        );
    }

    #[test]
    fn a_new_task_cannot_start_finished() {
        let result = NewTask::new(
            ProjectId::generate(),
            "t",
            "",
            TaskStatus::Done,
            Priority::Low,
            None,
            vec![],
            Utc::now(),
        );
        assert!(matches!(result, Err(Error::Validation { .. })));
    }
}
