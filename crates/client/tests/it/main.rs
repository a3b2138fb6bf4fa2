//! The README's flows through the client generated from `docs/openapi.json`,
//! against the real API listening on a port, on SQLite and on PostgreSQL. Every
//! response is parsed into the generated models: a field the server sends that the
//! spec does not allow (a `null`, an unlisted enum value, a wrong shape) fails here.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

mod server;

mod accounts;
mod channels;
mod feeds;
mod plans;
mod registry;
mod squads;
mod tracker;
