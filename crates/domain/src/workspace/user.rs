//! A user: someone (or some agent's service account) who calls the API.

use chrono::{DateTime, Utc};

use crate::caller::Principal;
use crate::id::UserId;

/// Someone who calls the API: a person or an agent's service account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
}

impl User {
    /// # Errors
    /// `Validation` when the name is empty or longer than 100 characters.
    pub fn new(name: &str, is_admin: bool, now: DateTime<Utc>) -> crate::Result<Self> {
        Ok(Self {
            id: UserId::generate(),
            name: crate::text::required("name", name, 100)?,
            is_admin,
            created_at: now,
        })
    }
}

impl From<&User> for Principal {
    fn from(user: &User) -> Self {
        Self {
            user_id: user.id,
            is_admin: user.is_admin,
        }
    }
}
