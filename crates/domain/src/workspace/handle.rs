//! A member's `@handle`.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A member's `@handle`: unique per project, lowercase, 1–32 characters of
/// `a-z`, `0-9`, `_` and `-`, starting with a letter. Stored without the `@`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Handle(String);

impl Handle {
    pub const MAX_LEN: usize = 32;

    /// Parses a handle, accepting a leading `@` and any letter case.
    ///
    /// # Errors
    /// `Validation` when the text is not a valid handle.
    pub fn parse(raw: &str) -> Result<Self> {
        let raw = raw.trim();
        let raw = raw.strip_prefix('@').unwrap_or(raw).to_ascii_lowercase();
        let valid_start = raw.starts_with(|c: char| c.is_ascii_lowercase());
        let valid_chars = raw.chars().all(Self::is_handle_char);
        if raw.is_empty() || raw.len() > Self::MAX_LEN || !valid_start || !valid_chars {
            return Err(Error::validation(
                "handle",
                "must be 1-32 characters of a-z, 0-9, '_' or '-', starting with a letter",
            ));
        }
        Ok(Self(raw))
    }

    /// A handle made from a display name, for an agent that joins a project
    /// by acting in it: lowercase, every run of other characters one `-`,
    /// `agent-` before a name that starts with no letter, cut to fit; `suffix`
    /// (when above 1) tells apart names that make the same handle.
    #[must_use]
    pub fn from_name(name: &str, suffix: u32) -> Self {
        let mut handle = String::new();
        for c in name.trim().chars().flat_map(char::to_lowercase) {
            if Self::is_handle_char(c) {
                handle.push(c);
            } else if !handle.is_empty() && !handle.ends_with('-') {
                handle.push('-');
            }
        }
        let mut handle = handle.trim_end_matches('-').to_owned();
        if !handle.starts_with(|c: char| c.is_ascii_lowercase()) {
            handle.insert_str(0, "agent-");
        }
        let tail = if suffix > 1 {
            format!("-{suffix}")
        } else {
            String::new()
        };
        handle.truncate(Self::MAX_LEN - tail.len());
        let mut handle = handle.trim_end_matches('-').to_owned();
        handle.push_str(&tail);
        Self(handle)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn is_handle_char(c: char) -> bool {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
    }
}

impl TryFrom<String> for Handle {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        Self::parse(&value)
    }
}

impl From<Handle> for String {
    fn from(value: Handle) -> Self {
        value.0
    }
}

impl crate::shape::Described for Handle {
    fn shape() -> crate::shape::Shape {
        crate::shape::Shape::String
    }
}

impl std::fmt::Display for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "@{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_drops_the_at_sign_and_lowercases() {
        assert_eq!(Handle::parse("@Coder_1").unwrap().as_str(), "coder_1");
    }

    #[test]
    fn a_handle_rejects_bad_shapes() {
        for bad in ["", "@", "1abc", "has space", "ünï", &"a".repeat(33)] {
            assert!(Handle::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_name_makes_a_valid_handle() {
        for (name, suffix, handle) in [
            ("Researcher", 1, "researcher"),
            ("Code Reviewer (v2)", 1, "code-reviewer-v2"),
            ("Writer", 3, "writer-3"),
            ("42 bots", 1, "agent-42-bots"),
            ("!!!", 1, "agent"),
            ("Ünïcode Name", 1, "n-code-name"),
            (&"a".repeat(40), 12, &format!("{}-12", "a".repeat(29))),
        ] {
            let made = super::Handle::from_name(name, suffix);
            assert_eq!(made.as_str(), handle, "{name}");
            assert!(
                super::Handle::parse(made.as_str()).is_ok(),
                "{name}: {made:?}"
            );
        }
    }
}
