//! The keys workflow definitions are sealed with: AES-256-GCM keys from
//! `AGENTRY_WORKFLOW_KEYS` (`key_id:base64` pairs, comma-separated; the first
//! one seals, every one opens), and the domain's sealer built on them.
//!
//! A definition is deflated before it is sealed: JSON of many similar steps
//! shrinks about eightfold, and each save writes it twice (its version and
//! its workflow's copy). Only the owner writes a definition, so its sealed
//! length tells nobody else anything they could steer.

use std::str::FromStr;

use aes_gcm::aead::{Aead as _, AeadCore as _, KeyInit as _, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use agentry_domain::squads::{NO_KEY, Sealed, Sealer};
use agentry_domain::{Error, Result};
use base64::Engine as _;

/// Fast, and most of the gain on JSON.
const DEFLATE_LEVEL: u8 = 3;
/// Far above the largest definition (256 KiB).
const INFLATED_MAX: usize = 4 << 20;

/// The configured keys, in order. `Debug` never prints them.
#[derive(Clone)]
pub struct WorkflowKeys {
    keys: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for WorkflowKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "WorkflowKeys({})", ids.join(", "))
    }
}

impl FromStr for WorkflowKeys {
    type Err = String;

    /// `k2:<base64 of 32 bytes>,k1:<…>`. A malformed value is refused whole,
    /// naming the key id but never the key.
    fn from_str(raw: &str) -> std::result::Result<Self, Self::Err> {
        let mut keys: Vec<(String, Aes256Gcm)> = Vec::new();
        for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, secret) = pair
                .split_once(':')
                .ok_or("each key is key_id:base64 (e.g. k1:$(head -c32 /dev/urandom | base64))")?;
            if id.is_empty()
                || id.len() > 64
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(format!(
                    "key id '{id}' must be 1-64 letters, digits, '_' or '-'"
                ));
            }
            if keys.iter().any(|(known, _)| known == id) {
                return Err(format!("key id '{id}' is given twice"));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(secret.trim())
                .map_err(|_| format!("key '{id}' is not base64"))?;
            if bytes.len() != 32 {
                return Err(format!(
                    "key '{id}' is {} bytes; AES-256 takes 32",
                    bytes.len()
                ));
            }
            let cipher = Aes256Gcm::new_from_slice(&bytes)
                .map_err(|_| format!("key '{id}' is not an AES-256 key"))?;
            keys.push((id.to_owned(), cipher));
        }
        if keys.is_empty() {
            return Err("no key given".into());
        }
        Ok(Self { keys })
    }
}

/// The keys `AGENTRY_WORKFLOW_KEYS` (or `--workflow-keys`) configures, if any.
/// Parsed here rather than by the flag parser, whose error would print the
/// whole value, keys included.
///
/// # Errors
/// What is wrong with the value, naming key ids but never a key.
pub(crate) fn configured(raw: Option<&crate::Secret>) -> anyhow::Result<Option<WorkflowKeys>> {
    raw.map(|raw| raw.0.parse::<WorkflowKeys>())
        .transpose()
        .map_err(|why| anyhow::anyhow!("AGENTRY_WORKFLOW_KEYS: {why}"))
}

