//! The registry use cases: admins change assistants, tools and links; every
//! authenticated caller reads them; each user keeps threads with assistants.
//! Resolution (with its cache) and import/export have modules of their own.

mod import;
mod resolve;
#[cfg(test)]
mod tests;

use self::resolve::ResolvedCache;
pub use self::resolve::{MAX_RESOLVED_DEPTH, MAX_RESOLVED_TOOLS, ResolvedAssistant, ResolvedTool};
use super::Ports;
use super::ports::{AssistantQuery, AssistantUsage, ToolQuery};
use crate::caller::Principal;
use crate::event::{Event, FieldChange};
use crate::id::{AssistantId, AssistantThreadId, ToolId};
use crate::optimistic;
use crate::page::{self, Page};
use crate::registry::{
    Assistant, AssistantChanged, AssistantDraft, AssistantThread, RegistryEvent, Tool, ToolChanged,
    ToolDraft, ToolKind, ToolLink, ToolLinkChanged, ToolName,
};
use crate::{Error, Result};

/// The assistant registry.
#[derive(Clone, Debug)]
pub struct Registry {
    ports: Ports,
    /// `None` when configured off: every resolution reads the store.
    resolved: Option<ResolvedCache>,
}

impl Registry {
    pub(crate) fn new(ports: Ports, cache_resolved: bool) -> Self {
        Self {
            ports,
            resolved: cache_resolved.then(ResolvedCache::default),
        }
    }

    /// # Errors
    /// `Forbidden` for a non-admin; `Validation`; `Conflict` for a taken name or a
    /// second active secretary.
    pub async fn create_assistant(
        &self,
        who: &Principal,
        draft: AssistantDraft,
    ) -> Result<Assistant> {
        who.require_admin()?;
        let now = self.ports.clock.now();
        let assistant = Assistant::new(AssistantId::generate(), draft, now)?;
        let event = assistant_event(RegistryEvent::AssistantCreated, &assistant, who, Vec::new())?;
        self.ports
            .assistants
            .create_assistant(&assistant, &[event])
            .await?;
        Ok(assistant)
    }

    /// # Errors
    /// `NotFound`.
    pub async fn assistant(&self, _who: &Principal, id: AssistantId) -> Result<Assistant> {
        self.ports
            .assistants
            .get_assistant(id)
            .await?
            .ok_or(Error::NotFound {
                entity: "assistant",
            })
    }

    /// A page of assistants by name, filtered by `query`.
    ///
    /// # Errors
    /// Whatever the store reports.
    pub async fn assistants(
        &self,
        _who: &Principal,
        mut query: AssistantQuery,
    ) -> Result<Page<Assistant, String>> {
        page::read(
            query.limit,
            |a: &Assistant| a.draft.name.clone(),
            |limit| {
                query.limit = limit;
                async move { self.ports.assistants.list_assistants(&query).await }
            },
        )
        .await
    }

    /// Changes the assistant's settable fields to what `change` makes of them.
    /// With `expected`, the write happens only if the assistant is still at that
    /// revision; without, a lost race re-applies `change` to the fresh record.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound`, `Validation`, `StaleVersion`, `Conflict`, or what
    /// `change` reports.
    pub async fn update_assistant(
        &self,
        who: &Principal,
        id: AssistantId,
        change: impl Fn(&AssistantDraft) -> Result<AssistantDraft> + Send + Sync,
        expected: Option<i64>,
    ) -> Result<Assistant> {
        who.require_admin()?;
        let change = &change;
        optimistic::retry(expected, move || async move {
            let current = self.assistant(who, id).await?;
            optimistic::check(expected, current.revision)?;
            let (next, changes) =
                current.revise(change(&current.draft)?, self.ports.clock.now())?;
            if changes.is_empty() {
                return Ok(current);
            }
            let event = assistant_event(RegistryEvent::AssistantUpdated, &next, who, changes)?;
            self.ports
                .assistants
                .update_assistant(&next, &[event])
                .await?;
            Ok(next)
        })
        .await
    }

