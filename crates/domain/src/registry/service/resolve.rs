//! Resolution: an assistant with its active tools and sub-assistant trees, as a
//! runtime needs it, served from a cache keyed by the registry revision.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::Registry;
use crate::caller::Principal;
use crate::id::AssistantId;
use crate::registry::{Assistant, Tool};
use crate::{Error, Result};

/// How deep sub-assistant trees are resolved; the graph is acyclic, this only
/// bounds the answer's size.
pub const MAX_RESOLVED_DEPTH: usize = 8;

/// How many tools a resolved tree holds at most, over all its levels. A
/// sub-assistant shared by many tools appears under each of them, so a small
/// registry can describe a tree exponential in its depth; past this the answer
/// is a `Conflict` naming the limit, before it is built.
pub const MAX_RESOLVED_TOOLS: usize = 1000;

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
            return Resolution::default().resolve(self, root, 0).await;
        };
        // Read before building: a change made meanwhile leaves the entry stale-tagged.
        let revision = self.ports.revisions.known_revision();
        if let Some((built_at, hit)) = lock(cache).get(&id)
            && *built_at == revision
        {
            return Ok(hit.clone());
        }
        let root = self.assistant(who, id).await?;
        let resolved = Resolution::default().resolve(self, root, 0).await?;
        let mut entries = lock(cache);
        entries.retain(|_, (built_at, _)| *built_at == revision);
        entries.insert(id, (revision, resolved.clone()));
        Ok(resolved)
    }
}

/// One resolution: each assistant is read and expanded once per depth however
/// often it is shared, and the tools placed so far are counted against
/// [`MAX_RESOLVED_TOOLS`].
#[derive(Default)]
struct Resolution {
    expanded: HashMap<(AssistantId, usize), (ResolvedAssistant, usize)>,
    placed: usize,
}

impl Resolution {
    async fn resolve(
        &mut self,
        registry: &Registry,
        assistant: Assistant,
        depth: usize,
    ) -> Result<ResolvedAssistant> {
        if let Some((_, size)) = self.expanded.get(&(assistant.id, depth)) {
            let size = *size;
            self.place(size)?;
            return Ok(self.expanded[&(assistant.id, depth)].0.clone());
        }
        let before = self.placed;
        let mut tools = Vec::new();
        for (link, tool) in registry.ports.links.tool_links(assistant.id).await? {
            if !link.is_active || !tool.draft.is_active {
                continue;
            }
            let sub_assistant = match tool.draft.assistant_id {
                Some(sub) if depth < MAX_RESOLVED_DEPTH => {
                    match registry.ports.assistants.get_assistant(sub).await? {
                        Some(sub) if sub.draft.is_active => {
                            let sub = Box::pin(self.resolve(registry, sub, depth + 1)).await?;
                            Some(Box::new(sub))
                        }
                        // A tool delegating to a switched-off assistant is not offered.
                        _ => continue,
                    }
                }
                _ => None,
            };
            self.place(1)?;
            tools.push(ResolvedTool {
                tool,
                sub_assistant,
            });
        }
        let resolved = ResolvedAssistant { assistant, tools };
        let size = self.placed - before;
        self.expanded
            .insert((resolved.assistant.id, depth), (resolved.clone(), size));
        Ok(resolved)
    }

    fn place(&mut self, tools: usize) -> Result<()> {
        self.placed += tools;
        if self.placed > MAX_RESOLVED_TOOLS {
            return Err(Error::Conflict(format!(
                "the resolved tree would hold more than {MAX_RESOLVED_TOOLS} tools; \
                 sub-assistants shared by many tools repeat under each of them"
            )));
        }
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The map stays consistent whatever panicked while holding it.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
