//! Resolution: an assistant with its active tools and sub-assistant trees, as a
//! runtime needs it, served from a cache keyed by the registry revision.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::Registry;
use crate::Result;
use crate::caller::Principal;
use crate::id::AssistantId;
use crate::registry::{Assistant, Tool};

/// How deep sub-assistant trees are resolved; the graph is acyclic, this only
/// bounds the answer's size.
const MAX_DEPTH: usize = 8;

/// An assistant with everything a runtime needs to run it: its active tools and,
/// for each sub-assistant tool, the sub-assistant resolved the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedAssistant {
    pub assistant: Assistant,
    pub tools: Vec<ResolvedTool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedTool {
    pub tool: Tool,
    pub sub_assistant: Option<Box<ResolvedAssistant>>,
}

impl ResolvedAssistant {
    /// The tool list in the OpenAI function-calling format.
    #[must_use]
    pub fn openai_tools(&self) -> Vec<Value> {
        self.tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "function": {
                        "name": t.tool.draft.name.as_str(),
                        "description": t.tool.draft.description,
                        "parameters": t.tool.draft.input_schema,
                    }
                })
            })
            .collect()
    }
}

/// Resolved assistants by id, each with the registry revision it was built at.
pub(super) type ResolvedCache = Arc<Mutex<HashMap<AssistantId, (i64, ResolvedAssistant)>>>;

impl Registry {
    /// The assistant with its active tools and sub-assistant trees.
    ///
    /// # Errors
    /// `NotFound` for an unknown assistant.
    ///
    /// Served from the in-process cache while the registry revision is the one the
    /// entry was built at; any registry change, in this process or another, moves
    /// the revision on (see [`super::super::RevisionRepo::known_revision`]).
    pub async fn resolve(&self, who: &Principal, id: AssistantId) -> Result<ResolvedAssistant> {
        let Some(cache) = &self.resolved else {
            let root = self.assistant(who, id).await?;
            return self.resolve_from(root, 0).await;
        };
        // Read before building: a change made meanwhile leaves the entry stale-tagged.
        let revision = self.ports.revisions.known_revision();
        if let Some((built_at, hit)) = lock(cache).get(&id)
            && *built_at == revision
        {
            return Ok(hit.clone());
        }
        let root = self.assistant(who, id).await?;
        let resolved = self.resolve_from(root, 0).await?;
        let mut entries = lock(cache);
        entries.retain(|_, (built_at, _)| *built_at == revision);
        entries.insert(id, (revision, resolved.clone()));
        Ok(resolved)
    }

    async fn resolve_from(&self, assistant: Assistant, depth: usize) -> Result<ResolvedAssistant> {
        let mut tools = Vec::new();
        for (link, tool) in self.ports.links.tool_links(assistant.id).await? {
            if !link.is_active || !tool.draft.is_active {
                continue;
            }
            let sub_assistant = match tool.draft.assistant_id {
                Some(sub) if depth < MAX_DEPTH => {
                    match self.ports.assistants.get_assistant(sub).await? {
                        Some(sub) if sub.draft.is_active => {
                            Some(Box::new(Box::pin(self.resolve_from(sub, depth + 1)).await?))
                        }
                        // A tool delegating to a switched-off assistant is not offered.
                        _ => continue,
                    }
                }
                _ => None,
            };
            tools.push(ResolvedTool {
                tool,
                sub_assistant,
            });
        }
        Ok(ResolvedAssistant { assistant, tools })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The map stays consistent whatever panicked while holding it.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
