//! What the squads context records: every change to a squad, its members, its
//! workflows and their versions, and the templates, with the user who made it.
//! A version's event names its digest, never its definition.

use serde::{Deserialize, Serialize};

use crate::event::{FieldChange, event_kinds};
use crate::id::{AssistantId, SquadId, TemplateId, UserId, WorkflowId};
use crate::shape::described_struct;

event_kinds! {
    /// The squads context's kinds of event.
    pub enum SquadEvent {
        /// A squad was created.
        SquadCreated(SquadChanged) = "squad_created" in Global,
        /// A squad's fields changed; `changes` says how.
        SquadUpdated(SquadChanged) = "squad_updated" in Global,
        /// A squad was published: once active, everyone sees it.
        SquadPublished(SquadChanged) = "squad_published" in Global,
        /// A squad was deleted, with its members and workflows.
        SquadDeleted(SquadChanged) = "squad_deleted" in Global,
        /// An assistant joined a squad.
        SquadMemberAdded(SquadMemberChanged) = "squad_member_added" in Global,
        /// An assistant left a squad.
        SquadMemberRemoved(SquadMemberChanged) = "squad_member_removed" in Global,
        /// A workflow was created (its first version follows).
        WorkflowCreated(WorkflowChanged) = "workflow_created" in Global,
        /// A workflow's fields changed; `changes` says how.
        WorkflowUpdated(WorkflowChanged) = "workflow_updated" in Global,
        /// A workflow was deleted, with its versions.
        WorkflowDeleted(WorkflowChanged) = "workflow_deleted" in Global,
        /// A workflow's definition was saved as a new version.
        WorkflowVersionSaved(WorkflowVersionSaved) = "workflow_version_saved" in Global,
        /// Every sealed definition was sealed again under one key.
        WorkflowKeyRotated(WorkflowKeyRotated) = "workflow_key_rotated" in Global,
        /// A template was added to the library.
        TemplateCreated(TemplateChanged) = "workflow_template_created" in Global,
        /// A template changed; `changes` says how (a built-in one, when the
        /// project ships a newer one).
        TemplateUpdated(TemplateChanged) = "workflow_template_updated" in Global,
        /// A template was removed from the library.
        TemplateDeleted(TemplateChanged) = "workflow_template_deleted" in Global,
    }
}

described_struct! {
    /// `squad_created`, `squad_updated` (with `changes`), `squad_published`,
    /// `squad_deleted`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct SquadChanged as "SquadChangedPayload" {
        pub squad: SquadId,
        pub name: String,
        /// The user who made the change.
        pub by: UserId,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub changes: Vec<FieldChange>,
    }
}

described_struct! {
    /// `squad_member_added`, `squad_member_removed`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct SquadMemberChanged as "SquadMemberChangedPayload" {
        pub squad: SquadId,
        pub assistant: AssistantId,
        pub role: String,
        /// The user who made the change.
        pub by: UserId,
    }
}

described_struct! {
    /// `workflow_created`, `workflow_updated` (with `changes`), `workflow_deleted`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct WorkflowChanged as "WorkflowChangedPayload" {
        pub workflow: WorkflowId,
        pub squad: SquadId,
        pub name: String,
        /// The user who made the change.
        pub by: UserId,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub changes: Vec<FieldChange>,
    }
}

described_struct! {
    /// `workflow_version_saved`: which version, and a digest of its definition.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct WorkflowVersionSaved as "WorkflowVersionSavedPayload" {
        pub workflow: WorkflowId,
        pub squad: SquadId,
        pub version: i64,
        /// `sha256:<hex>` of the definition.
        pub digest: String,
        /// The key it is sealed under.
        pub key_id: String,
        /// The template it was copied from, for a first version made from one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub template: Option<TemplateId>,
        /// The user who saved it.
        pub by: UserId,
    }
}

described_struct! {
    /// `workflow_key_rotated`: how many versions were sealed again, under which key.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct WorkflowKeyRotated as "WorkflowKeyRotatedPayload" {
        pub key_id: String,
        pub versions: i64,
    }
}

described_struct! {
    /// `workflow_template_created`, `workflow_template_updated` (with
    /// `changes`), `workflow_template_deleted`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TemplateChanged as "TemplateChangedPayload" {
        pub template: TemplateId,
        pub name: String,
        /// The user who made the change; absent when the migrator installed a
        /// built-in template.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub by: Option<UserId>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub changes: Vec<FieldChange>,
    }
}
