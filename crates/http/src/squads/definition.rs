//! A workflow definition on the wire: any JSON in a request (the domain checks
//! it and reports every problem with a 422), published under the definition's
//! own JSON Schema.

use poem_openapi::registry::MetaSchemaRef;
use poem_openapi::types::{ParseFromJSON, ParseResult, ToJSON};
use serde_json::Value;

use crate::common::text::leaf_type;

/// A workflow definition (`WorkflowDefinition` in the spec).
#[derive(Clone, Debug, PartialEq)]
pub struct DefinitionJson(pub Value);

fn register(registry: &mut poem_openapi::registry::Registry) {
    crate::common::json_schema::register(
        registry,
        "WorkflowDefinition",
        &agentry_domain::squads::SCHEMA,
    );
}

leaf_type!(
    DefinitionJson,
    "WorkflowDefinition",
    MetaSchemaRef::Reference("WorkflowDefinition".to_owned()),
    register = register
);

impl ParseFromJSON for DefinitionJson {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        Ok(Self(value.unwrap_or_default()))
    }
}

impl ToJSON for DefinitionJson {
    fn to_json(&self) -> Option<Value> {
        Some(self.0.clone())
    }
}
