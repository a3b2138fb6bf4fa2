//! Registry context: assistants, their tools (JSON-Schema inputs), which assistant
//! uses which tool, sub-assistant delegation, and each user's conversation thread
//! with an assistant. Configuration that used to be code.
//!
//! Depends on the kernel only (ids, errors, the event envelope, the caller).

mod assistant;
mod document;
mod events;
mod graph;
mod ports;
mod record;
mod schema;
mod service;
mod thread;
mod tool;

pub use assistant::{Assistant, AssistantDraft, AssistantKind};
pub use document::{
    AssistantEntry, FORMAT, ImportPlan, Problem, RegistryDocument, RegistrySnapshot, ToolEntry,
    plan_import,
};
pub use events::{AssistantChanged, RegistryEvent, ToolChanged, ToolLinkChanged};
pub use graph::{Delegation, find_cycle};
pub use ports::{
    AssistantQuery, AssistantRepo, AssistantUsage, Ports, RevisionRepo, SnapshotRepo, ThreadRepo,
    ToolLinkRepo, ToolQuery, ToolRepo,
};
#[cfg(any(test, feature = "mock"))]
pub use ports::{
    MockAssistantRepo, MockRevisionRepo, MockSnapshotRepo, MockThreadRepo, MockToolLinkRepo,
    MockToolRepo,
};
pub use record::{Draft, Revisioned};
pub use schema::check_input_schema;
pub use service::{
    MAX_RESOLVED_DEPTH, MAX_RESOLVED_TOOLS, Registry, ResolvedAssistant, ResolvedTool,
};
pub use thread::AssistantThread;
pub use tool::{Tool, ToolDraft, ToolKind, ToolLink, ToolName};
