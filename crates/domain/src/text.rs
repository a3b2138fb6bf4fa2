//! Checks shared by every free-text field.

use crate::{Error, Result};

/// A required, trimmed, non-empty text of at most `max` characters without NUL.
pub(crate) fn required(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::validation(field, "must not be empty"));
    }
    bounded(field, value, max)
}

/// A text of at most `max` characters without NUL (PostgreSQL cannot store it).
pub(crate) fn bounded(field: &str, value: &str, max: usize) -> Result<String> {
    if value.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.contains('\0') {
        return Err(Error::validation(field, "must not contain NUL characters"));
    }
    Ok(value.to_owned())
}

/// Whether a JSON value holds a NUL character anywhere, in a key or a string:
/// PostgreSQL can store neither in `jsonb` nor in `text`.
pub(crate) fn json_has_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}
