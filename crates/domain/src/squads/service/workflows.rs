//! Workflows: made from a definition or a template, saved as sealed versions,
//! read back opened. A workflow is visible with its squad; to anyone but the
//! squad's owner, only an active one of a public squad is.

use serde_json::Value;

use super::Squads;
use crate::caller::Principal;
use crate::event::{Event, FieldChange};
use crate::id::{SquadId, TemplateId, WorkflowId};
use crate::optimistic;
use crate::page::{self, Page};
use crate::registry::Revisioned;
use crate::squads::{
    Definition, NodeType, Squad, SquadEvent, SquadMember, SquadStatus, Workflow, WorkflowChanged,
    WorkflowDraft, WorkflowKeyRotated, WorkflowVersion, WorkflowVersionSaved, bound_to, digest,
};
use crate::{Error, Result};

/// Where a new workflow's first definition comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefinitionSource {
    Definition(Value),
    /// A copy of the template's, checked against the squad (its agent nodes
    /// name members by role).
    Template(TemplateId),
}

/// A workflow to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWorkflow {
    pub draft: WorkflowDraft,
    pub source: DefinitionSource,
}

/// A version with its definition opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenVersion {
    pub version: WorkflowVersion,
    pub definition: Definition,
}

/// A workflow with its current version opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowView {
    pub workflow: Workflow,
    pub current: OpenVersion,
}

impl Squads {
    /// Creates a workflow in the squad with its first version.
    ///
    /// # Errors
    /// `NotFound` (the squad, or the template), `Forbidden`, `Validation` or
    /// `Invalid` naming every problem of the definition, `Sealing` without a key,
    /// `Conflict` when the squad is full.
    pub async fn create_workflow(
        &self,
        who: &Principal,
        squad: SquadId,
        new: NewWorkflow,
    ) -> Result<WorkflowView> {
        let squad = self.owned(who, squad).await?;
        let now = self.ports.clock.now();
        let record = Revisioned::new(WorkflowId::generate(), new.draft, now)?;
        let members = self.ports.squads.members(squad.id()).await?;
        let (raw, template) = match new.source {
            DefinitionSource::Definition(raw) => (raw, None),
            DefinitionSource::Template(id) => {
                let template =
                    self.ports
                        .templates
                        .get_template(id)
                        .await?
                        .ok_or(Error::NotFound {
                            entity: "workflow template",
                        })?;
                (template.record.draft.definition, Some(id))
            }
        };
        // A template's problems are named under it: the request sent no definition.
        let definition = Definition::check(&raw, &members).map_err(|e| match template {
            Some(_) => e.within("template"),
            None => e,
        })?;
        let workflow = Workflow {
            record,
            squad_id: squad.id(),
            version: 1,
        };
        let current = self.seal(&workflow, definition, who)?;
        let events = [
            workflow_event(SquadEvent::WorkflowCreated, &workflow, who, Vec::new())?,
            version_event(&current.version, squad.id(), template)?,
        ];
        self.ports
            .workflows
            .create_workflow(&workflow, &current.version, template, &members, &events)
            .await?;
        Ok(WorkflowView { workflow, current })
    }

