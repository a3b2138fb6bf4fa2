//! A JSON string that must be a string. poem-openapi's `String` also accepts a
//! number or a boolean and turns it into text (`5` becomes `"5"`); request fields
//! use this type instead, so a value of the wrong type is a 400 that names it.

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON};
use serde_json::Value;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text(pub String);

/// `impl Type` for a value type that is its own raw value: its name, its schema
/// and, optionally, what it registers.
macro_rules! leaf_type {
    ($ty:ty, $name:expr, $schema:expr $(, register = $register:path)?) => {
        impl poem_openapi::types::Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }

            fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
                $schema
            }

            $(
                fn register(registry: &mut poem_openapi::registry::Registry) {
                    $register(registry);
                }
            )?

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }

            fn raw_element_iter<'a>(
                &'a self,
            ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                Box::new(self.as_raw_value().into_iter())
            }
        }
    };
}
pub(crate) use leaf_type;

leaf_type!(
    Text,
    "string",
    MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))
);

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => Ok(Self(text)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

impl From<Text> for String {
    fn from(text: Text) -> Self {
        text.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
