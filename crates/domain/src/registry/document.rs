//! The registry as one JSON document, for `export-assistants` and
//! `import-assistants` (configuration files → database). Names are the keys:
//! importing the same document twice changes nothing the second time, and a
//! document exported from one installation imports into another.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Assistant, AssistantKind, Tool, ToolKind, ToolLink};
use crate::id::{AssistantId, ToolId};

/// The document's format tag; a document with another one is refused.
pub const FORMAT: &str = "agentry.registry/1";

fn default_true() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryDocument {
    pub format: String,
    pub assistants: Vec<AssistantEntry>,
    pub tools: Vec<ToolEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistantEntry {
    pub name: String,
    #[serde(default)]
    pub is_secretary: bool,
    pub model: String,
    #[serde(default)]
    pub instructions: String,
    pub assistant_type: AssistantKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openai_assistant_id: Option<String>,
    #[serde(default = "default_true")]
    pub is_active: bool,
    /// The names of the tools it has.
    #[serde(default)]
    pub tools: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolEntry {
    pub name: String,
    pub tool_type: ToolKind,
    #[serde(default)]
    pub description: String,
    pub input_schema: Value,
    /// For a `sub_assistant` tool: the name of the assistant it delegates to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_assistant: Option<String>,
    #[serde(default = "default_true")]
    pub is_active: bool,
}

/// The registry as stored: what an import is compared against.
#[derive(Clone, Debug, Default)]
pub struct RegistrySnapshot {
    pub assistants: Vec<Assistant>,
    pub tools: Vec<Tool>,
    pub links: Vec<ToolLink>,
}

impl RegistrySnapshot {
    /// The snapshot as a document, everything sorted by name.
    #[must_use]
    pub fn to_document(&self) -> RegistryDocument {
        let assistant_name = |id: AssistantId| {
            self.assistants
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.draft.name.clone())
        };
        let tool_name = |id: ToolId| {
            self.tools
                .iter()
                .find(|t| t.id == id)
                .map(|t| t.draft.name.as_str().to_owned())
        };
        let mut assistants: Vec<AssistantEntry> = self
            .assistants
            .iter()
            .map(|a| {
                let mut tools: Vec<String> = self
                    .links
                    .iter()
                    .filter(|l| l.assistant_id == a.id)
                    .filter_map(|l| tool_name(l.tool_id))
                    .collect();
                tools.sort();
                AssistantEntry {
                    name: a.draft.name.clone(),
                    is_secretary: a.draft.is_secretary,
                    model: a.draft.model.clone(),
                    instructions: a.draft.instructions.clone(),
                    assistant_type: a.draft.assistant_type,
                    openai_assistant_id: a.draft.openai_assistant_id.clone(),
                    is_active: a.draft.is_active,
                    tools,
                }
            })
            .collect();
        assistants.sort_by(|a, b| a.name.cmp(&b.name));
        let mut tools: Vec<ToolEntry> = self
            .tools
            .iter()
            .map(|t| ToolEntry {
                name: t.draft.name.as_str().to_owned(),
                tool_type: t.draft.tool_type,
                description: t.draft.description.clone(),
                input_schema: t.draft.input_schema.clone(),
                sub_assistant: t.draft.assistant_id.and_then(assistant_name),
                is_active: t.draft.is_active,
            })
            .collect();
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        RegistryDocument {
            format: FORMAT.to_owned(),
            assistants,
            tools,
        }
    }
}

/// One thing wrong with a document, at a JSON path such as `$.tools[2].input_schema`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// What an import writes: records to create or to replace (next revision), and
/// links to add. Empty when the registry already matches the document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportPlan {
    pub create_assistants: Vec<Assistant>,
    pub update_assistants: Vec<Assistant>,
    pub create_tools: Vec<Tool>,
    pub update_tools: Vec<Tool>,
    pub add_links: Vec<ToolLink>,
}

impl ImportPlan {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.create_assistants.is_empty()
            && self.update_assistants.is_empty()
            && self.create_tools.is_empty()
            && self.update_tools.is_empty()
            && self.add_links.is_empty()
    }
}

mod plan;
#[cfg(test)]
mod tests;

pub use self::plan::plan_import;