    /// The workflow, if `who` sees it.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn workflow(&self, who: &Principal, id: WorkflowId) -> Result<Workflow> {
        let workflow = self.ports.workflows.get_workflow(id).await?;
        Ok(self.visible(who, workflow, |w| w).await?.0)
    }

    /// The workflow with its current definition, opened.
    ///
    /// # Errors
    /// `NotFound`; `Sealing` naming the key when it cannot be opened.
    pub async fn current_definition(
        &self,
        who: &Principal,
        id: WorkflowId,
    ) -> Result<WorkflowView> {
        let found = self.ports.workflows.current(id).await?;
        let ((workflow, version), _) = self.visible(who, found, |(w, _)| w).await?;
        Ok(WorkflowView {
            current: self.open(version)?,
            workflow,
        })
    }

    /// A page of the squad's workflows the caller sees, oldest first.
    ///
    /// # Errors
    /// `NotFound` for the squad.
    pub async fn workflows(
        &self,
        who: &Principal,
        squad: SquadId,
        status: Option<SquadStatus>,
        after: Option<WorkflowId>,
        limit: u32,
    ) -> Result<Page<Workflow, WorkflowId>> {
        let squad = self.squad(who, squad).await?;
        let status = if squad.require_owner(who).is_ok() {
            status
        } else if status.is_none_or(|s| s == SquadStatus::Active) {
            Some(SquadStatus::Active)
        } else {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        page::read(limit, Workflow::id, |limit| async move {
            self.ports
                .workflows
                .list_workflows(squad.id(), status, after, limit)
                .await
        })
        .await
    }

    /// Changes the workflow's name, description or status.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Validation`, `StaleVersion`.
    pub async fn update_workflow(
        &self,
        who: &Principal,
        id: WorkflowId,
        change: impl Fn(&WorkflowDraft) -> Result<WorkflowDraft> + Send + Sync,
        expected: Option<i64>,
    ) -> Result<Workflow> {
        let change = &change;
        optimistic::retry(expected, move || async move {
            let (current, _) = self.owned_workflow(who, id).await?;
            optimistic::check(expected, current.record.revision)?;
            let (record, changes) = current
                .record
                .revise(change(&current.record.draft)?, self.ports.clock.now())?;
            if changes.is_empty() {
                return Ok(current);
            }
            let next = Workflow { record, ..current };
            let event = workflow_event(SquadEvent::WorkflowUpdated, &next, who, changes)?;
            self.ports
                .workflows
                .update_workflow(&next, &[event])
                .await?;
            Ok(next)
        })
        .await
    }

    /// Saves `raw` as the workflow's next version, at revision `expected` when
    /// given.
    ///
    /// # Errors
    /// As [`Squads::create_workflow`], and `StaleVersion`.
    pub async fn save_version(
        &self,
        who: &Principal,
        id: WorkflowId,
        raw: &Value,
        expected: Option<i64>,
    ) -> Result<WorkflowView> {
        optimistic::retry(expected, move || async move {
            let (current, squad) = self.owned_workflow(who, id).await?;
            optimistic::check(expected, current.record.revision)?;
            let members = self.ports.squads.members(squad.id()).await?;
            let definition = Definition::check(raw, &members)?;
            let next = current.next_version(self.ports.clock.now());
            let saved = self.seal(&next, definition, who)?;
            let event = version_event(&saved.version, squad.id(), None)?;
            self.ports
                .workflows
                .save_version(&next, &saved.version, &members, &[event])
                .await?;
            Ok(WorkflowView {
                workflow: next,
                current: saved,
            })
        })
        .await
    }

    /// Version `number` of the workflow, opened.
    ///
    /// # Errors
    /// `NotFound` (also for a version never saved); `Sealing`.
    pub async fn version(
        &self,
        who: &Principal,
        id: WorkflowId,
        number: i32,
    ) -> Result<OpenVersion> {
        let workflow = self.workflow(who, id).await?;
        let version = self
            .ports
            .workflows
            .get_version(workflow.id(), number)
            .await?
            .ok_or(Error::NotFound {
                entity: "workflow version",
            })?;
        self.open(version)
    }

    /// A page of the workflow's versions, newest first, without definitions.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn versions(
        &self,
        who: &Principal,
        id: WorkflowId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Page<WorkflowVersion, i64>> {
        let workflow = self.workflow(who, id).await?;
        let before = before.map(|b| i32::try_from(b).unwrap_or(i32::MAX));
        page::read(
            limit,
            |v: &WorkflowVersion| i64::from(v.version),
            |limit| async move {
                self.ports
                    .workflows
                    .list_versions(workflow.id(), before, limit)
                    .await
            },
        )
        .await
    }

    /// Deletes the workflow with its versions.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `StaleVersion`.
    pub async fn delete_workflow(
        &self,
        who: &Principal,
        id: WorkflowId,
        expected: Option<i64>,
    ) -> Result<()> {
        optimistic::retry(expected, move || async move {
            let (current, _) = self.owned_workflow(who, id).await?;
            optimistic::check(expected, current.record.revision)?;
            let event = workflow_event(SquadEvent::WorkflowDeleted, &current, who, Vec::new())?;
            self.ports
                .workflows
                .delete_workflow(id, current.record.revision, &[event])
                .await
        })
        .await
    }

    /// Seals every version not under the first configured key again under it,
    /// `batch` versions per transaction; returns how many it moved. Stopped
    /// halfway, a second run moves the rest.
    ///
    /// # Errors
    /// `Sealing` without a key, or naming the key of a version it cannot open.
    pub async fn rotate_key(&self, batch: u32) -> Result<u64> {
        let key = self
            .ports
            .sealer
            .sealing_key()
            .ok_or_else(|| Error::Sealing(NO_KEY.into()))?;
        let mut moved = 0;
        let mut after = None;
        loop {
            let page = self
                .ports
                .sealed
                .sealed_elsewhere(&key, after, batch.max(1))
                .await?;
            let Some(last) = page.last() else {
                return Ok(moved);
            };
            after = Some((last.workflow_id, last.version));
            let mut resealed = Vec::with_capacity(page.len());
            for version in page {
                let bound = bound_to(version.workflow_id, version.version);
                let plain = self.ports.sealer.open(&version.sealed, &bound)?;
                let sealed = self.ports.sealer.seal(&plain, &bound)?;
                resealed.push((version, sealed));
            }
            let event = Event::global(
                SquadEvent::WorkflowKeyRotated(WorkflowKeyRotated {
                    key_id: key.clone(),
                    versions: i64::try_from(resealed.len()).unwrap_or(i64::MAX),
                }),
                self.ports.clock.now(),
            )?;
            moved += self.ports.sealed.reseal(&resealed, &[event]).await?;
        }
    }

    /// The names of the squad's workflows whose current version names `member`
    /// (by assistant, or by a role no other member holds).
    /// Also every workflow's id and current version, as checked.
    pub(super) async fn workflows_naming(
        &self,
        squad: &Squad,
        members: &[SquadMember],
        member: &SquadMember,
    ) -> Result<(Vec<String>, Vec<(WorkflowId, i32)>)> {
        let role_kept = members
            .iter()
            .any(|m| m.assistant_id != member.assistant_id && m.role == member.role);
        let mut names = Vec::new();
        let mut checked = Vec::new();
        for (workflow, version) in self.ports.workflows.squad_definitions(squad.id()).await? {
            checked.push((workflow.id(), workflow.version));
            let definition = self.open(version)?.definition;
            let names_it = definition.nodes.iter().any(|n| {
                n.node_type == NodeType::Agent
                    && (n.assistant_id == Some(member.assistant_id)
                        || (!role_kept && n.role.as_deref() == Some(member.role.as_str())))
            });
            if names_it {
                names.push(format!("'{}'", workflow.record.draft.name));
            }
        }
        Ok((names, checked))
    }

    /// The workflow or other value `found` holds, with its squad, if that is
    /// visible to `who`: to anyone but the owner, only an active workflow of it is.
    async fn visible<T>(
        &self,
        who: &Principal,
        found: Option<T>,
        workflow: impl Fn(&T) -> &Workflow,
    ) -> Result<(T, Squad)> {
        let missing = || Error::NotFound { entity: "workflow" };
        let found = found.ok_or_else(missing)?;
        let w = workflow(&found);
        let squad = self.squad(who, w.squad_id).await.map_err(|e| match e {
            Error::NotFound { .. } => missing(),
            other => other,
        })?;
        if squad.require_owner(who).is_err() && w.record.draft.status != SquadStatus::Active {
            return Err(missing());
        }
        Ok((found, squad))
    }

    async fn owned_workflow(&self, who: &Principal, id: WorkflowId) -> Result<(Workflow, Squad)> {
        let workflow = self.ports.workflows.get_workflow(id).await?;
        let (workflow, squad) = self.visible(who, workflow, |w| w).await?;
        squad.require_owner(who)?;
        Ok((workflow, squad))
    }

    fn seal(
        &self,
        workflow: &Workflow,
        definition: Definition,
        who: &Principal,
    ) -> Result<OpenVersion> {
        let bytes = definition.to_bytes()?;
        let sealed = self
            .ports
            .sealer
            .seal(&bytes, &bound_to(workflow.id(), workflow.version))?;
        Ok(OpenVersion {
            version: WorkflowVersion {
                workflow_id: workflow.id(),
                version: workflow.version,
                sealed,
                digest: digest(&bytes),
                created_by: who.user_id,
                created_at: workflow.record.updated_at,
            },
            definition,
        })
    }

    fn open(&self, version: WorkflowVersion) -> Result<OpenVersion> {
        let bytes = self.ports.sealer.open(
            &version.sealed,
            &bound_to(version.workflow_id, version.version),
        )?;
        Ok(OpenVersion {
            definition: Definition::from_bytes(&bytes)?,
            version,
        })
    }
}

/// What a save without a key answers.
pub const NO_KEY: &str = "no workflow key is configured, so definitions can be neither sealed nor \
     opened: set AGENTRY_WORKFLOW_KEYS to key_id:base64 of 32 random bytes (e.g. \
     k1:$(head -c32 /dev/urandom | base64)); see the README";

fn workflow_event(
    kind: fn(WorkflowChanged) -> SquadEvent,
    workflow: &Workflow,
    who: &Principal,
    changes: Vec<FieldChange>,
) -> Result<Event> {
    Event::global(
        kind(WorkflowChanged {
            workflow: workflow.id(),
            squad: workflow.squad_id,
            name: workflow.record.draft.name.clone(),
            by: who.user_id,
            changes,
        }),
        workflow.record.updated_at,
    )
}

fn version_event(
    version: &WorkflowVersion,
    squad: SquadId,
    template: Option<TemplateId>,
) -> Result<Event> {
    Event::global(
        SquadEvent::WorkflowVersionSaved(WorkflowVersionSaved {
            workflow: version.workflow_id,
            squad,
            version: i64::from(version.version),
            digest: version.digest.clone(),
            key_id: version.sealed.key_id.clone(),
            template,
            by: version.created_by,
        }),
        version.created_at,
    )
}