impl Sealer for WorkflowKeys {
    fn seal(&self, plaintext: &[u8], bound_to: &[u8]) -> Result<Sealed> {
        let Some((id, cipher)) = self.keys.first() else {
            return Err(Error::Sealing(NO_KEY.into()));
        };
        let packed = miniz_oxide::deflate::compress_to_vec(plaintext, DEFLATE_LEVEL);
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &packed,
                    aad: bound_to,
                },
            )
            .map_err(|_| Error::Sealing(format!("sealing under key '{id}' failed")))?;
        Ok(Sealed {
            key_id: id.clone(),
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    fn open(&self, sealed: &Sealed, bound_to: &[u8]) -> Result<Vec<u8>> {
        let id = &sealed.key_id;
        let Some((_, cipher)) = self.keys.iter().find(|(known, _)| known == id) else {
            return Err(Error::Sealing(format!(
                "the definition is sealed under key '{id}', which is not configured: add it \
                 to AGENTRY_WORKFLOW_KEYS"
            )));
        };
        let nonce: [u8; 12] = sealed.nonce.as_slice().try_into().map_err(|_| {
            Error::Sealing(format!(
                "the definition sealed under key '{id}' has a damaged nonce"
            ))
        })?;
        let packed = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: bound_to,
                },
            )
            .map_err(|_| {
                Error::Sealing(format!(
                    "the definition sealed under key '{id}' does not open: the key is not the \
                     one it was sealed with, or the stored bytes were altered or moved"
                ))
            })?;
        // Authenticated first: only a holder of the key could have made these
        // bytes, and even so they inflate to no more than any definition.
        miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, INFLATED_MAX).map_err(|_| {
            Error::Sealing(format!(
                "the definition sealed under key '{id}' opens but does not inflate to a definition"
            ))
        })
    }

    fn sealing_key(&self) -> Option<String> {
        self.keys.first().map(|(id, _)| id.clone())
    }
}

#[cfg(test)]
mod tests {
    use agentry_domain::squads::Sealer as _;
    use clap::Parser as _;

    use super::WorkflowKeys;

    const A: &str = "a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const B: &str = "b:Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

    #[test]
    fn a_seal_opens_only_with_its_key_and_its_binding() {
        let keys: WorkflowKeys = A.parse().unwrap();
        let sealed = keys.seal(b"secret plan", b"wf:1").unwrap();
        assert_eq!(sealed.key_id, "a");
        assert!(!sealed.ciphertext.windows(6).any(|w| w == b"secret"));
        assert_eq!(keys.open(&sealed, b"wf:1").unwrap(), b"secret plan");
        // Deflated before sealing: a repetitive definition seals small.
        let steps = br#"{"id": "step", "type": "agent", "role": "writer", "instructions": "go"},"#
            .repeat(100);
        let big = keys.seal(&steps, b"wf:1").unwrap();
        assert!(
            big.ciphertext.len() < steps.len() / 4,
            "{}",
            big.ciphertext.len()
        );
        assert_eq!(keys.open(&big, b"wf:1").unwrap(), steps);
        let moved = keys.open(&sealed, b"wf:2").unwrap_err().to_string();
        assert!(
            moved.contains("'a'") && !moved.contains("secret"),
            "{moved}"
        );
        let mut tampered = sealed.clone();
        tampered.ciphertext[0] ^= 1;
        assert!(keys.open(&tampered, b"wf:1").is_err());
        let other: WorkflowKeys = B.parse().unwrap();
        assert!(
            other
                .open(&sealed, b"wf:1")
                .unwrap_err()
                .to_string()
                .contains("not configured")
        );
        let both: WorkflowKeys = format!("{B},{A}").parse().unwrap();
        assert_eq!(both.open(&sealed, b"wf:1").unwrap(), b"secret plan");
        assert_eq!(both.sealing_key().as_deref(), Some("b"));
        assert_ne!(
            keys.seal(b"x", b"y").unwrap().nonce,
            keys.seal(b"x", b"y").unwrap().nonce
        );
    }

    #[test]
    fn bad_configurations_are_refused_without_echoing_the_key() {
        for bad in ["", "a", "a:!!!", "a:AAAA", &format!("{A},{A}"), "a b:AAAA"] {
            let err = bad.parse::<WorkflowKeys>().unwrap_err();
            assert!(!err.contains("AAEC"), "{err}");
        }
        assert!(!format!("{:?}", A.parse::<WorkflowKeys>().unwrap()).contains("AAEC"));
        // Through the configuration, as a server starts: the error names the
        // problem, never the keys around it.
        let config = crate::ApiConfig::try_parse_from([
            "agentry-api",
            "--workflow-keys",
            &format!("{A},b:short"),
        ])
        .unwrap();
        let err = super::configured(config.workflow_keys.as_ref()).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("'b'") && !text.contains("AAEC") && !text.contains("short"),
            "{text}"
        );
    }
}
