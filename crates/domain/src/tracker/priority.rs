//! A task's priority.

use crate::vocabulary::vocabulary;

vocabulary! {
    /// A task's priority, lowest first.
    #[derive(Default, PartialOrd, Ord)]
    pub enum Priority("priority") {
        Low = "low",
        #[default]
        Medium = "medium",
        High = "high",
        Urgent = "urgent",
    }
}
