//! The squads use cases: any signed-in user makes squads from registry
//! assistants; only a squad's creator or an admin changes it, its members and
//! its workflows; a squad the caller may not see does not exist for them (404).
//! Workflows and their sealed versions, and the template library, have modules
//! of their own.

mod templates;
#[cfg(test)]
mod tests;
mod workflows;

pub use self::templates::Installed;
pub use self::workflows::{DefinitionSource, NO_KEY, NewWorkflow, OpenVersion, WorkflowView};
use super::ports::Ports;
use super::{
    Squad, SquadChanged, SquadDraft, SquadEvent, SquadMember, SquadMemberChanged, SquadQuery,
};
use chrono::{DateTime, Utc};

use crate::caller::Principal;
use crate::event::{Event, FieldChange};
use crate::id::{AssistantId, SquadId};
use crate::optimistic;
use crate::page::{self, Page};
use crate::{Error, Result};

/// Squads, their members, workflows and templates.
#[derive(Clone, Debug)]
pub struct Squads {
    ports: Ports,
}

impl Squads {
    pub(crate) const fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// # Errors
    /// `Validation`.
    pub async fn create_squad(&self, who: &Principal, draft: SquadDraft) -> Result<Squad> {
        let squad = Squad::new(who.user_id, draft, self.ports.clock.now())?;
        let event = squad_event(SquadEvent::SquadCreated, &squad, who, Vec::new())?;
        self.ports.squads.create_squad(&squad, &[event]).await?;
        Ok(squad)
    }

    /// # Errors
    /// `NotFound`, also for a squad the caller may not see.
    pub async fn squad(&self, who: &Principal, id: SquadId) -> Result<Squad> {
        self.ports
            .squads
            .get_squad(id)
            .await?
            .filter(|s| s.is_visible_to(who))
            .ok_or(Error::NotFound { entity: "squad" })
    }

    /// The squad, if `who` may change it.
    async fn owned(&self, who: &Principal, id: SquadId) -> Result<Squad> {
        let squad = self.squad(who, id).await?;
        squad.require_owner(who)?;
        Ok(squad)
    }

    /// A page of the squads the caller sees, oldest first.
    ///
    /// # Errors
    /// Whatever the store reports.
    pub async fn squads(
        &self,
        who: &Principal,
        mut query: SquadQuery,
    ) -> Result<Page<Squad, SquadId>> {
        query.visible_to = (!who.is_admin).then_some(who.user_id);
        page::read(query.limit, Squad::id, |limit| {
            query.limit = limit;
            async move { self.ports.squads.list_squads(&query).await }
        })
        .await
    }

    /// Changes the squad's fields to what `change` makes of them, at revision
    /// `expected` when given.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Validation`, `StaleVersion`.
    pub async fn update_squad(
        &self,
        who: &Principal,
        id: SquadId,
        change: impl Fn(&SquadDraft) -> Result<SquadDraft> + Send + Sync,
        expected: Option<i64>,
    ) -> Result<Squad> {
        let change = &change;
        optimistic::retry(expected, move || async move {
            let current = self.owned(who, id).await?;
            optimistic::check(expected, current.record.revision)?;
            let (next, changes) =
                current.revise(change(current.draft())?, self.ports.clock.now())?;
            if changes.is_empty() {
                return Ok(current);
            }
            let event = squad_event(SquadEvent::SquadUpdated, &next, who, changes)?;
            self.ports.squads.update_squad(&next, &[event]).await?;
            Ok(next)
        })
        .await
    }

    /// Publishes an active squad: from now on every user sees it.
    ///
    /// # Errors
    /// `Conflict` once published or while not active; as [`Squads::update_squad`].
    pub async fn publish_squad(
        &self,
        who: &Principal,
        id: SquadId,
        expected: Option<i64>,
    ) -> Result<Squad> {
        optimistic::retry(expected, move || async move {
            let current = self.owned(who, id).await?;
            optimistic::check(expected, current.record.revision)?;
            let next = current.publish(self.ports.clock.now())?;
            let event = squad_event(SquadEvent::SquadPublished, &next, who, Vec::new())?;
            self.ports.squads.update_squad(&next, &[event]).await?;
            Ok(next)
        })
        .await
    }

    /// Deletes the squad with its members, workflows and their versions.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `StaleVersion`.
    pub async fn delete_squad(
        &self,
        who: &Principal,
        id: SquadId,
        expected: Option<i64>,
    ) -> Result<()> {
        optimistic::retry(expected, move || async move {
            let current = self.owned(who, id).await?;
            optimistic::check(expected, current.record.revision)?;
            let event = squad_event(SquadEvent::SquadDeleted, &current, who, Vec::new())?;
            self.ports
                .squads
                .delete_squad(id, current.record.revision, &[event])
                .await
        })
        .await
    }

    /// Adds an active assistant to the squad under `role` (`member` by default).
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Validation`; `Conflict` when it is a member
    /// already, inactive or gone, or the squad is full.
    pub async fn add_member(
        &self,
        who: &Principal,
        squad: SquadId,
        assistant: AssistantId,
        role: Option<&str>,
    ) -> Result<SquadMember> {
        let squad = self.owned(who, squad).await?;
        let member = SquadMember::new(squad.id(), assistant, role, self.ports.clock.now())?;
        let event = member_event(SquadEvent::SquadMemberAdded, &member, who, member.added_at)?;
        self.ports.squads.add_member(&member, &[event]).await?;
        Ok(member)
    }

    /// Removes a member no workflow of the squad names in its current version.
    ///
    /// # Errors
    /// `NotFound` (also when it is no member), `Forbidden`; `Conflict` naming the
    /// workflows that still name it; `Sealing` when a definition cannot be opened.
    pub async fn remove_member(
        &self,
        who: &Principal,
        squad: SquadId,
        assistant: AssistantId,
    ) -> Result<()> {
        let squad = self.owned(who, squad).await?;
        let members = self.ports.squads.members(squad.id()).await?;
        let Some(member) = members.iter().find(|m| m.assistant_id == assistant) else {
            return Err(Error::NotFound {
                entity: "squad member",
            });
        };
        let (users, checked) = self.workflows_naming(&squad, &members, member).await?;
        if !users.is_empty() {
            return Err(Error::Conflict(format!(
                "workflows {} name this member in their current version; save versions without it first",
                users.join(", ")
            )));
        }
        let now = self.ports.clock.now();
        let event = member_event(SquadEvent::SquadMemberRemoved, member, who, now)?;
        self.ports
            .squads
            .remove_member(squad.id(), assistant, &checked, &[event])
            .await
    }

    /// The squad's members, in the order they were added.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn members(&self, who: &Principal, squad: SquadId) -> Result<Vec<SquadMember>> {
        let squad = self.squad(who, squad).await?;
        self.ports.squads.members(squad.id()).await
    }
}

fn squad_event(
    kind: fn(SquadChanged) -> SquadEvent,
    squad: &Squad,
    who: &Principal,
    changes: Vec<FieldChange>,
) -> Result<Event> {
    Event::global(
        kind(SquadChanged {
            squad: squad.id(),
            name: squad.draft().name.clone(),
            by: who.user_id,
            changes,
        }),
        squad.record.updated_at,
    )
}

fn member_event(
    kind: fn(SquadMemberChanged) -> SquadEvent,
    member: &SquadMember,
    who: &Principal,
    at: DateTime<Utc>,
) -> Result<Event> {
    Event::global(
        kind(SquadMemberChanged {
            squad: member.squad_id,
            assistant: member.assistant_id,
            role: member.role.clone(),
            by: who.user_id,
        }),
        at,
    )
}
