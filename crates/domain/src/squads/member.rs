//! A squad's member: an assistant of the registry, with its role in the squad.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AssistantId, SquadId};
use crate::{Error, Result};

/// An assistant in a squad, under a role that workflow steps name it by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SquadMember {
    pub squad_id: SquadId,
    pub assistant_id: AssistantId,
    pub role: String,
    pub added_at: DateTime<Utc>,
}

impl SquadMember {
    pub const DEFAULT_ROLE: &'static str = "member";
    pub const ROLE_MAX: usize = 50;
    /// The most members a squad holds.
    pub const PER_SQUAD_MAX: usize = 50;

    /// # Errors
    /// `Validation` on `role`: 1–50 of lowercase letters, digits, `_` and `-`.
    pub fn new(
        squad_id: SquadId,
        assistant_id: AssistantId,
        role: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let role = role.map_or(Self::DEFAULT_ROLE, str::trim);
        if role.is_empty()
            || role.len() > Self::ROLE_MAX
            || !role
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return Err(Error::validation(
                "role",
                format!(
                    "must be 1-{} lowercase letters, digits, '_' or '-'",
                    Self::ROLE_MAX
                ),
            ));
        }
        Ok(Self {
            squad_id,
            assistant_id,
            role: role.to_owned(),
            added_at: now,
        })
    }
}
