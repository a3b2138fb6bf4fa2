//! Tracker context: tasks with their state machine, labels and links.
//!
//! Depends on the kernel and on the workspace (projects, members, access).

mod events;
mod label;
mod link;
mod ports;
mod priority;
mod service;
mod status;
mod task;

pub use events::{
    LabelCreated, TaskAssigned, TaskCreated, TaskLabel, TaskStatusChanged, TaskUnassigned,
    TrackerEvent,
};
pub use label::Label;
pub use link::{LinkKind, TaskLink};
pub use ports::{LabelRepo, Ports, TaskLinkRepo, TaskQuery, TaskRepo};
#[cfg(any(test, feature = "mock"))]
pub use ports::{MockLabelRepo, MockTaskLinkRepo, MockTaskRepo};
pub use priority::Priority;
pub use service::{Labels, TaskLinks, TaskView, Tasks};
pub use status::TaskStatus;
pub use task::{
    Changes, Execution, FailedAttempt, NewTask, Task, TaskChange, TaskDraft, TaskPatch, TaskRecord,
    TaskResult,
};
