//! SeaORM adapter: implements the domain's repository ports on SQLite (the embedded
//! default, in WAL mode) and PostgreSQL, plus a local-disk blob store.
//!
//! Depends on `agentry-domain` only. Every mutating method commits its change and
//! its events in one transaction. Database errors are translated here, at the edge:
//! unique and foreign-key violations become domain conflicts, the rest `Internal`.

mod appender;
mod attachments;
mod blob;
mod cache;
mod channels;
mod checkpoint;
mod connect;
mod deltas;
mod entity;
mod error;
mod events;
mod gauges;
mod id_page;
mod labels;
mod listen;
mod live;
mod plan_state;
mod plans;
mod projects;
mod registry;
mod retention;
mod squads;
mod tasks;
mod transact;
mod users;
mod wakeup;
mod watch;
mod work_queue;

#[cfg(feature = "testing")]
pub mod testing;

pub use blob::LocalBlobStore;
pub use cache::TTL as CACHE_TTL;
pub use connect::{Backend, Options, Store};
pub use gauges::Gauges;
