//! Conditional writes: every versioned record is sent with its version as the
//! `ETag`; a write that sends it back in `If-Match` happens only if nobody changed
//! the record since (412 `stale-version` otherwise). Without `If-Match` a write
//! applies to the current version, re-applied if it loses a race.

use super::problem::{ApiResult, bad_request};

/// The `ETag` of a version.
#[must_use]
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version named by an `If-Match` header: `"3"`, `W/"3"` or `3`; `*` names none.
///
/// # Errors
/// 400 for anything else.
pub fn expected_version(if_match: Option<&str>) -> ApiResult<Option<i64>> {
    let Some(raw) = if_match.map(str::trim) else {
        return Ok(None);
    };
    if raw == "*" {
        return Ok(None);
    }
    let tag = raw.strip_prefix("W/").unwrap_or(raw).trim_matches('"');
    tag.parse::<i64>().map(Some).map_err(|_| {
        bad_request(
            "If-Match",
            "must be an ETag this API returned, such as \"3\"",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::expected_version;

    #[test]
    fn if_match_accepts_strong_weak_and_bare_tags() {
        assert_eq!(expected_version(Some("\"3\"")).unwrap(), Some(3));
        assert_eq!(expected_version(Some("W/\"4\"")).unwrap(), Some(4));
        assert_eq!(expected_version(Some("5")).unwrap(), Some(5));
        assert_eq!(expected_version(Some("*")).unwrap(), None);
        assert_eq!(expected_version(None).unwrap(), None);
        assert!(expected_version(Some("\"abc\"")).is_err());
    }
}
