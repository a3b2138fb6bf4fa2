//! A directed link between two tasks of a project, and its kinds.

use chrono::{DateTime, Utc};

use crate::id::{ProjectId, TaskId, TaskLinkId};
use crate::vocabulary::vocabulary;
use crate::{Error, Result};

vocabulary! {
    /// How one task relates to another.
    pub enum LinkKind("kind") {
        /// The source must finish before the target can.
        Blocks = "blocks",
        RelatesTo = "relates_to",
        Duplicates = "duplicates",
    }
}

/// A directed link between two tasks of the same project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskLink {
    pub id: TaskLinkId,
    pub project_id: ProjectId,
    pub source_id: TaskId,
    pub target_id: TaskId,
    pub kind: LinkKind,
    pub created_at: DateTime<Utc>,
}

impl TaskLink {
    /// # Errors
    /// `Validation` for a link from a task to itself.
    pub fn new(
        project_id: ProjectId,
        source_id: TaskId,
        target_id: TaskId,
        kind: LinkKind,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        if source_id == target_id {
            return Err(Error::validation(
                "target_task_id",
                "a task cannot link to itself",
            ));
        }
        Ok(Self {
            id: TaskLinkId::generate(),
            project_id,
            source_id,
            target_id,
            kind,
            created_at: now,
        })
    }
}
