//! One changed field with its values before and after: the payload of
//! `task_updated`, and each entry of a registry change's `changes`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::shape::described_struct;

described_struct! {
    /// One field that changed, with its values as JSON.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct FieldChange as "FieldChangePayload" {
        pub field: String,
        pub from: Value,
        pub to: Value,
    }
}

impl FieldChange {
    #[must_use]
    pub fn new(field: &str, from: Value, to: Value) -> Self {
        Self {
            field: field.to_owned(),
            from,
            to,
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
                (from != to).then_some(Self { field, from, to })
            })
            .collect())
    }
}
