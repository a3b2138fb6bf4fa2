//! What the tracker records: tasks, their changes, labels.

use serde::{Deserialize, Serialize};

use super::{Priority, TaskStatus};
use crate::event::{FieldChange, event_kinds};
use crate::id::{LabelId, MemberId};
use crate::shape::described_struct;

event_kinds! {
    /// The tracker's kinds of event.
    pub enum TrackerEvent {
        /// A task was created.
        TaskCreated(TaskCreated) = "task_created" in Project,
        /// A task moved from one status to another.
        TaskStatus(TaskStatusChanged) = "task_status" in Project,
        /// A task was given to a member (perhaps taken from another).
        TaskAssigned(TaskAssigned) = "task_assigned" in Project,
        /// A task was taken from its member.
        TaskUnassigned(TaskUnassigned) = "task_unassigned" in Project,
        /// One field of a task changed; `field: "link"` for a link made or removed.
        TaskUpdated(FieldChange) = "task_updated" in Project,
        /// A task was given a label.
        TaskLabelAdd(TaskLabel) = "task_label_add" in Project,
        /// A task lost a label.
        TaskLabelRemove(TaskLabel) = "task_label_remove" in Project,
        /// A project gained a label.
        LabelCreated(LabelCreated) = "label_created" in Project,
    }
}

described_struct! {
    /// `task_created`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TaskCreated as "TaskCreatedPayload" {
        pub title: String,
        pub status: TaskStatus,
        pub priority: Priority,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub assignee: Option<MemberId>,
    }
}

described_struct! {
    /// `task_status`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TaskStatusChanged as "TaskStatusPayload" {
        pub from: TaskStatus,
        pub to: TaskStatus,
    }
}

described_struct! {
    /// `task_assigned`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TaskAssigned as "TaskAssignedPayload" {
        pub assignee: MemberId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub previous: Option<MemberId>,
    }
}

described_struct! {
    /// `task_unassigned`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TaskUnassigned as "TaskUnassignedPayload" {
        pub previous: MemberId,
    }
}

described_struct! {
    /// `task_label_add`, `task_label_remove`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TaskLabel as "TaskLabelPayload" {
        pub label: LabelId,
    }
}

described_struct! {
    /// `label_created`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct LabelCreated as "LabelCreatedPayload" {
        pub label: LabelId,
        pub name: String,
        pub color: String,
    }
}
