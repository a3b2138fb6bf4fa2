//! A JSON Schema document of the domain's (the workflow definition's), published
//! in the OpenAPI spec: its `$defs` become named components, `#/$defs/X`
//! references point at them. It covers the keywords OpenAPI 3.0 shares with
//! JSON Schema; `additionalProperties: false` has no place in poem's model and is
//! left out (the domain still refuses unknown fields, with a 422).

use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use serde_json::Value;

/// The owner poem-openapi records for schemas registered from a document.
struct FromDocument;

/// Registers `document` as the component `name`, with its `$defs` beside it.
pub fn register(registry: &mut Registry, name: &'static str, document: &'static Value) {
    if let Some(Value::Object(defs)) = document.get("$defs") {
        for (def, schema) in defs {
            registry.create_schema::<FromDocument, _>(def.clone(), |_| convert(schema));
        }
    }
    registry.create_schema::<FromDocument, _>(name.to_owned(), |_| convert(document));
}

fn reference(schema: &'static Value) -> MetaSchemaRef {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(target) => MetaSchemaRef::Reference(target.trim_start_matches("#/$defs/").to_owned()),
        None => MetaSchemaRef::Inline(Box::new(convert(schema))),
    }
}

fn convert(schema: &'static Value) -> MetaSchema {
    let text = |key: &str| schema.get(key).and_then(Value::as_str);
    let count = |key: &str| {
        schema
            .get(key)
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
    };
    let base = match text("type") {
        Some(ty) => MetaSchema::new(ty),
        None => MetaSchema::ANY,
    };
    MetaSchema {
        description: text("description"),
        format: text("format"),
        required: schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default(),
        properties: schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|properties| {
                properties
                    .iter()
                    .map(|(name, property)| (name.as_str(), reference(property)))
                    .collect()
            })
            .unwrap_or_default(),
        items: schema.get("items").map(|items| Box::new(reference(items))),
        enum_items: schema
            .get("enum")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        minimum: schema.get("minimum").and_then(Value::as_f64),
        maximum: schema.get("maximum").and_then(Value::as_f64),
        min_length: count("minLength"),
        max_length: count("maxLength"),
        min_items: count("minItems"),
        max_items: count("maxItems"),
        pattern: text("pattern").map(str::to_owned),
        ..base
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::registry::{MetaSchemaRef, Registry};

    #[test]
    fn the_definition_and_its_parts_become_components_with_references() {
        let mut registry = Registry::new();
        super::register(
            &mut registry,
            "WorkflowDefinition",
            &agentry_domain::squads::SCHEMA,
        );
        let names: Vec<&str> = registry.schemas.keys().map(String::as_str).collect();
        for name in [
            "WorkflowDefinition",
            "WorkflowNode",
            "WorkflowEdge",
            "WorkflowPredicate",
        ] {
            assert!(names.contains(&name), "{names:?}");
        }
        let definition = &registry.schemas["WorkflowDefinition"];
        assert_eq!(definition.required, ["nodes", "edges"]);
        let nodes = &definition
            .properties
            .iter()
            .find(|(n, _)| *n == "nodes")
            .unwrap()
            .1;
        let MetaSchemaRef::Inline(nodes) = nodes else {
            panic!("{nodes:?}")
        };
        assert!(
            matches!(nodes.items.as_deref(), Some(MetaSchemaRef::Reference(r)) if r == "WorkflowNode")
        );
        let node = &registry.schemas["WorkflowNode"];
        let ty = &node
            .properties
            .iter()
            .find(|(n, _)| *n == "type")
            .unwrap()
            .1;
        let MetaSchemaRef::Inline(ty) = ty else {
            panic!()
        };
        assert_eq!(ty.enum_items.len(), 5);
    }
}
