//! API tokens: secrets shown once, stored only as their digest.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};

use crate::id::{TokenId, UserId};
use crate::{Error, Result};

const PREFIX: &str = "agt_";
const SECRET_BYTES: usize = 32;

/// A bearer token's secret. Shown once at creation, never stored, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(String);

impl TokenSecret {
    /// A new secret of 256 random bits from the operating system.
    ///
    /// # Errors
    /// `Internal` when the operating system has no randomness to give.
    pub fn generate() -> Result<Self> {
        let mut bytes = [0_u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| Error::internal(e.to_string()))?;
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        Ok(Self(format!("{PREFIX}{encoded}")))
    }

    /// Wraps a secret that came from outside (a header, the admin-token setting).
    ///
    /// # Errors
    /// `Validation` when it is too short to be a real secret.
    pub fn from_presented(raw: &str) -> Result<Self> {
        if raw.len() < 16 || raw.len() > 512 {
            return Err(Error::validation("token", "must be 16 to 512 characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 digest under which the token is stored and looked up.
    #[must_use]
    pub fn digest(&self) -> TokenDigest {
        TokenDigest(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl std::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSecret(<redacted>)")
    }
}

/// The hex SHA-256 digest of a token secret. The lookup is by equality on an index,
/// so no secret-dependent comparison happens in process memory.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenDigest(pub String);

/// A stored API token: everything but its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub digest: TokenDigest,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    /// Issues a token for `user_id`, returning it with its one-time secret.
    ///
    /// # Errors
    /// `Validation` for a bad name, `Internal` when randomness fails.
    pub fn issue(user_id: UserId, name: &str, now: DateTime<Utc>) -> Result<(Self, TokenSecret)> {
        let secret = TokenSecret::generate()?;
        let token = Self::with_secret(user_id, name, &secret, now)?;
        Ok((token, secret))
    }

    /// A token record for a secret chosen outside (the configured admin token).
    ///
    /// # Errors
    /// `Validation` for a bad name.
    pub fn with_secret(
        user_id: UserId,
        name: &str,
        secret: &TokenSecret,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        Ok(Self {
            id: TokenId::generate(),
            user_id,
            name: crate::text::required("name", name, 100)?,
            digest: secret.digest(),
            created_at: now,
            revoked_at: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_long_distinct_and_redacted() {
        let a = TokenSecret::generate().unwrap();
        let b = TokenSecret::generate().unwrap();
        assert_ne!(a, b);
        assert!(a.expose().len() >= PREFIX.len() + 43);
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn the_digest_is_stable_and_not_the_secret() {
        let secret = TokenSecret::from_presented("agt_0123456789abcdef").unwrap();
        assert_eq!(secret.digest(), secret.clone().digest());
        assert_eq!(secret.digest().0.len(), 64);
        assert!(!secret.digest().0.contains("0123456789abcdef"));
    }
}
