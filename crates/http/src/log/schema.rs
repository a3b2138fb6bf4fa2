//! How the spec describes an event's `type` and `payload`, and the types a client
//! may post, from the domain's catalog of kinds: nothing here changes when a kind
//! is added.
//!
//! `type` is a string: one of the `EventType` names or, from a newer server
//! sharing the database, a name this one does not know; `payload` is the shape of its type
//! (`anyOf` the payload schemas, the type says which) or, for an unknown type,
//! whatever object was stored. Clients must tolerate both.

use agentry_domain::catalog;
use agentry_domain::event::Kinds as _;
use agentry_domain::log::ChatEvent;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON};
use serde_json::Value;

use crate::common::schema::schema_ref;
use crate::common::text::leaf_type;

/// The schema listing every event type this server knows.
pub const EVENT_TYPE: &str = "EventType";
/// The schema of a payload of a type this server does not know.
const OTHER_PAYLOAD: &str = "OtherPayload";
/// The schema of the types a client may post.
const POSTABLE_TYPE: &str = "PostableType";

/// An event's type name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct EventTypeName(pub String);

/// The `types` of a feed: `EventType` names, the parameter repeated or its values
/// separated by commas. Checked by the feed itself (422 for a type this server
/// does not know).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventTypes(pub Vec<String>);

/// A type a client may post: one of the log's own kinds (`ChatEvent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostableType(pub String);

/// An event's payload, as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct EventPayload(pub Value);

struct FromCatalog;

fn register_types(registry: &mut Registry) {
    registry.create_schema::<FromCatalog, _>(EVENT_TYPE.to_owned(), |_| MetaSchema {
        description: Some("Every event type this server version knows."),
        enum_items: catalog::kinds().map(|k| Value::from(k.type_name)).collect(),
        ..MetaSchema::new("string")
    });
}

/// The payload schema of every known kind, each once, then the catch-all.
fn payload_refs(registry: &mut Registry) -> Vec<MetaSchemaRef> {
    let mut refs: Vec<MetaSchemaRef> = Vec::new();
    for kind in catalog::kinds() {
        let schema = schema_ref(registry, &(kind.payload)());
        if !refs.contains(&schema) {
            refs.push(schema);
        }
    }
    registry.create_schema::<FromCatalog, _>(OTHER_PAYLOAD.to_owned(), |_| MetaSchema {
        description: Some("The payload of a type this server version does not know, as stored."),
        additional_properties: Some(Box::new(MetaSchemaRef::Inline(Box::new(MetaSchema::ANY)))),
        ..MetaSchema::new("object")
    });
    refs.push(MetaSchemaRef::Reference(OTHER_PAYLOAD.to_owned()));
    refs
}

leaf_type!(
    EventTypeName,
    "EventTypeName",
    // A plain string, not an enum: a client must accept types it does not know.
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        description: Some(
            "One of `EventType`, or a type written by a newer server version sharing the database."
        ),
        ..MetaSchema::new("string")
    })),
    register = register_types
);

fn register_postable(registry: &mut Registry) {
    registry.create_schema::<FromCatalog, _>(POSTABLE_TYPE.to_owned(), |_| MetaSchema {
        description: Some("The event types a client may post."),
        enum_items: ChatEvent::SPECS
            .iter()
            .map(|k| Value::from(k.type_name))
            .collect(),
        ..MetaSchema::new("string")
    });
}

leaf_type!(
    PostableType,
    POSTABLE_TYPE,
    MetaSchemaRef::Reference(POSTABLE_TYPE.to_owned()),
    register = register_postable
);

impl ParseFromJSON for PostableType {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(name)) if ChatEvent::SPECS.iter().any(|k| k.type_name == name) => {
                Ok(Self(name))
            }
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for PostableType {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

leaf_type!(
    EventTypes,
    "EventTypes",
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        items: Some(Box::new(MetaSchemaRef::Reference(EVENT_TYPE.to_owned()))),
        ..MetaSchema::new("array")
    })),
    register = register_types
);

impl ParseFromParameter for EventTypes {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::parse_from_parameters([value])
    }

    fn parse_from_parameters<I: IntoIterator<Item = A>, A: AsRef<str>>(
        values: I,
    ) -> ParseResult<Self> {
        Ok(Self(
            values
                .into_iter()
                .flat_map(|v| {
                    v.as_ref()
                        .split(',')
                        .map(|t| t.trim().to_owned())
                        .collect::<Vec<_>>()
                })
                .filter(|t| !t.is_empty())
                .collect(),
        ))
    }
}

impl ToJSON for EventTypes {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.0.clone()))
    }
}

fn register_payloads(registry: &mut Registry) {
    payload_refs(registry);
}

leaf_type!(
    EventPayload,
    "EventPayload",
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        description: Some("The payload of the event's `type`: one of these shapes."),
        any_of: payload_refs(&mut Registry::new()),
        ..MetaSchema::ANY
    })),
    register = register_payloads
);

impl ToJSON for EventTypeName {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

impl ToJSON for EventPayload {
    fn to_json(&self) -> Option<Value> {
        Some(self.0.clone())
    }
}

// Responses only; parsing exists because poem-openapi's `Object` asks for it.
impl ParseFromJSON for EventTypeName {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(name)) => Ok(Self(name)),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ParseFromJSON for EventPayload {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(object @ Value::Object(_)) => Ok(Self(object)),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

#[cfg(test)]
mod tests {
    use agentry_domain::catalog;
    use agentry_domain::shape::Shape;
    use poem_openapi::registry::{MetaSchemaRef, Registry};
    use poem_openapi::types::Type as _;
    use serde_json::Value;

    use super::{EVENT_TYPE, EventPayload, EventTypeName, OTHER_PAYLOAD};

    /// The spec's type list is the catalog's, and every kind's payload schema is
    /// among the payload shapes, under the name its shape gives.
    #[test]
    fn the_spec_lists_every_known_type_and_its_payload_shape() {
        let mut registry = Registry::new();
        EventTypeName::register(&mut registry);
        EventPayload::register(&mut registry);
        let names: Vec<&str> = registry.schemas[EVENT_TYPE]
            .enum_items
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            names,
            catalog::kinds().map(|k| k.type_name).collect::<Vec<_>>()
        );
        let MetaSchemaRef::Inline(payload) = EventPayload::schema_ref() else {
            panic!("the payload is described inline")
        };
        for kind in catalog::kinds() {
            let Shape::Object(object) = (kind.payload)() else {
                panic!("{} has an object payload", kind.type_name)
            };
            let named = MetaSchemaRef::Reference(object.name.to_owned());
            assert!(payload.any_of.contains(&named), "{}", kind.type_name);
            assert!(registry.schemas.contains_key(object.name));
        }
        assert_eq!(
            payload.any_of.last(),
            Some(&MetaSchemaRef::Reference(OTHER_PAYLOAD.to_owned()))
        );
    }
}
