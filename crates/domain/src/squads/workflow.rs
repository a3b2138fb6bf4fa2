//! A squad's workflow and its versions: the settable fields are plain, each
//! version's definition is sealed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Sealed, SquadStatus};
use crate::Result;
use crate::id::{SquadId, UserId, WorkflowId};
use crate::registry::{Draft, Revisioned};

/// What a workflow's owner sets besides its definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowDraft {
    pub name: String,
    pub description: String,
    pub status: SquadStatus,
}

impl Draft for WorkflowDraft {
    fn check(self) -> Result<Self> {
        let (name, description) = super::squad::named(&self.name, &self.description)?;
        Ok(Self {
            name,
            description,
            ..self
        })
    }
}

/// A workflow: its fields (revisioned: any change moves `revision`, what
/// `If-Match` names), its squad and its current version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workflow {
    pub record: Revisioned<WorkflowId, WorkflowDraft>,
    pub squad_id: SquadId,
    /// The number of the latest definition saved.
    pub version: i32,
}

impl Workflow {
    /// The most workflows a squad holds.
    pub const PER_SQUAD_MAX: usize = 100;

    #[must_use]
    pub const fn id(&self) -> WorkflowId {
        self.record.id
    }

    /// The workflow moved to its next version (and revision).
    #[must_use]
    pub fn next_version(&self, now: DateTime<Utc>) -> Self {
        let mut next = self.clone();
        next.version += 1;
        next.record.revision += 1;
        next.record.updated_at = now;
        next
    }
}

/// One saved definition, immutable once written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowVersion {
    pub workflow_id: WorkflowId,
    pub version: i32,
    pub sealed: Sealed,
    /// `sha256:<hex>` of the plain definition.
    pub digest: String,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}
