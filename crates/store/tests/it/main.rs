//! The storage contract suite: every test runs on SQLite, and on PostgreSQL when
//! `AGENTRY_TEST_PG_URL` is set, each on a fresh database.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

mod helpers;

mod blobs;
mod caching;
mod channels;
mod checkpoint;
mod events;
mod feed_plans;
mod live;
mod migrations;
mod plans;
mod registry;
mod retention;
mod schedule;
mod squads;
mod tasks;
mod workspace;
