use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{ProjectId, TaskId, TaskLinkId};
use crate::{Error, Result};

/// How one task relates to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// The source must finish before the target can.
    Blocks,
    RelatesTo,
    Duplicates,
}

impl LinkKind {
    pub const ALL: [Self; 3] = [Self::Blocks, Self::RelatesTo, Self::Duplicates];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Blocks => "blocks",
            Self::RelatesTo => "relates_to",
            Self::Duplicates => "duplicates",
        }
    }

    /// # Errors
    /// `Validation` for an unknown kind.
    pub fn parse(raw: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| Error::validation("kind", "must be blocks, relates_to or duplicates"))
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
