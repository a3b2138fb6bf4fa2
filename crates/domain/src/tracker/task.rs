//! A task: one entity for the tracker and for the plan engine.
//!
//! A task's state is private. It is created from a checked [`TaskDraft`] and
//! changed only through its methods, each of which checks the rules and returns
//! the [`Changes`] it implies (events, and rows beside the task such as labels);
//! a store writes what they decided and reads a task back with [`Task::restore`].

mod draft;
mod execution;
mod patch;
mod satellites;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

pub use self::draft::TaskDraft;
pub use self::execution::{Execution, FailedAttempt, TaskResult};
pub use self::patch::TaskPatch;
use super::events::{TaskCreated, TaskLabel, TrackerEvent};
use super::{Priority, TaskLink, TaskStatus};
use crate::id::{LabelId, MemberId, ProjectId, TaskId, TaskLinkId};
use crate::{Error, Result};

/// Everything a task holds, as a store keeps it. Only [`Task`]'s methods change
/// it; a store reads it with [`Task::record`] and rebuilds a task from it with
/// [`Task::restore`].
///
/// A task of a plan carries its execution state as one group, [`Execution`],
/// changed by the methods in `task/execution.rs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRecord {
    pub id: TaskId,
    pub project_id: ProjectId,
    /// Per-project sequence number: the `4` of `TE-4`; 0 until the store numbers it.
    pub number: i64,
    pub title: String,
    pub description: String,
    pub status: TaskStatus,
    pub priority: Priority,
    pub assignee_id: Option<MemberId>,
    /// Sorted, without duplicates.
    pub labels: Vec<LabelId>,
    /// Present exactly when the task belongs to a plan.
    pub execution: Option<Execution>,
    /// Bumped by every change; writers name the version they read.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A unit of work in a project, for people and for the plan engine alike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task(TaskRecord);

/// A task before the store gives it its number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTask(TaskRecord);

/// A change to rows beside a task, written with the task's version bump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskChange {
    AddLabel(LabelId),
    RemoveLabel(LabelId),
    AddLink(TaskLink),
    RemoveLink(TaskLinkId),
}

/// What a change to a task decided: the events it implies and the rows beside the
/// task to write with it. Empty when nothing changed (the version stays).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Changes {
    pub events: Vec<TrackerEvent>,
    pub rows: Vec<TaskChange>,
}

impl Changes {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.rows.is_empty()
    }
}

impl Task {
    /// A new task in `project`, with the events of its creation: `task_created`,
    /// then `task_label_add` per label.
    ///
    /// # Errors
    /// `Validation` for a bad draft, or a status a task cannot start in.
    pub fn create(
        project_id: ProjectId,
        draft: TaskDraft,
        now: DateTime<Utc>,
    ) -> Result<(NewTask, Vec<TrackerEvent>)> {
        let draft = draft.check()?;
        if !matches!(
            draft.status,
            TaskStatus::Backlog | TaskStatus::Pending | TaskStatus::InProgress
        ) {
            return Err(Error::validation(
                "status",
                "a new task starts in backlog, pending or in_progress",
            ));
        }
        let mut events = vec![TrackerEvent::TaskCreated(TaskCreated {
            title: draft.title.clone(),
            status: draft.status,
            priority: draft.priority,
            assignee: draft.assignee_id,
        })];
        events.extend(
            draft
                .labels
                .iter()
                .map(|&label| TrackerEvent::TaskLabelAdd(TaskLabel { label })),
        );
        let record = TaskRecord {
            id: TaskId::generate(),
            project_id,
            number: 0,
            title: draft.title,
            description: draft.description,
            status: draft.status,
            priority: draft.priority,
            assignee_id: draft.assignee_id,
            labels: draft.labels,
            execution: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        Ok((NewTask(record), events))
    }

    /// A task as a store read it back. The store vouches that it wrote this.
    #[must_use]
    pub fn restore(record: TaskRecord) -> Self {
        Self(record)
    }

    /// Everything the task holds.
    #[must_use]
    pub fn record(&self) -> &TaskRecord {
        &self.0
    }

    #[must_use]
    pub fn id(&self) -> TaskId {
        self.0.id
    }

    #[must_use]
    pub fn project_id(&self) -> ProjectId {
        self.0.project_id
    }

    #[must_use]
    pub fn version(&self) -> i64 {
        self.0.version
    }

    /// Marks a real change on the task itself: the next version, changed now.
    fn touch(&mut self, changes: Changes, now: DateTime<Utc>) -> Changes {
        if !changes.is_empty() {
            self.0.version += 1;
            self.0.updated_at = now;
        }
        changes
    }
}

impl NewTask {
    #[must_use]
    pub fn record(&self) -> &TaskRecord {
        &self.0
    }

    #[must_use]
    pub fn id(&self) -> TaskId {
        self.0.id
    }

    /// The task under the number its store gave it.
    #[must_use]
    pub fn numbered(self, number: i64) -> Task {
        Task(TaskRecord { number, ..self.0 })
    }
}
