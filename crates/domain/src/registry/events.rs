//! What the registry records: every change to an assistant, a tool or a link,
//! with the user who made it.

use serde::{Deserialize, Serialize};

use crate::event::{FieldChange, event_kinds};
use crate::id::{AssistantId, ToolId, UserId};
use crate::shape::described_struct;

event_kinds! {
    /// The registry's kinds of event.
    pub enum RegistryEvent {
        /// An assistant was registered.
        AssistantCreated(AssistantChanged) = "assistant_created" in Global,
        /// An assistant changed; `changes` says how.
        AssistantUpdated(AssistantChanged) = "assistant_updated" in Global,
        /// An assistant was deleted.
        AssistantDeleted(AssistantChanged) = "assistant_deleted" in Global,
        /// A tool was registered.
        ToolCreated(ToolChanged) = "tool_created" in Global,
        /// A tool changed; `changes` says how.
        ToolUpdated(ToolChanged) = "tool_updated" in Global,
        /// A tool was deleted.
        ToolDeleted(ToolChanged) = "tool_deleted" in Global,
        /// An assistant was given a tool.
        ToolLinked(ToolLinkChanged) = "tool_linked" in Global,
        /// An assistant lost a tool.
        ToolUnlinked(ToolLinkChanged) = "tool_unlinked" in Global,
    }
}

described_struct! {
    /// `assistant_created`, `assistant_updated` (with `changes`), `assistant_deleted`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AssistantChanged as "AssistantChangedPayload" {
        pub assistant: AssistantId,
        pub name: String,
        /// The user who made the change.
        pub by: UserId,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub changes: Vec<FieldChange>,
    }
}

described_struct! {
    /// `tool_created`, `tool_updated` (with `changes`), `tool_deleted`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ToolChanged as "ToolChangedPayload" {
        pub tool: ToolId,
        pub name: String,
        /// The user who made the change.
        pub by: UserId,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub changes: Vec<FieldChange>,
    }
}

described_struct! {
    /// `tool_linked`, `tool_unlinked`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ToolLinkChanged as "ToolLinkChangedPayload" {
        pub assistant: AssistantId,
        pub tool: ToolId,
        /// The user who made the change.
        pub by: UserId,
    }
}
