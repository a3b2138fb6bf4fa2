//! What the registry needs from storage, one port per capability. Every write
//! bumps the registry revision and commits its events with the change, or nothing.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    Assistant, AssistantKind, AssistantThread, Delegation, ImportPlan, RegistrySnapshot, Tool,
    ToolKind, ToolLink,
};
use crate::Result;
use crate::clock::Clock;
use crate::event::Event;
use crate::id::{AssistantId, AssistantThreadId, ToolId, UserId};

/// Which assistants a listing shows, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssistantQuery {
    pub is_active: Option<bool>,
    pub assistant_type: Option<AssistantKind>,
    pub is_secretary: Option<bool>,
    /// Only assistants whose name sorts after this one.
    pub after_name: Option<String>,
    pub limit: u32,
}

/// Which tools a listing shows, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolQuery {
    pub is_active: Option<bool>,
    pub tool_type: Option<ToolKind>,
    pub after_name: Option<String>,
    pub limit: u32,
}

/// What still refers to an assistant, by name, so a refusal can say so.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssistantUsage {
    /// `sub_assistant` tools that delegate to it.
    pub tools: Vec<String>,
    /// Assistants that are linked to a tool delegating to it, or that it is linked to
    /// tools of (its own links).
    pub links: usize,
    /// Agent members (`@handle`s) that are this assistant.
    pub members: Vec<String>,
    pub threads: usize,
    /// Squads it is a member of (their workflows' agent steps name only members).
    pub squads: Vec<String>,
}

impl AssistantUsage {
    #[must_use]
    pub fn is_unused(&self) -> bool {
        self.tools.is_empty()
            && self.links == 0
            && self.members.is_empty()
            && self.threads == 0
            && self.squads.is_empty()
    }
}

/// Assistants. Every change bumps the registry revision in its transaction.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AssistantRepo: Send + Sync {
    /// `Conflict` when the name is taken, or another active secretary exists.
    async fn create_assistant(&self, assistant: &Assistant, events: &[Event]) -> Result<()>;
    async fn get_assistant(&self, id: AssistantId) -> Result<Option<Assistant>>;
    async fn list_assistants(&self, query: &AssistantQuery) -> Result<Vec<Assistant>>;
    /// Stores the next revision. `StaleVersion` when the stored one is not the one
    /// it replaces (`assistant.replaces()`); `Conflict` as for creation.
    async fn update_assistant(&self, assistant: &Assistant, events: &[Event]) -> Result<()>;
    /// `StaleVersion` when the stored revision is not `revision`; `Conflict`
    /// naming what still refers to it.
    async fn delete_assistant(
        &self,
        id: AssistantId,
        revision: i64,
        events: &[Event],
    ) -> Result<()>;
    async fn assistant_usage(&self, id: AssistantId) -> Result<AssistantUsage>;
}

/// Tools. Every change bumps the registry revision in its transaction.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ToolRepo: Send + Sync {
    /// `Conflict` when the name is taken.
    async fn create_tool(&self, tool: &Tool, events: &[Event]) -> Result<()>;
    async fn get_tool(&self, id: ToolId) -> Result<Option<Tool>>;
    async fn list_tools(&self, query: &ToolQuery) -> Result<Vec<Tool>>;
    /// As [`AssistantRepo::update_assistant`]; also `Conflict` naming the loop when a
    /// changed delegation would let an assistant reach itself.
    async fn update_tool(&self, tool: &Tool, events: &[Event]) -> Result<()>;
    /// `StaleVersion` on a revision mismatch; `Conflict` while assistants use it.
    async fn delete_tool(&self, id: ToolId, revision: i64, events: &[Event]) -> Result<()>;
}

/// Which assistant has which tool, and the delegation graph those links make.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ToolLinkRepo: Send + Sync {
    /// `Conflict` when the assistant has the tool already, or naming the loop when
    /// the link would let an assistant reach itself through sub-assistants.
    async fn link_tool(&self, link: &ToolLink, events: &[Event]) -> Result<()>;
    /// `NotFound`, writing nothing, when there was no such link.
    async fn unlink_tool(
        &self,
        assistant: AssistantId,
        tool: ToolId,
        events: &[Event],
    ) -> Result<()>;
    /// An assistant's links with their tools, by tool name.
    async fn tool_links(&self, assistant: AssistantId) -> Result<Vec<(ToolLink, Tool)>>;
    /// Every delegation edge, inactive ones included.
    async fn delegations(&self) -> Result<Vec<Delegation>>;
}

/// Each user's threads with assistants.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ThreadRepo: Send + Sync {
    /// The user's thread with the assistant: `candidate` stored if there was none.
    async fn thread_for(&self, candidate: &AssistantThread) -> Result<AssistantThread>;
    async fn list_threads(&self, user: UserId) -> Result<Vec<AssistantThread>>;
    /// Sets `last_used` of `user`'s thread; `None` when the user has no such thread.
    async fn touch_thread(
        &self,
        id: AssistantThreadId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<Option<AssistantThread>>;
}

/// The registry as a whole: read at once, written at once (export and import).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SnapshotRepo: Send + Sync {
    /// Every assistant, tool and link, read consistently.
    async fn snapshot(&self) -> Result<RegistrySnapshot>;
    /// Writes a planned import and its events in one transaction, or nothing:
    /// `StaleVersion` if a record changed since the plan read it, `Conflict` on a
    /// clash or a delegation loop.
    async fn apply_import(&self, plan: &ImportPlan, events: &[Event]) -> Result<()>;
}

/// The registry revision, bumped by every registry change: what caches of
/// resolved assistants are tagged with.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait RevisionRepo: Send + Sync {
    async fn revision(&self) -> Result<i64>;
    /// A generation that moves on whenever this process learns, without asking
    /// the database, that the registry changed (its own changes at once, other
    /// processes' within a poll) and never returns to an earlier value, even when
    /// the database is restored to an earlier revision. It is what cached
    /// resolutions are tagged with, not the revision itself.
    fn known_revision(&self) -> i64;
}

/// The registry's ports, for wiring.
#[derive(Clone)]
pub struct Ports {
    pub assistants: Arc<dyn AssistantRepo>,
    pub tools: Arc<dyn ToolRepo>,
    pub links: Arc<dyn ToolLinkRepo>,
    pub threads: Arc<dyn ThreadRepo>,
    pub snapshots: Arc<dyn SnapshotRepo>,
    pub revisions: Arc<dyn RevisionRepo>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
