//! Sealing definitions at rest: what the domain asks of a cipher, and what a
//! sealed definition is. The cipher itself (AES-256-GCM, keys from
//! configuration) is an adapter's.

use crate::Result;
use crate::id::WorkflowId;

/// A definition as stored: unreadable without the key `key_id` names, and
/// bound to the one workflow version it was sealed for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// Seals and opens definitions. `bound_to` is authenticated with the
/// ciphertext: opening under any other value fails.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Sealer: Send + Sync {
    /// Seals under the first configured key, with a fresh nonce.
    ///
    /// # Errors
    /// `Sealing` when no key is configured, saying how to configure one.
    fn seal(&self, plaintext: &[u8], bound_to: &[u8]) -> Result<Sealed>;

    /// # Errors
    /// `Sealing` naming the key when it is not configured, or when the bytes do
    /// not open under it (a wrong key, altered bytes, another row's bytes).
    fn open(&self, sealed: &Sealed, bound_to: &[u8]) -> Result<Vec<u8>>;

    /// The key new seals use, if any is configured.
    fn sealing_key(&self) -> Option<String>;
}

/// What a version's ciphertext is bound to: its workflow and version number, so
/// bytes copied to another row do not open.
#[must_use]
pub fn bound_to(workflow: WorkflowId, version: i32) -> Vec<u8> {
    format!("agentry:workflow:{workflow}:version:{version}").into_bytes()
}

/// The sealer of a deployment with no key configured: it refuses to seal or
/// open, and says how to configure a key.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unkeyed;

impl Sealer for Unkeyed {
    fn seal(&self, _plaintext: &[u8], _bound_to: &[u8]) -> Result<Sealed> {
        Err(crate::Error::Sealing(super::NO_KEY.into()))
    }

    fn open(&self, sealed: &Sealed, _bound_to: &[u8]) -> Result<Vec<u8>> {
        Err(crate::Error::Sealing(format!(
            "the definition is sealed under key '{}', which is not configured: add it to \
             AGENTRY_WORKFLOW_KEYS",
            sealed.key_id
        )))
    }

    fn sealing_key(&self) -> Option<String> {
        None
    }
}
