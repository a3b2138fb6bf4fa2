//! Who is calling a use case: every context checks what the caller may do.

use crate::id::UserId;
use crate::{Error, Result};

/// The authenticated caller of a use case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub is_admin: bool,
}

impl Principal {
    /// # Errors
    /// `Forbidden` unless the caller is an admin.
    pub fn require_admin(&self) -> Result<()> {
        if self.is_admin {
            Ok(())
        } else {
            Err(Error::Forbidden("only an admin may do this".into()))
        }
    }
}
