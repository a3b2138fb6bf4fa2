//! A workflow's definition: the steps a squad runs and the edges between them,
//! as a JSON document with a JSON Schema of its own (`definition/schema.json`,
//! published in the API's spec). A save is checked in two passes, each reporting
//! every problem it finds: the document against the schema, then the rules a
//! schema cannot say (one start, no cycle, which fields each type of node takes,
//! agents that are members of the squad).

mod check;
mod rules;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::SquadMember;
use crate::id::AssistantId;
use crate::vocabulary::vocabulary;
use crate::{Error, Result};

/// The definition's JSON Schema, as published.
pub const SCHEMA_JSON: &str = include_str!("definition/schema.json");

/// [`SCHEMA_JSON`], parsed once.
pub static SCHEMA: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(SCHEMA_JSON).unwrap_or_else(|_| unreachable!("a test parses it"))
});

vocabulary! {
    /// What a step of a workflow does.
    pub enum NodeType("type") {
        Agent = "agent",
        Approval = "approval",
        Condition = "condition",
        Parallel = "parallel",
        Join = "join",
    }
}

vocabulary! {
    /// What happens when a step cannot give its result: the execution fails, or
    /// goes on without it.
    pub enum Fallback("on_failure") {
        Fail = "fail",
        Continue = "continue",
    }
}

/// A checked definition; its fields are those of the schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<Value>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

/// One step. Which of the optional fields it carries depends on its type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    #[serde(rename = "type")]
    pub node_type: NodeType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant_id: Option<AssistantId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<Fallback>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_timeout: Option<Fallback>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_decision: Option<Value>,
}

/// `to` runs after `from`; out of a condition node, only when `when` holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Predicate>,
}

/// A test of a value named by `path`; exactly one test is set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Predicate {
    pub path: String,
    /// `Some(Value::Null)` when the test is `null`: absent and `null` differ.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub equals: Option<Value>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub not_equals: Option<Value>,
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greater_than: Option<serde_json::Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub less_than: Option<serde_json::Number>,
}

/// A field that is present, `null` included (an absent one stays `None`).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// One thing wrong with an input, at a field such as `definition.nodes[2].type`.
pub type Problem = crate::error::FieldProblem;

impl Definition {
    /// The most nodes a definition holds.
    pub const NODES_MAX: usize = 200;
    /// The most edges a definition holds.
    pub const EDGES_MAX: usize = 1_000;
    /// The largest definition, serialized.
    pub const BYTES_MAX: usize = 256 * 1024;
    /// The deepest nesting of arrays and objects (in schemas and decisions too).
    pub const DEPTH_MAX: usize = 32;
    pub const INSTRUCTIONS_MAX: usize = 20_000;
    /// Retries of an agent step that names none.
    pub const DEFAULT_RETRIES: u32 = 2;

    /// Checks `raw` as the definition of a workflow of a squad with `members`.
    ///
    /// # Errors
    /// `Invalid` with every problem found, each naming its field under
    /// `definition`.
    pub fn check(raw: &Value, members: &[SquadMember]) -> Result<Self> {
        check::definition(raw, Some(members)).map_err(Error::Invalid)
    }

    /// Checks `raw` as a template's definition: every rule but membership, as
    /// its roles name members of squads yet to use it.
    ///
    /// # Errors
    /// As [`Definition::check`].
    pub fn check_template(raw: &Value) -> Result<Self> {
        check::definition(raw, None).map_err(Error::Invalid)
    }

    /// The canonical bytes of the definition: what is sealed and digested.
    ///
    /// # Errors
    /// `Internal` if it cannot be serialized (it always can).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(Error::internal)
    }

    /// # Errors
    /// `Internal` when `bytes` are not a definition: what was sealed always is.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(Error::internal)
    }

    /// The node a start of an execution runs first: the one no edge leads to.
    #[must_use]
    pub fn start(&self) -> Option<&Node> {
        self.nodes
            .iter()
            .find(|n| !self.edges.iter().any(|e| e.to == n.id))
    }
}

/// `sha256:<hex>` of a definition's canonical bytes: names a version's content
/// in events without showing it.
#[must_use]
pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}
