//! The registry as one JSON document, for `export-assistants` and
//! `import-assistants` (seed 001 stage 2: configuration files → database). Names
//! are the keys: importing the same document twice changes nothing the second
//! time, and a document exported from one installation imports into another.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    Assistant, AssistantDraft, AssistantKind, Delegation, Draft as _, Tool, ToolDraft, ToolKind,
    ToolLink, ToolName, find_cycle,
};
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

/// Checks a whole document against itself and the stored registry and plans the
/// writes; every problem is reported, not only the first.
///
/// # Errors
/// Every problem found, each with its JSON path.
pub fn plan_import(
    document: &Value,
    stored: &RegistrySnapshot,
    now: DateTime<Utc>,
) -> Result<ImportPlan, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut problem = |path: String, message: String| problems.push(Problem { path, message });
    if document.get("format").and_then(Value::as_str) != Some(FORMAT) {
        problem("$.format".into(), format!("must be {FORMAT:?}"));
    }
    let entries = |key: &str| document.get(key).and_then(Value::as_array).cloned();
    let (Some(raw_assistants), Some(raw_tools)) = (entries("assistants"), entries("tools")) else {
        problem(
            "$".into(),
            "must have arrays \"assistants\" and \"tools\"".into(),
        );
        return Err(problems);
    };
    if let Some(object) = document.as_object() {
        for key in object
            .keys()
            .filter(|k| !["format", "assistants", "tools"].contains(&k.as_str()))
        {
            problem(format!("$.{key}"), "is not a field of the document".into());
        }
    }

    // Assistants: shape, rules, duplicates; ids kept for names already stored.
    let mut assistants: BTreeMap<String, (Assistant, Vec<String>, String)> = BTreeMap::new();
    for (i, raw) in raw_assistants.into_iter().enumerate() {
        let path = format!("$.assistants[{i}]");
        let entry: AssistantEntry = match serde_json::from_value(raw) {
            Ok(entry) => entry,
            Err(e) => {
                problem(path, e.to_string());
                continue;
            }
        };
        let draft = AssistantDraft {
            name: entry.name.clone(),
            is_secretary: entry.is_secretary,
            model: entry.model,
            instructions: entry.instructions,
            assistant_type: entry.assistant_type,
            openai_assistant_id: entry.openai_assistant_id,
            is_active: entry.is_active,
        };
        let draft = match draft.check() {
            Ok(draft) => draft,
            Err(e) => {
                problem(format!("{path}.{}", field_of(&e)), e.to_string());
                continue;
            }
        };
        if assistants.contains_key(&draft.name) {
            problem(
                format!("{path}.name"),
                format!("{:?} appears twice", draft.name),
            );
            continue;
        }
        let record = match stored
            .assistants
            .iter()
            .find(|a| a.draft.name == draft.name)
        {
            Some(current) => current.revise(draft.clone(), now).map(|(next, _)| next),
            None => Assistant::new(AssistantId::generate(), draft.clone(), now),
        };
        match record {
            Ok(record) => {
                assistants.insert(draft.name.clone(), (record, entry.tools, path));
            }
            Err(e) => problem(path, e.to_string()),
        }
    }
    let secretaries: Vec<&String> = assistants
        .iter()
        .filter(|(_, (a, _, _))| a.is_active_secretary())
        .map(|(name, _)| name)
        .chain(
            stored
                .assistants
                .iter()
                .filter(|a| a.is_active_secretary() && !assistants.contains_key(&a.draft.name))
                .map(|a| &a.draft.name),
        )
        .collect();
    if secretaries.len() > 1 {
        problem(
            "$.assistants".into(),
            format!("at most one active secretary, found {secretaries:?}"),
        );
    }
    let assistant_id = |name: &str| {
        assistants.get(name).map(|(a, _, _)| a.id).or_else(|| {
            stored
                .assistants
                .iter()
                .find(|a| a.draft.name == name)
                .map(|a| a.id)
        })
    };

    // Tools: shape, schema, duplicates, the sub-assistant they name.
    let mut tools: BTreeMap<String, Tool> = BTreeMap::new();
    for (i, raw) in raw_tools.into_iter().enumerate() {
        let path = format!("$.tools[{i}]");
        let entry: ToolEntry = match serde_json::from_value(raw) {
            Ok(entry) => entry,
            Err(e) => {
                problem(path, e.to_string());
                continue;
            }
        };
        let name = match ToolName::parse(&entry.name) {
            Ok(name) => name,
            Err(e) => {
                problem(format!("{path}.name"), e.to_string());
                continue;
            }
        };
        let delegate = match &entry.sub_assistant {
            Some(sub) => match assistant_id(sub) {
                Some(id) => Some(id),
                None => {
                    problem(
                        format!("{path}.sub_assistant"),
                        format!("no assistant named {sub:?}"),
                    );
                    continue;
                }
            },
            None => None,
        };
        let draft = ToolDraft {
            name: name.clone(),
            tool_type: entry.tool_type,
            description: entry.description,
            input_schema: entry.input_schema,
            assistant_id: delegate,
            is_active: entry.is_active,
        };
        let draft = match draft.check() {
            Ok(draft) => draft,
            Err(e) => {
                let field = field_of(&e);
                let field = if field == "assistant_id" {
                    "sub_assistant"
                } else {
                    field
                };
                problem(format!("{path}.{field}"), e.to_string());
                continue;
            }
        };
        if tools.contains_key(name.as_str()) {
            problem(
                format!("{path}.name"),
                format!("{:?} appears twice", name.as_str()),
            );
            continue;
        }
        let record = match stored.tools.iter().find(|t| t.draft.name == name) {
            Some(current) => current.revise(draft, now).map(|(next, _)| next),
            None => Tool::new(ToolId::generate(), draft, now),
        };
        match record {
            Ok(record) => {
                tools.insert(name.as_str().to_owned(), record);
            }
            Err(e) => problem(path, e.to_string()),
        }
    }
    let tool = |name: &str| {
        tools.get(name).cloned().or_else(|| {
            stored
                .tools
                .iter()
                .find(|t| t.draft.name.as_str() == name)
                .cloned()
        })
    };

    // Links: references, duplicates, and the delegation graph they make.
    let mut add_links = Vec::new();
    for (assistant, names, path) in assistants.values() {
        let mut seen = BTreeSet::new();
        for (j, name) in names.iter().enumerate() {
            let at = format!("{path}.tools[{j}]");
            if !seen.insert(name) {
                problem(at, format!("{name:?} appears twice"));
                continue;
            }
            let Some(tool) = tool(name) else {
                problem(at, format!("no tool named {name:?}"));
                continue;
            };
            let linked = stored
                .links
                .iter()
                .any(|l| l.assistant_id == assistant.id && l.tool_id == tool.id);
            if !linked {
                add_links.push(ToolLink::new(assistant.id, &tool, now));
            }
        }
    }
    let delegations = |links: &mut dyn Iterator<Item = (AssistantId, ToolId)>| -> Vec<Delegation> {
        links
            .filter_map(|(from, tool_id)| {
                let to = tools
                    .values()
                    .find(|t| t.id == tool_id)
                    .or_else(|| stored.tools.iter().find(|t| t.id == tool_id))?
                    .draft
                    .assistant_id?;
                Some(Delegation { from, to })
            })
            .collect()
    };
    let existing = delegations(&mut stored.links.iter().map(|l| (l.assistant_id, l.tool_id)));
    let added = delegations(&mut add_links.iter().map(|l| (l.assistant_id, l.tool_id)));
    if let Some(cycle) = find_cycle(&existing, &added) {
        let names: Vec<String> = cycle
            .iter()
            .map(|id| {
                assistants
                    .values()
                    .map(|(a, _, _)| a)
                    .chain(&stored.assistants)
                    .find(|a| a.id == *id)
                    .map_or_else(|| id.to_string(), |a| a.draft.name.clone())
            })
            .collect();
        problem(
            "$.assistants".into(),
            format!("sub-assistants would form a loop: {}", names.join(" → ")),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut plan = ImportPlan {
        add_links,
        ..ImportPlan::default()
    };
    for (assistant, _, _) in assistants.into_values() {
        match stored.assistants.iter().find(|a| a.id == assistant.id) {
            None => plan.create_assistants.push(assistant),
            Some(current) if current.revision != assistant.revision => {
                plan.update_assistants.push(assistant);
            }
            Some(_) => {}
        }
    }
    for tool in tools.into_values() {
        match stored.tools.iter().find(|t| t.id == tool.id) {
            None => plan.create_tools.push(tool),
            Some(current) if current.revision != tool.revision => plan.update_tools.push(tool),
            Some(_) => {}
        }
    }
    Ok(plan)
}

fn field_of(error: &crate::Error) -> &str {
    match error {
        crate::Error::Validation { field, .. } => field,
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::{RegistrySnapshot, plan_import};

    fn document() -> serde_json::Value {
        json!({
            "format": "agentry.registry/1",
            "assistants": [
                {"name": "Secretary", "is_secretary": true, "model": "gpt-4o", "assistant_type": "llm",
                 "tools": ["get_weather", "ask_planner"]},
                {"name": "Planner", "model": "gpt-4o", "assistant_type": "llm", "tools": ["get_weather"]}
            ],
            "tools": [
                {"name": "get_weather", "tool_type": "weather", "input_schema": {"type": "object"}},
                {"name": "ask_planner", "tool_type": "sub_assistant", "sub_assistant": "Planner",
                 "input_schema": {"type": "object"}}
            ]
        })
    }

    #[test]
    fn a_sound_document_plans_every_record_and_link() {
        let plan = plan_import(&document(), &RegistrySnapshot::default(), Utc::now()).unwrap();
        assert_eq!(
            (
                plan.create_assistants.len(),
                plan.create_tools.len(),
                plan.add_links.len()
            ),
            (2, 2, 3)
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let mut doc = document();
        doc["assistants"][1]["model"] = json!("");
        doc["assistants"][0]["tools"][1] = json!("ask_nobody");
        doc["tools"][0]["input_schema"] = json!({"type": "objekt"});
        doc["tools"][1]["sub_assistant"] = json!("Ghost");
        doc["assistants"].as_array_mut().unwrap().push(json!(
            {"name": "Secretary", "model": "m", "assistant_type": "llm"}));
        let problems = plan_import(&doc, &RegistrySnapshot::default(), Utc::now()).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        for expected in [
            "$.assistants[1].model",
            "$.assistants[2].name",
            "$.tools[0].input_schema",
            "$.tools[1].sub_assistant",
            "$.assistants[0].tools[1]",
        ] {
            assert!(
                paths.contains(&expected),
                "{expected} missing from {problems:?}"
            );
        }
    }

    #[test]
    fn a_loop_between_assistants_is_a_problem() {
        let mut doc = document();
        doc["tools"].as_array_mut().unwrap().push(json!(
            {"name": "ask_secretary", "tool_type": "sub_assistant", "sub_assistant": "Secretary",
             "input_schema": {"type": "object"}}));
        doc["assistants"][1]["tools"] = json!(["ask_secretary"]);
        let problems = plan_import(&doc, &RegistrySnapshot::default(), Utc::now()).unwrap_err();
        assert!(
            problems.iter().any(|p| p.message.contains("loop")),
            "{problems:?}"
        );
    }
}