    /// Deletes an unused assistant; with `deactivate`, switches it off instead (and
    /// keeps what refers to it).
    ///
    /// # Errors
    /// `Conflict` naming what still uses it; `Forbidden`, `NotFound`, `StaleVersion`.
    pub async fn delete_assistant(
        &self,
        who: &Principal,
        id: AssistantId,
        expected: Option<i64>,
        deactivate: bool,
    ) -> Result<()> {
        who.require_admin()?;
        if deactivate {
            let off = |draft: &AssistantDraft| {
                Ok(AssistantDraft {
                    is_active: false,
                    ..draft.clone()
                })
            };
            return self
                .update_assistant(who, id, off, expected)
                .await
                .map(drop);
        }
        optimistic::retry(expected, move || async move {
            let current = self.assistant(who, id).await?;
            optimistic::check(expected, current.revision)?;
            let usage = self.ports.assistants.assistant_usage(id).await?;
            if !usage.is_unused() {
                return Err(Error::Conflict(format!(
                    "the assistant is still used by {}; remove those first or deactivate it \
                     (?deactivate=true)",
                    describe_usage(&usage)
                )));
            }
            let event =
                assistant_event(RegistryEvent::AssistantDeleted, &current, who, Vec::new())?;
            self.ports
                .assistants
                .delete_assistant(id, current.revision, &[event])
                .await
        })
        .await
    }

    /// # Errors
    /// `Forbidden`; `Validation` (also for a sub-assistant that does not exist);
    /// `Conflict` for a taken name.
    pub async fn create_tool(&self, who: &Principal, draft: ToolDraft) -> Result<Tool> {
        who.require_admin()?;
        self.check_delegate(&draft).await?;
        let now = self.ports.clock.now();
        let tool = Tool::new(ToolId::generate(), draft, now)?;
        let event = tool_event(RegistryEvent::ToolCreated, &tool, who, Vec::new())?;
        self.ports.tools.create_tool(&tool, &[event]).await?;
        Ok(tool)
    }

    /// # Errors
    /// `NotFound`.
    pub async fn tool(&self, _who: &Principal, id: ToolId) -> Result<Tool> {
        self.ports
            .tools
            .get_tool(id)
            .await?
            .ok_or(Error::NotFound { entity: "tool" })
    }

    /// A page of tools by name, filtered by `query`.
    ///
    /// # Errors
    /// Whatever the store reports.
    pub async fn tools(
        &self,
        _who: &Principal,
        mut query: ToolQuery,
    ) -> Result<Page<Tool, ToolName>> {
        page::read(
            query.limit,
            |t: &Tool| t.draft.name.clone(),
            |limit| {
                query.limit = limit;
                async move { self.ports.tools.list_tools(&query).await }
            },
        )
        .await
    }

    /// Changes the tool's settable fields to what `change` makes of them, under
    /// the same rule as [`Registry::update_assistant`].
    ///
    /// # Errors
    /// As [`Registry::update_assistant`], plus `Conflict` naming the loop when a
    /// changed sub-assistant would let an assistant reach itself.
    pub async fn update_tool(
        &self,
        who: &Principal,
        id: ToolId,
        change: impl Fn(&ToolDraft) -> Result<ToolDraft> + Send + Sync,
        expected: Option<i64>,
    ) -> Result<Tool> {
        who.require_admin()?;
        let change = &change;
        optimistic::retry(expected, move || async move {
            let current = self.tool(who, id).await?;
            optimistic::check(expected, current.revision)?;
            let draft = change(&current.draft)?;
            self.check_delegate(&draft).await?;
            let (next, changes) = current.revise(draft, self.ports.clock.now())?;
            if changes.is_empty() {
                return Ok(current);
            }
            let event = tool_event(RegistryEvent::ToolUpdated, &next, who, changes)?;
            self.ports.tools.update_tool(&next, &[event]).await?;
            Ok(next)
        })
        .await
    }

    /// # Errors
    /// `Conflict` while assistants use the tool; `Forbidden`, `NotFound`,
    /// `StaleVersion`.
    pub async fn delete_tool(
        &self,
        who: &Principal,
        id: ToolId,
        expected: Option<i64>,
    ) -> Result<()> {
        who.require_admin()?;
        optimistic::retry(expected, move || async move {
            let current = self.tool(who, id).await?;
            optimistic::check(expected, current.revision)?;
            let event = tool_event(RegistryEvent::ToolDeleted, &current, who, Vec::new())?;
            self.ports
                .tools
                .delete_tool(id, current.revision, &[event])
                .await
        })
        .await
    }

    /// Gives an assistant a tool.
    ///
    /// # Errors
    /// `Conflict` when it has it already or when the link would close a
    /// sub-assistant loop; `Forbidden`, `NotFound`.
    pub async fn link_tool(
        &self,
        who: &Principal,
        assistant: AssistantId,
        tool: ToolId,
    ) -> Result<ToolLink> {
        who.require_admin()?;
        self.assistant(who, assistant).await?;
        let tool = self.tool(who, tool).await?;
        let link = ToolLink::new(assistant, &tool, self.ports.clock.now());
        let event = link_event(RegistryEvent::ToolLinked, &link, who)?;
        self.ports.links.link_tool(&link, &[event]).await?;
        Ok(link)
    }

