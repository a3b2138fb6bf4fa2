//! A project and the key its tasks are numbered under.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::ProjectId;
use crate::{Error, Result};

/// A project's task-key prefix such as `TE` in `TE-4`: 2–10 uppercase ASCII letters
/// or digits, starting with a letter, unique across projects.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectKey(String);

impl ProjectKey {
    /// # Errors
    /// `Validation` when the text is not a valid key.
    pub fn parse(raw: &str) -> Result<Self> {
        let key = raw.trim().to_ascii_uppercase();
        let valid = (2..=10).contains(&key.len())
            && key.starts_with(|c: char| c.is_ascii_uppercase())
            && key
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !valid {
            return Err(Error::validation(
                "key",
                "must be 2-10 letters or digits, starting with a letter",
            ));
        }
        Ok(Self(key))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProjectKey {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        Self::parse(&value)
    }
}

impl From<ProjectKey> for String {
    fn from(value: ProjectKey) -> Self {
        value.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub key: ProjectKey,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

impl Project {
    /// # Errors
    /// `Validation` for an empty or overlong name or description, or a bad key.
    pub fn new(name: &str, key: &str, description: &str, now: DateTime<Utc>) -> Result<Self> {
        Ok(Self {
            id: ProjectId::generate(),
            name: crate::text::required("name", name, 200)?,
            key: ProjectKey::parse(key)?,
            description: crate::text::bounded("description", description, 10_000)?,
            created_at: now,
        })
    }

    /// The human-readable key of this project's task `number`, such as `TE-4`.
    #[must_use]
    pub fn task_key(&self, number: i64) -> String {
        format!("{}-{number}", self.key.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_uppercased_and_checked() {
        assert_eq!(ProjectKey::parse("te").unwrap().as_str(), "TE");
        for bad in ["T", "1TE", "TE-1", "ABCDEFGHIJK", ""] {
            assert!(ProjectKey::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
