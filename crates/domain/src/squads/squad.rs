//! A squad: assistants of the registry assembled by a user to run workflows,
//! owned by its creator and, once published and active, visible to everyone.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Price;
use crate::caller::Principal;
use crate::event::FieldChange;
use crate::id::{SquadId, UserId};
use crate::registry::{Draft, Revisioned};
use crate::vocabulary::vocabulary;
use crate::{Error, Result};

vocabulary! {
    /// Whether a squad, or a workflow, may run: only an `active` squad's
    /// `active` workflows are executed.
    pub enum SquadStatus("status") {
        Draft = "draft",
        Active = "active",
        Inactive = "inactive",
    }
}

/// What a squad's owner sets; checked by [`SquadDraft::check`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SquadDraft {
    pub name: String,
    pub description: String,
    pub status: SquadStatus,
    pub price_per_execution: Price,
}

impl SquadDraft {
    pub const NAME_MAX: usize = 255;
    pub const DESCRIPTION_MAX: usize = 10_000;
}

impl Draft for SquadDraft {
    fn check(self) -> Result<Self> {
        let (name, description) = named(&self.name, &self.description)?;
        Ok(Self {
            name,
            description,
            ..self
        })
    }
}

/// A squad's, a workflow's or a template's name (required, at most 255
/// characters) and description (at most 10,000), trimmed.
pub(super) fn named(name: &str, description: &str) -> Result<(String, String)> {
    Ok((
        crate::text::required("name", name, SquadDraft::NAME_MAX)?,
        crate::text::bounded(
            "description",
            description.trim(),
            SquadDraft::DESCRIPTION_MAX,
        )?,
    ))
}

/// A squad: its settable fields, revisioned, with who made it and when it was
/// published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Squad {
    pub record: Revisioned<SquadId, SquadDraft>,
    pub creator_id: UserId,
    /// Set once, by publishing.
    pub published_at: Option<DateTime<Utc>>,
}

impl Squad {
    /// # Errors
    /// `Validation` naming a bad field.
    pub fn new(creator_id: UserId, draft: SquadDraft, now: DateTime<Utc>) -> Result<Self> {
        Ok(Self {
            record: Revisioned::new(SquadId::generate(), draft, now)?,
            creator_id,
            published_at: None,
        })
    }

    #[must_use]
    pub const fn id(&self) -> SquadId {
        self.record.id
    }

    #[must_use]
    pub const fn draft(&self) -> &SquadDraft {
        &self.record.draft
    }

    /// Whether anyone may run its active workflows: published and active.
    #[must_use]
    pub fn is_public(&self) -> bool {
        self.published_at.is_some() && self.record.draft.status == SquadStatus::Active
    }

    /// Its creator and admins see every squad; everyone sees a public one.
    #[must_use]
    pub fn is_visible_to(&self, who: &Principal) -> bool {
        who.is_admin || who.user_id == self.creator_id || self.is_public()
    }

    /// # Errors
    /// `Forbidden` unless `who` created it or is an admin.
    pub fn require_owner(&self, who: &Principal) -> Result<()> {
        if who.is_admin || who.user_id == self.creator_id {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "only the squad's creator or an admin may change it".into(),
            ))
        }
    }

    /// The squad with `draft` applied, and each changed field.
    ///
    /// # Errors
    /// `Validation`.
    pub fn revise(
        &self,
        draft: SquadDraft,
        now: DateTime<Utc>,
    ) -> Result<(Self, Vec<FieldChange>)> {
        let (record, changes) = self.record.revise(draft, now)?;
        Ok((
            Self {
                record,
                ..self.clone()
            },
            changes,
        ))
    }

    /// Published now: the next revision with `published_at` set.
    ///
    /// # Errors
    /// `Conflict` once published (the date is set once), or while it is not
    /// active (a draft is not ready for others).
    pub fn publish(&self, now: DateTime<Utc>) -> Result<Self> {
        if let Some(at) = self.published_at {
            return Err(Error::Conflict(format!("the squad was published at {at}")));
        }
        if self.record.draft.status != SquadStatus::Active {
            return Err(Error::Conflict(format!(
                "only an active squad is published; this one is {}",
                self.record.draft.status
            )));
        }
        let mut next = self.clone();
        next.published_at = Some(now);
        next.record.revision += 1;
        next.record.updated_at = now;
        Ok(next)
    }
}
