//! A domain vocabulary (status, priority, kind…) as an API enum. The names, the
//! schema and the parsing all come from the domain's declaration, so an enum is
//! spelled once, in the domain.

use std::borrow::Cow;

use agentry_domain::shape::Described;
use agentry_domain::vocabulary::Vocabulary;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{
    ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
};
use serde_json::Value;

/// The wire form of a domain vocabulary value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wire<T>(pub T);

impl<T: Vocabulary + Described> Type for Wire<T> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        T::NAME.into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Reference(T::NAME.to_owned())
    }

    fn register(registry: &mut Registry) {
        super::schema::schema_ref(registry, &T::shape());
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl<T: Vocabulary + Described> ParseFromJSON for Wire<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(raw)) => Self::parse_from_parameter(&raw),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl<T: Vocabulary + Described> ParseFromParameter for Wire<T> {
    fn parse_from_parameter(raw: &str) -> ParseResult<Self> {
        T::parse(raw)
            .map(Wire)
            .map_err(|_| ParseError::custom(format!("must be one of {}", T::NAMES.join(", "))))
    }
}

impl<T: Vocabulary + Described> ToJSON for Wire<T> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.0.as_str()))
    }
}

impl<T: Vocabulary> serde::Serialize for Wire<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_str())
    }
}

impl<T> From<T> for Wire<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}
