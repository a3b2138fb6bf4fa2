//! Tracker context: tasks with their state machine, labels, links and attachments.

mod attachment;
mod events;
mod label;
mod link;
mod priority;
mod status;
mod task;

pub use attachment::{Attachment, NewAttachment};
pub use events::{
    LabelCreated, TaskAssigned, TaskCreated, TaskLabel, TaskStatusChanged, TaskUnassigned,
    TrackerEvent,
};
pub use label::Label;
pub use link::{LinkKind, TaskLink};
pub use priority::Priority;
pub use status::TaskStatus;
pub use task::{NewTask, Task, TaskPatch};
