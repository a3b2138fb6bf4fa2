//! One changed field with its values before and after: the payload of
//! `task_updated`, and each entry of a registry change's `changes`.
//!
//! A value longer than [`FieldChange::INLINE_MAX`] bytes of JSON (a long
//! description or instructions) is recorded by its digest and length,
//! `{"sha256": "…", "bytes": n}`, so that an edit of any text fits an event; the
//! record itself holds the text.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::shape::described_struct;

described_struct! {
    /// One field that changed, with its values as JSON; a long value as
    /// `{"sha256", "bytes"}` of its JSON text.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct FieldChange as "FieldChangePayload" {
        pub field: String,
        pub from: Value,
        pub to: Value,
    }
}

impl FieldChange {
    /// The longest value, as JSON text, that a change records as it is.
    pub const INLINE_MAX: usize = 4096;

    #[must_use]
    pub fn new(field: &str, from: Value, to: Value) -> Self {
        Self {
            field: field.to_owned(),
            from: recorded(from),
            to: recorded(to),
        }
    }

    /// The fields whose serialized values differ between two versions of a record.
    ///
    /// # Errors
    /// `Internal` when a version does not serialize to a JSON object.
    pub fn between<T: Serialize>(before: &T, after: &T) -> crate::Result<Vec<Self>> {
        let as_object = |v: &T| match serde_json::to_value(v) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(crate::Error::internal("a record is not a JSON object")),
        };
        let (before, after) = (as_object(before)?, as_object(after)?);
        Ok(after
            .into_iter()
            .filter_map(|(field, to)| {
                let from = before.get(&field).cloned().unwrap_or(Value::Null);
                (from != to).then(|| Self::new(&field, from, to))
            })
            .collect())
    }
}

/// The value itself, or its digest and length when it is too long to record.
fn recorded(value: Value) -> Value {
    let text = value.to_string();
    if text.len() <= FieldChange::INLINE_MAX {
        return value;
    }
    json!({"sha256": hex::encode(Sha256::digest(text.as_bytes())), "bytes": text.len()})
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::FieldChange;

    #[test]
    fn a_long_value_is_recorded_by_its_digest_and_length() {
        let short = "x".repeat(FieldChange::INLINE_MAX - 2);
        let long = "y".repeat(100_000);
        let change = FieldChange::new("description", json!(short), json!(long));
        assert_eq!(change.from, json!(short));
        assert_eq!(change.to["bytes"], 100_002);
        assert_eq!(change.to["sha256"].as_str().map(str::len), Some(64));
        let payload = serde_json::to_vec(&change).unwrap();
        assert!(payload.len() < 2 * FieldChange::INLINE_MAX);
    }
}
