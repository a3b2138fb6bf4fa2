//! SeaORM models of the tables in `agentry-migration`, one file per table. They
//! stay inside this crate: the rest of the system sees domain types only.

pub(crate) mod api_tokens;
pub(crate) mod assistant_tool_link;
pub(crate) mod assistants;
pub(crate) mod attachments;
pub(crate) mod channels;
pub(crate) mod events;
pub(crate) mod inbox;
pub(crate) mod labels;
pub(crate) mod members;
pub(crate) mod plans;
pub(crate) mod projects;
pub(crate) mod registry_revision;
pub(crate) mod squad_members;
pub(crate) mod squads;
pub(crate) mod task_dependencies;
pub(crate) mod task_labels;
pub(crate) mod task_links;
pub(crate) mod tasks;
pub(crate) mod tools;
pub(crate) mod user_assistant_threads;
pub(crate) mod users;
pub(crate) mod workflow_templates;
pub(crate) mod workflow_versions;
pub(crate) mod workflows;
