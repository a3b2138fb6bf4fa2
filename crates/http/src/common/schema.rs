//! OpenAPI schemas from the domain's own descriptions ([`Shape`]): vocabularies
//! become named enums, payloads named objects, so a schema cannot drift from the
//! type it describes.

use agentry_domain::shape::{Object, Shape};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use serde_json::Value;

/// The owner poem-openapi records for every schema registered from a shape: one
/// name, one schema, whichever place registers it first.
struct FromShape;

/// The schema of `shape`, registering the named schemas it uses.
pub fn schema_ref(registry: &mut Registry, shape: &Shape) -> MetaSchemaRef {
    let inline = |schema| MetaSchemaRef::Inline(Box::new(schema));
    match shape {
        Shape::String => inline(MetaSchema::new("string")),
        Shape::Uuid => inline(MetaSchema::new_with_format("string", "uuid")),
        Shape::Boolean => inline(MetaSchema::new("boolean")),
        Shape::Integer => inline(MetaSchema::new_with_format("integer", "int64")),
        Shape::Any => inline(MetaSchema::ANY),
        Shape::List(item) => inline(MetaSchema {
            items: Some(Box::new(schema_ref(registry, item))),
            ..MetaSchema::new("array")
        }),
        Shape::Enum { name, values } => {
            registry.create_schema::<FromShape, _>((*name).to_owned(), |_| MetaSchema {
                enum_items: values.iter().map(|v| Value::from(*v)).collect(),
                ..MetaSchema::new("string")
            });
            MetaSchemaRef::Reference((*name).to_owned())
        }
        Shape::Object(object) => {
            registry.create_schema::<FromShape, _>(object.name.to_owned(), |registry| {
                object_schema(registry, object)
            });
            MetaSchemaRef::Reference(object.name.to_owned())
        }
    }
}

fn object_schema(registry: &mut Registry, object: &Object) -> MetaSchema {
    let properties = object
        .fields
        .iter()
        .map(|field| {
            let schema = match schema_ref(registry, &field.shape) {
                // A description beside a `$ref` would need an `allOf` wrapper, which
                // client generators mishandle: a referenced schema describes itself.
                MetaSchemaRef::Inline(schema) if !field.description.is_empty() => {
                    MetaSchemaRef::Inline(Box::new(MetaSchema {
                        description: Some(field.description),
                        ..*schema
                    }))
                }
                other => other,
            };
            (field.name, schema)
        })
        .collect();
    MetaSchema {
        description: (!object.description.is_empty()).then_some(object.description),
        required: object
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name)
            .collect(),
        properties,
        ..MetaSchema::new("object")
    }
}
