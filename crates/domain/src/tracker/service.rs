//! The tracker's use cases: tasks (with their labels and links) and each
//! project's labels.

mod labels;
mod tasks;

pub use labels::Labels;
pub use tasks::{TaskLinks, TaskView, Tasks};

#[cfg(test)]
mod tests;
