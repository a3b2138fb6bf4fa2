//! What the squads context needs from storage, one port per capability, and
//! the cipher that seals definitions. Every write commits its events with the
//! change, or nothing.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Sealed, Sealer, Squad, SquadMember, SquadStatus, Template, Workflow, WorkflowVersion};
use crate::Result;
use crate::clock::Clock;
use crate::event::Event;
use crate::id::{AssistantId, SquadId, TemplateId, UserId, WorkflowId};

/// Which squads a listing shows, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SquadQuery {
    /// `None` for every squad (an admin's view); otherwise the user's own and the
    /// public ones.
    pub visible_to: Option<UserId>,
    pub status: Option<SquadStatus>,
    /// Only the squads this user created.
    pub creator: Option<UserId>,
    pub after: Option<SquadId>,
    pub limit: u32,
}

/// Which templates a listing shows, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateQuery {
    pub category: Option<String>,
    pub is_builtin: Option<bool>,
    pub after: Option<TemplateId>,
    pub limit: u32,
}

/// Squads and their members.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SquadRepo: Send + Sync {
    async fn create_squad(&self, squad: &Squad, events: &[Event]) -> Result<()>;
    async fn get_squad(&self, id: SquadId) -> Result<Option<Squad>>;
    async fn list_squads(&self, query: &SquadQuery) -> Result<Vec<Squad>>;
    /// Stores the next revision. `StaleVersion` when the stored one is not the one
    /// it replaces; `NotFound` when it is gone.
    async fn update_squad(&self, squad: &Squad, events: &[Event]) -> Result<()>;
    /// Deletes it with its members, workflows and their versions. `StaleVersion`
    /// on a revision mismatch.
    async fn delete_squad(&self, id: SquadId, revision: i64, events: &[Event]) -> Result<()>;
    /// `Conflict` when the assistant is a member already, is inactive or gone,
    /// or the squad is full ([`SquadMember::PER_SQUAD_MAX`]); `NotFound` when
    /// the squad is gone.
    async fn add_member(&self, member: &SquadMember, events: &[Event]) -> Result<()>;
    /// `NotFound`, writing nothing, when it was no member; `Conflict` when the
    /// squad's workflows are no longer at the versions `checked` (found not to
    /// name the member): one saved meanwhile may name it.
    async fn remove_member(
        &self,
        squad: SquadId,
        assistant: AssistantId,
        checked: &[(WorkflowId, i32)],
        events: &[Event],
    ) -> Result<()>;
    /// The squad's members, in the order they were added.
    async fn members(&self, squad: SquadId) -> Result<Vec<SquadMember>>;
}

/// Workflows and their sealed versions.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WorkflowRepo: Send + Sync {
    /// Stores a workflow with its first version; made from `template`, counts
    /// one more use of it in the same transaction. `Conflict` when the squad
    /// holds [`Workflow::PER_SQUAD_MAX`] workflows; `NotFound` when the squad
    /// or the template is gone.
    ///
    /// Every write of a definition names the `members` it was checked
    /// against: `Conflict` when one of them left the squad (or changed role)
    /// meanwhile.
    async fn create_workflow(
        &self,
        workflow: &Workflow,
        first: &WorkflowVersion,
        template: Option<TemplateId>,
        members: &[SquadMember],
        events: &[Event],
    ) -> Result<()>;
    async fn get_workflow(&self, id: WorkflowId) -> Result<Option<Workflow>>;
    /// The workflow with its current version's sealed definition, in one read.
    async fn current(&self, id: WorkflowId) -> Result<Option<(Workflow, WorkflowVersion)>>;
    /// A squad's workflows, oldest first; only `status` ones when given.
    async fn list_workflows(
        &self,
        squad: SquadId,
        status: Option<SquadStatus>,
        after: Option<WorkflowId>,
        limit: u32,
    ) -> Result<Vec<Workflow>>;
    /// Every workflow of a squad with its current version (a member's removal
    /// checks that none names it).
    async fn squad_definitions(&self, squad: SquadId) -> Result<Vec<(Workflow, WorkflowVersion)>>;
    /// Stores the next revision of its fields. `StaleVersion`, `NotFound`.
    async fn update_workflow(&self, workflow: &Workflow, events: &[Event]) -> Result<()>;
    /// Stores `version` and makes it the workflow's current one (`workflow` is
    /// the next revision). `StaleVersion` when the stored revision is not the one
    /// it replaces.
    async fn save_version(
        &self,
        workflow: &Workflow,
        version: &WorkflowVersion,
        members: &[SquadMember],
        events: &[Event],
    ) -> Result<()>;
    async fn get_version(&self, id: WorkflowId, version: i32) -> Result<Option<WorkflowVersion>>;
    /// A workflow's versions, newest first, before `before` when given.
    async fn list_versions(
        &self,
        id: WorkflowId,
        before: Option<i32>,
        limit: u32,
    ) -> Result<Vec<WorkflowVersion>>;
    /// `StaleVersion` on a revision mismatch.
    async fn delete_workflow(&self, id: WorkflowId, revision: i64, events: &[Event]) -> Result<()>;
}

/// Re-sealing every version under one key, in batches.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SealedRepo: Send + Sync {
    /// Up to `limit` versions not sealed under `key_id`, by workflow and
    /// number, after the version `after` names.
    async fn sealed_elsewhere(
        &self,
        key_id: &str,
        after: Option<(WorkflowId, i32)>,
        limit: u32,
    ) -> Result<Vec<WorkflowVersion>>;
    /// Replaces each version's sealed bytes with `resealed`'s, where they still
    /// are what `was` says (a concurrent rotation moved the others), and the
    /// workflow's current copy with them; returns how many it replaced.
    async fn reseal(&self, resealed: &[(WorkflowVersion, Sealed)], events: &[Event])
    -> Result<u64>;
}

/// The template library.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TemplateRepo: Send + Sync {
    async fn create_template(&self, template: &Template, events: &[Event]) -> Result<()>;
    async fn get_template(&self, id: TemplateId) -> Result<Option<Template>>;
    async fn list_templates(&self, query: &TemplateQuery) -> Result<Vec<Template>>;
    /// Stores the next revision of its fields (not its usage count).
    /// `StaleVersion`, `NotFound`.
    async fn update_template(&self, template: &Template, events: &[Event]) -> Result<()>;
    async fn delete_template(&self, id: TemplateId, revision: i64, events: &[Event]) -> Result<()>;
}

/// The squads context's ports, for wiring.
#[derive(Clone)]
pub struct Ports {
    pub squads: Arc<dyn SquadRepo>,
    pub workflows: Arc<dyn WorkflowRepo>,
    pub sealed: Arc<dyn SealedRepo>,
    pub templates: Arc<dyn TemplateRepo>,
    pub sealer: Arc<dyn Sealer>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
