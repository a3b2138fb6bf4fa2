//! The API suite: the real app in-process over HTTP semantics, on SQLite always and
//! on PostgreSQL when `AGENTRY_TEST_PG_URL` is set, each test on a fresh database.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

mod helpers;

mod access;
mod attachments;
mod authorization;
mod channels;
mod early_answers;
mod events;
mod generate;
mod hostile;
mod limits;
mod live;
mod live_served;
mod metrics;
mod openapi;
mod plans;
mod registry;
mod registry_import;
mod retention;
mod run_actors;
mod runs;
mod squads;
mod startup;
mod tasks;
mod text_limits;
mod unknown_kinds;
mod workspace_lists;