    /// # Errors
    /// `NotFound` when the assistant does not have the tool; `Forbidden`.
    pub async fn unlink_tool(
        &self,
        who: &Principal,
        assistant: AssistantId,
        tool: ToolId,
    ) -> Result<()> {
        who.require_admin()?;
        let now = self.ports.clock.now();
        let event = Event::global(
            RegistryEvent::ToolUnlinked(ToolLinkChanged {
                assistant,
                tool,
                by: who.user_id,
            }),
            now,
        )?;
        self.ports
            .links
            .unlink_tool(assistant, tool, &[event])
            .await
    }

    /// # Errors
    /// `NotFound` for an unknown assistant.
    pub async fn tools_of(
        &self,
        who: &Principal,
        assistant: AssistantId,
    ) -> Result<Vec<(ToolLink, Tool)>> {
        self.assistant(who, assistant).await?;
        self.ports.links.tool_links(assistant).await
    }

    /// The caller's thread with the assistant, created on first use.
    ///
    /// # Errors
    /// `NotFound` for an unknown assistant.
    pub async fn thread(&self, who: &Principal, assistant: AssistantId) -> Result<AssistantThread> {
        self.assistant(who, assistant).await?;
        let candidate = AssistantThread::new(who.user_id, assistant, self.ports.clock.now());
        self.ports.threads.thread_for(&candidate).await
    }

    /// # Errors
    /// Whatever the store reports.
    pub async fn threads(&self, who: &Principal) -> Result<Vec<AssistantThread>> {
        self.ports.threads.list_threads(who.user_id).await
    }

    /// Marks the caller's thread used now.
    ///
    /// # Errors
    /// `NotFound` for a thread that is not the caller's.
    pub async fn touch_thread(
        &self,
        who: &Principal,
        id: AssistantThreadId,
    ) -> Result<AssistantThread> {
        self.ports
            .threads
            .touch_thread(id, who.user_id, self.ports.clock.now())
            .await?
            .ok_or(Error::NotFound { entity: "thread" })
    }

    /// The registry revision, bumped by every change.
    ///
    /// # Errors
    /// Whatever the store reports.
    pub async fn revision(&self) -> Result<i64> {
        self.ports.revisions.revision().await
    }

    async fn check_delegate(&self, draft: &ToolDraft) -> Result<()> {
        if draft.tool_type != ToolKind::SubAssistant {
            return Ok(());
        }
        let Some(id) = draft.assistant_id else {
            return Ok(()); // the draft's own check reports it
        };
        match self.ports.assistants.get_assistant(id).await? {
            Some(_) => Ok(()),
            None => Err(Error::validation("assistant_id", "no such assistant")),
        }
    }
}

fn assistant_event(
    kind: fn(AssistantChanged) -> RegistryEvent,
    assistant: &Assistant,
    who: &Principal,
    changes: Vec<FieldChange>,
) -> Result<Event> {
    Event::global(
        kind(AssistantChanged {
            assistant: assistant.id,
            name: assistant.draft.name.clone(),
            by: who.user_id,
            changes,
        }),
        assistant.updated_at,
    )
}

fn tool_event(
    kind: fn(ToolChanged) -> RegistryEvent,
    tool: &Tool,
    who: &Principal,
    changes: Vec<FieldChange>,
) -> Result<Event> {
    Event::global(
        kind(ToolChanged {
            tool: tool.id,
            name: tool.draft.name.as_str().to_owned(),
            by: who.user_id,
            changes,
        }),
        tool.updated_at,
    )
}

fn link_event(
    kind: fn(ToolLinkChanged) -> RegistryEvent,
    link: &ToolLink,
    who: &Principal,
) -> Result<Event> {
    Event::global(
        kind(ToolLinkChanged {
            assistant: link.assistant_id,
            tool: link.tool_id,
            by: who.user_id,
        }),
        link.created_at,
    )
}

fn describe_usage(usage: &AssistantUsage) -> String {
    let mut parts = Vec::new();
    if !usage.tools.is_empty() {
        parts.push(format!("sub-assistant tools {}", usage.tools.join(", ")));
    }
    if usage.links > 0 {
        parts.push(format!("{} tool links", usage.links));
    }
    if !usage.members.is_empty() {
        parts.push(format!("agent members @{}", usage.members.join(", @")));
    }
    if usage.threads > 0 {
        parts.push(format!("{} user threads", usage.threads));
    }
    if !usage.squads.is_empty() {
        parts.push(format!(
            "squads {} (and their workflows)",
            usage.squads.join(", ")
        ));
    }
    parts.join("; ")
}
