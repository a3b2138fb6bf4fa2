//! What a caller sets when creating a task, checked as a whole.

use super::super::{Priority, TaskStatus};
use crate::Result;
use crate::id::{LabelId, MemberId};

/// The fields a person sets on a new task. The defaults: backlog, medium priority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDraft {
    pub title: String,
    pub description: String,
    pub status: TaskStatus,
    pub priority: Priority,
    pub assignee_id: Option<MemberId>,
    pub labels: Vec<LabelId>,
}

impl Default for TaskDraft {
    fn default() -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            status: TaskStatus::Backlog,
            priority: Priority::default(),
            assignee_id: None,
            labels: Vec::new(),
        }
    }
}

impl TaskDraft {
    pub(super) const TITLE_MAX: usize = 500;
    pub(super) const DESCRIPTION_MAX: usize = 100_000;

    /// Trims and bounds the text; labels sorted, each once.
    ///
    /// # Errors
    /// `Validation` for an empty or overlong title or an overlong description.
    pub fn check(mut self) -> Result<Self> {
        self.title = crate::text::required("title", &self.title, Self::TITLE_MAX)?;
        self.description =
            crate::text::bounded("description", &self.description, Self::DESCRIPTION_MAX)?;
        self.labels.sort();
        self.labels.dedup();
        Ok(self)
    }
}
