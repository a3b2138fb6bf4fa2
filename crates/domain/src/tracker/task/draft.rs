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
    /// The most labels a task carries.
    pub const LABELS_MAX: usize = 50;

    /// Trims and bounds the text; labels sorted, each once, at most
    /// [`TaskDraft::LABELS_MAX`].
    ///
    /// # Errors
    /// `Validation` for an empty or overlong title, an overlong description or too
    /// many labels.
    pub fn check(mut self) -> Result<Self> {
        self.title = crate::text::required("title", &self.title, Self::TITLE_MAX)?;
        self.description =
            crate::text::bounded("description", &self.description, Self::DESCRIPTION_MAX)?;
        self.labels.sort();
        self.labels.dedup();
        if self.labels.len() > Self::LABELS_MAX {
            return Err(too_many_labels());
        }
        Ok(self)
    }
}

pub(super) fn too_many_labels() -> crate::Error {
    crate::Error::validation(
        "labels",
        format!("a task carries at most {} labels", TaskDraft::LABELS_MAX),
    )
}
