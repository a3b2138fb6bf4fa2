//! A tool's input schema must be a JSON Schema a model can be given as function
//! parameters: valid against the JSON Schema meta-schema, and describing an object.

use serde_json::Value;

use crate::{Error, Result};

/// The largest schema accepted, serialized.
const MAX_BYTES: usize = 64 * 1024;

/// # Errors
/// `Validation` on `input_schema` saying what is wrong, with its JSON pointer.
pub fn check_input_schema(schema: &Value) -> Result<()> {
    let invalid = |message: String| Error::validation("input_schema", message);
    let Value::Object(object) = schema else {
        return Err(invalid("must be a JSON Schema object".into()));
    };
    if serde_json::to_string(schema).map_or(true, |s| s.len() > MAX_BYTES) {
        return Err(invalid(format!("must be at most {MAX_BYTES} bytes")));
    }
    if crate::text::json_has_nul(schema) {
        return Err(invalid("must not contain NUL characters".into()));
    }
    if let Err(e) = jsonschema::meta::validate(schema) {
        let at = e.instance_path().to_string();
        let at = if at.is_empty() { "/".to_owned() } else { at };
        return Err(invalid(format!("is not a valid JSON Schema at {at}: {e}")));
    }
    if object.get("type") != Some(&Value::String("object".into())) {
        return Err(invalid(
            "must describe an object (\"type\": \"object\"): a model passes arguments by name"
                .into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::check_input_schema;

    #[test]
    fn an_object_schema_passes() {
        let schema = json!({
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
            "required": ["city"],
            "additionalProperties": false
        });
        assert!(check_input_schema(&schema).is_ok());
    }

    #[test]
    fn broken_schemas_are_refused_with_where() {
        for bad in [
            json!("object"),
            json!({"type": "objekt"}),
            json!({"type": "object", "properties": {"city": {"type": 5}}}),
            json!({"type": "object", "required": "city"}),
            json!({"type": "string"}),
            json!({"properties": {}}),
            json!({"type": "object", "description": "a\u{0}b"}),
        ] {
            let err = check_input_schema(&bad).unwrap_err();
            assert!(err.to_string().contains("input_schema"), "{bad}: {err}");
        }
    }
}
