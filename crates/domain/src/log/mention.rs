//! Finding `@handle` mentions in a message's text.

use std::collections::HashSet;

use crate::workspace::Handle;
use crate::{Error, Result};

/// The most members one message may mention.
pub const MAX_MENTIONS: usize = 50;

/// The distinct `@handle`s in `content`, in order of first appearance.
///
/// An `@` counts only at the start or after a character that cannot be part of a
/// handle, so `someone@example.com` mentions nobody.
///
/// # Errors
/// `Validation` on `payload.content` once more than [`MAX_MENTIONS`] distinct
/// handles are found: the scan stops there.
pub fn parse_mentions(content: &str) -> Result<Vec<Handle>> {
    let mut handles: Vec<Handle> = Vec::new();
    let mut seen: HashSet<Handle> = HashSet::new();
    let mut previous: Option<char> = None;
    for (at, c) in content.char_indices() {
        let starts_mention =
            c == '@' && !previous.is_some_and(|p| p.is_alphanumeric() || p == '_' || p == '-');
        previous = Some(c);
        if !starts_mention {
            continue;
        }
        let rest = &content[at + 1..];
        let len = rest
            .char_indices()
            .find(|(_, c)| !Handle::is_handle_char(c.to_ascii_lowercase()))
            .map_or(rest.len(), |(i, _)| i);
        if let Ok(handle) = Handle::parse(&rest[..len])
            && seen.insert(handle.clone())
        {
            if handles.len() == MAX_MENTIONS {
                return Err(too_many());
            }
            handles.push(handle);
        }
    }
    Ok(handles)
}

pub(crate) fn too_many() -> Error {
    Error::validation(
        "payload.mentions",
        format!("a message may mention at most {MAX_MENTIONS} members"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(content: &str) -> Vec<String> {
        parse_mentions(content)
            .unwrap()
            .into_iter()
            .map(|h| h.as_str().to_owned())
            .collect()
    }

    #[test]
    fn mentions_are_found_deduplicated_and_lowercased() {
        assert_eq!(
            names("@coder please ask @Reviewer, then @coder again."),
            ["coder", "reviewer"]
        );
    }

    #[test]
    fn email_addresses_and_bare_at_signs_mention_nobody() {
        assert!(names("mail me@example.com or @ or @1x").is_empty());
    }

    #[test]
    fn a_mention_may_follow_punctuation_and_non_ascii_text() {
        assert_eq!(names("(@qa) привет @dev"), ["qa", "dev"]);
    }

    #[test]
    fn more_distinct_mentions_than_the_limit_are_refused_and_repeats_are_not() {
        let at_limit: String = (0..MAX_MENTIONS).map(|n| format!("@m{n} ")).collect();
        assert_eq!(parse_mentions(&at_limit).unwrap().len(), MAX_MENTIONS);
        let past = format!("{at_limit}@one-more");
        assert!(parse_mentions(&past).is_err());
        let repeated = "@same ".repeat(10_000);
        assert_eq!(parse_mentions(&repeated).unwrap().len(), 1);
    }
}
