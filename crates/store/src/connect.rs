//! Connecting: one pool on PostgreSQL; on SQLite a single-connection writer pool
//! beside a reader pool, so writers queue in process instead of fighting over the
//! file lock, while WAL lets readers run alongside.

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use agentry_domain::{Error, Result};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::appender::Appender;
use crate::cache::Caches;
use crate::watch::RevisionWatch;

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Pool settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Connections for reads (and, on PostgreSQL, writes).
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// The database behind every repository port.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) read: DatabaseConnection,
    pub(crate) write: DatabaseConnection,
    pub(crate) appender: Appender,
    pub(crate) caches: Arc<Caches>,
    pub(crate) registry_watch: RevisionWatch,
    pub(crate) work: crate::wakeup::WorkSignal,
    pub(crate) commits: crate::live::Commits,
    pub(crate) deltas: crate::deltas::Deltas,
    backend: Backend,
    /// Held by every clone: background tasks that only need to know whether
    /// the store is still in use watch it.
    alive: Arc<()>,
}

impl Store {
    /// Connects to `url`: `sqlite://path?mode=rwc`, `sqlite::memory:` or `postgres://…`.
    ///
    /// # Errors
    /// `Validation` for an unsupported URL, `Internal` when the database is unreachable.
    pub async fn connect(url: &str, options: &Options) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = Database::connect(pool_options(url, options, options.max_connections))
                .await
                .map_err(crate::error::db_error)?;
            return Ok(Self::new(pool.clone(), pool, Backend::Postgres));
        }
        if !url.starts_with("sqlite:") {
            return Err(Error::validation(
                "database_url",
                "must start with sqlite: or postgres://",
            ));
        }
        // Each in-memory connection would be a database of its own: use just one.
        if url.contains(":memory:") || url.contains("mode=memory") {
            let pool = connect_sqlite(url, options, 1).await?;
            return Ok(Self::new(pool.clone(), pool, Backend::Sqlite));
        }
        let write = connect_sqlite(url, options, 1).await?;
        let read = connect_sqlite(url, options, options.max_connections).await?;
        let store = Self::new(read, write, Backend::Sqlite);
        crate::checkpoint::spawn(store.read.clone(), Arc::downgrade(&store.alive));
        Ok(store)
    }

    fn new(read: DatabaseConnection, write: DatabaseConnection, backend: Backend) -> Self {
        let commits = crate::live::Commits::spawn(read.clone(), backend);
        Self {
            appender: Appender::spawn(write.clone(), commits.clone()),
            commits,
            deltas: crate::deltas::Deltas::spawn(read.clone(), backend),
            caches: Arc::default(),
            registry_watch: RevisionWatch::spawn(read.clone(), backend),
            work: crate::wakeup::WorkSignal::spawn(read.clone(), backend),
            read,
            write,
            backend,
            alive: Arc::default(),
        }
    }

    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection that schema changes and writes go through.
    #[must_use]
    pub fn connection(&self) -> &DatabaseConnection {
        &self.write
    }

    /// Whether the database answers a round trip now.
    ///
    /// # Errors
    /// `Unavailable` when it cannot be reached.
    pub async fn ping(&self) -> Result<()> {
        self.read.ping().await.map_err(crate::error::db_error)
    }

    /// Closes both pools, waiting for connections in use to come back.
    ///
    /// # Errors
    /// `Internal` when a pool fails to close.
    pub async fn close(self) -> Result<()> {
        let same = self.backend == Backend::Postgres;
        self.write.close().await.map_err(crate::error::db_error)?;
        if !same {
            self.read.close().await.map_err(crate::error::db_error)?;
        }
        Ok(())
    }
}

/// Address space, not memory: pages are only mapped as they are read.
const MMAP_BYTES: u64 = 4 << 30;

fn pool_options(url: &str, options: &Options, max: u32) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max)
        .min_connections(1)
        .acquire_timeout(options.acquire_timeout)
        // A ping before every query would double the round trips of a point read; a
        // connection that sat idle long enough to have been cut is still tested.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    opts
}

async fn connect_sqlite(url: &str, options: &Options, max: u32) -> Result<DatabaseConnection> {
    SqliteConnectOptions::from_str(url)
        .map_err(|e| Error::validation("database_url", e.to_string()))?;
    let mut opts = pool_options(url, options, max);
    // FULL: a commit that was acknowledged survives power loss, not only a crash.
    opts.map_sqlx_sqlite_opts(|o| {
        o.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Reads through a memory map share the OS page cache across connections
            // instead of copying each page in with a system call: a feed page whose
            // rows lie far apart (a task's, in a big log) stays as fast as one whose
            // rows are adjacent.
            .pragma("mmap_size", MMAP_BYTES.to_string())
            .pragma(
                crate::checkpoint::NO_AUTOCHECKPOINT.0,
                crate::checkpoint::NO_AUTOCHECKPOINT.1,
            )
            .create_if_missing(true)
    });
    Database::connect(opts)
        .await
        .map_err(crate::error::db_error)
}
