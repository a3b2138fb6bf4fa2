//! Workflow templates: public example definitions, built in or made by users,
//! that a new workflow copies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Definition;
use crate::caller::Principal;
use crate::id::{TemplateId, UserId};
use crate::registry::{Draft, Revisioned};
use crate::{Error, Result};

/// What a template's owner sets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDraft {
    pub name: String,
    pub description: String,
    pub category: String,
    /// A definition, checked as a template's: agent nodes name members by role.
    pub definition: Value,
}

impl TemplateDraft {
    pub const CATEGORY_MAX: usize = 100;
}

impl Draft for TemplateDraft {
    fn check(self) -> Result<Self> {
        let definition = Definition::check_template(&self.definition)?;
        let (name, description) = super::squad::named(&self.name, &self.description)?;
        Ok(Self {
            name,
            description,
            category: crate::text::bounded("category", self.category.trim(), Self::CATEGORY_MAX)?,
            definition: serde_json::to_value(definition).map_err(Error::internal)?,
        })
    }
}

/// A template: its fields, revisioned, who made it (none for a built-in) and
/// how many workflows were made from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub record: Revisioned<TemplateId, TemplateDraft>,
    pub is_builtin: bool,
    pub creator_id: Option<UserId>,
    pub usage_count: i64,
    /// For a built-in template, the digest of the definition this build or
    /// an earlier one shipped it with: an install replaces it only when the
    /// shipped one changed, so an admin's edits last until then.
    pub shipped: Option<String>,
}

impl Template {
    #[must_use]
    pub const fn id(&self) -> TemplateId {
        self.record.id
    }

    /// # Errors
    /// `Forbidden`: admins manage the built-in templates, creators their own.
    pub fn require_owner(&self, who: &Principal) -> Result<()> {
        let owns = if self.is_builtin {
            who.is_admin
        } else {
            who.is_admin || self.creator_id == Some(who.user_id)
        };
        if owns {
            Ok(())
        } else if self.is_builtin {
            Err(Error::Forbidden(
                "only an admin may change a built-in template".into(),
            ))
        } else {
            Err(Error::Forbidden(
                "only the template's creator or an admin may change it".into(),
            ))
        }
    }
}

/// The templates the project ships, with ids that never change: installing them
/// again updates them in place.
#[must_use]
pub fn builtin_templates(now: DateTime<Utc>) -> Vec<Template> {
    const SHIPPED: [(u128, &str, &str, &str, &str); 3] = [
        (
            0x0193_e000_0000_7000_8000_0000_0000_0001,
            "Draft, review and approve",
            "A writer drafts, a reviewer reviews, a person approves; the approved draft is published, a rejected one revised.",
            "review",
            include_str!("builtin/review_loop.json"),
        ),
        (
            0x0193_e000_0000_7000_8000_0000_0000_0002,
            "Research in parallel",
            "A lead splits a question in three, researchers and an analyst work on the parts at once, the lead writes the answer from theirs.",
            "research",
            include_str!("builtin/research_fan_out.json"),
        ),
        (
            0x0193_e000_0000_7000_8000_0000_0000_0003,
            "Triage and route",
            "A triager classifies a request; bugs go to an engineer, features to product, the rest to support.",
            "support",
            include_str!("builtin/triage_route.json"),
        ),
    ];
    SHIPPED
        .iter()
        .map(|&(id, name, description, category, definition)| Template {
            record: Revisioned {
                id: TemplateId(uuid::Uuid::from_u128(id)),
                draft: TemplateDraft {
                    name: name.to_owned(),
                    description: description.to_owned(),
                    category: category.to_owned(),
                    definition: serde_json::from_str(definition)
                        .unwrap_or_else(|_| unreachable!("a test parses every built-in")),
                },
                revision: 1,
                created_at: now,
                updated_at: now,
            },
            is_builtin: true,
            creator_id: None,
            usage_count: 0,
            shipped: None,
        })
        .collect()
}
