//! SeaORM models of the tables in `agentry-migration`, one file per table. They
//! stay inside this crate: the rest of the system sees domain types only.

pub(crate) mod api_tokens;
pub(crate) mod attachments;
pub(crate) mod events;
pub(crate) mod labels;
pub(crate) mod members;
pub(crate) mod projects;
pub(crate) mod task_labels;
pub(crate) mod task_links;
pub(crate) mod tasks;
pub(crate) mod users;
