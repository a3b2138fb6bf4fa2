//! Finding `@handle` mentions in a message's text.

use crate::workspace::Handle;

/// The distinct `@handle`s in `content`, in order of first appearance.
///
/// An `@` counts only at the start or after a character that cannot be part of a
/// handle, so `someone@example.com` mentions nobody.
#[must_use]
pub fn parse_mentions(content: &str) -> Vec<Handle> {
    let mut handles: Vec<Handle> = Vec::new();
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
            && !handles.contains(&handle)
        {
            handles.push(handle);
        }
    }
    handles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(content: &str) -> Vec<String> {
        parse_mentions(content)
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
}
