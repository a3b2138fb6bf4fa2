//! The tracker's resources: tasks (with their labels and links) and each
//! project's labels.

mod dto;
mod labels;
mod tasks;

pub use labels::LabelsApi;
pub use tasks::TasksApi;
