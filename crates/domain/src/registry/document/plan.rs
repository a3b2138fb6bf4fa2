//! Planning an import: the whole document checked against itself and the stored
//! registry, every problem reported with its JSON path, and the writes it implies.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{AssistantEntry, FORMAT, ImportPlan, Problem, RegistrySnapshot, ToolEntry};
use crate::id::{AssistantId, ToolId};
use crate::registry::{
    Assistant, AssistantDraft, Delegation, Draft as _, Tool, ToolDraft, ToolLink, ToolName,
    find_cycle,
};

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
