//! The assistant registry of seed 001: assistants, their tools (JSON-Schema inputs),
//! which assistant uses which tool, sub-assistant delegation, and each user's
//! conversation thread with an assistant. Configuration that used to be code.

mod assistant;
mod document;
mod events;
mod graph;
mod record;
mod schema;
mod thread;
mod tool;

pub use assistant::{Assistant, AssistantDraft, AssistantKind};
pub use document::{
    AssistantEntry, FORMAT, ImportPlan, Problem, RegistryDocument, RegistrySnapshot, ToolEntry,
    plan_import,
};
pub use events::{AssistantChanged, RegistryEvent, ToolChanged, ToolLinkChanged};
pub use graph::{Delegation, find_cycle};
pub use record::{Draft, Revisioned};
pub use schema::check_input_schema;
pub use thread::AssistantThread;
pub use tool::{Tool, ToolDraft, ToolKind, ToolLink, ToolName};
