//! The registry's record pattern: a checked draft of the settable fields inside a
//! revisioned record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::event::FieldChange;

/// The settable part of a registry record, normalized and checked as a whole.
pub trait Draft: Clone + Serialize + Sized {
    /// # Errors
    /// `Validation` naming the first field that breaks a rule.
    fn check(self) -> Result<Self>;
}

/// A registry record: its draft, plus identity and a revision counting its changes
/// (readers send it back in `If-Match`, so a write based on a stale read is refused).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revisioned<I, D> {
    pub id: I,
    #[serde(flatten)]
    pub draft: D,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl<I: Copy, D: Draft> Revisioned<I, D> {
    /// # Errors
    /// See [`Draft::check`].
    pub fn new(id: I, draft: D, now: DateTime<Utc>) -> Result<Self> {
        Ok(Self {
            id,
            draft: draft.check()?,
            revision: 1,
            created_at: now,
            updated_at: now,
        })
    }

    /// The revision a write of this record replaces: a store writes it only over
    /// that one (a new record replaces none, 0).
    #[must_use]
    pub fn replaces(&self) -> i64 {
        self.revision - 1
    }

    /// The record with `draft` applied (next revision) and each changed field;
    /// the record unchanged when no field changed.
    ///
    /// # Errors
    /// See [`Draft::check`].
    pub fn revise(&self, draft: D, now: DateTime<Utc>) -> Result<(Self, Vec<FieldChange>)> {
        let draft = draft.check()?;
        let changes = FieldChange::between(&self.draft, &draft)?;
        if changes.is_empty() {
            return Ok((self.clone(), changes));
        }
        Ok((
            Self {
                id: self.id,
                draft,
                revision: self.revision + 1,
                created_at: self.created_at,
                updated_at: now,
            },
            changes,
        ))
    }
}
