//! Squads context: squads of registry assistants that users assemble, the
//! workflows a squad runs (graphs of steps people design, saved as sealed
//! versions), and the template library new workflows start from.
//!
//! Depends on the kernel and on the registry (members are its assistants).

mod definition;
mod events;
mod member;
mod ports;
mod price;
mod seal;
mod service;
mod squad;
mod template;
mod workflow;

pub use definition::{
    Definition, Edge, Fallback, Node, NodeType, Predicate, Problem, SCHEMA, SCHEMA_JSON, digest,
};
pub use events::{
    SquadChanged, SquadEvent, SquadMemberChanged, TemplateChanged, WorkflowChanged,
    WorkflowKeyRotated, WorkflowVersionSaved,
};
pub use member::SquadMember;
#[cfg(any(test, feature = "mock"))]
pub use ports::{MockSealedRepo, MockSquadRepo, MockTemplateRepo, MockWorkflowRepo};
pub use ports::{
    Ports, SealedRepo, SquadQuery, SquadRepo, TemplateQuery, TemplateRepo, WorkflowRepo,
};
pub use price::Price;
#[cfg(any(test, feature = "mock"))]
pub use seal::MockSealer;
pub use seal::{Sealed, Sealer, Unkeyed, bound_to};
pub use service::{
    DefinitionSource, Installed, NO_KEY, NewWorkflow, OpenVersion, Squads, WorkflowView,
};
pub use squad::{Squad, SquadDraft, SquadStatus};
pub use template::{Template, TemplateDraft, builtin_templates};
pub use workflow::{Workflow, WorkflowDraft, WorkflowVersion};
