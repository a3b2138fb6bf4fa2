//! The log in commit order, for live feeds (the domain's `LiveLog`).
//!
//! Positions are `(seq, id)`. On PostgreSQL `seq` is the writing
//! transaction's id, set by the column's default; an event is handed out only
//! once its `seq` is below the oldest transaction still running
//! (`pg_snapshot_xmin`), so no transaction can still commit an event before
//! it. On SQLite writers take turns under the database's write lock, and each
//! write numbers its events one past the highest `seq`.
//!
//! Commits are counted: this process's own at once (after each commit that
//! wrote events), other processes' through `NOTIFY agentry_events` on
//! PostgreSQL, sent after the commits, one for a burst of them; on SQLite another process's writes are seen when a feed looks
//! again (every 100 ms).

use std::sync::Arc;
use std::time::Duration;

use agentry_domain::Result;
use agentry_domain::event::Event;
use agentry_domain::id::EventId;
use agentry_domain::log::{LiveLog, LogPosition};
use async_trait::async_trait;
use sea_orm::{ConnectionTrait as _, DatabaseConnection, DbBackend, Statement};
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use crate::error::db_error;
use crate::events::{COLUMNS, from_row};
use crate::{Backend, Store};

/// The channel commits that wrote events are announced on.
pub(crate) const CHANNEL: &str = "agentry_events";

/// On PostgreSQL, the lowest transaction id still running: every event below
/// it is committed (or never will be).
const HORIZON: &str = "(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint";

/// Counts commits that wrote events.
#[derive(Clone, Debug)]
pub(crate) struct Commits {
    counter: Arc<watch::Sender<u64>>,
    /// On PostgreSQL, asks for a `NOTIFY` to other processes; full while
    /// one is pending, so commits meanwhile share it.
    announce: Option<mpsc::Sender<()>>,
}

impl Commits {
    pub(crate) fn spawn(conn: DatabaseConnection, backend: Backend) -> Self {
        let counter = Arc::new(watch::Sender::new(0));
        if backend != Backend::Postgres {
            return Self {
                counter,
                announce: None,
            };
        }
        let weak = Arc::downgrade(&counter);
        tokio::spawn(crate::listen::listen(
            conn.clone(),
            CHANNEL,
            "events",
            move |_| {
                let counter = weak.upgrade();
                Box::pin(async move { counter.map(|c| c.send_modify(|n| *n += 1)).is_some() })
            },
        ));
        let (announce, asked) = mpsc::channel(1);
        tokio::spawn(announcer(conn, asked));
        Self {
            counter,
            announce: Some(announce),
        }
    }

    /// After a commit that wrote events.
    pub(crate) fn bump(&self) {
        self.counter.send_modify(|n| *n += 1);
        if let Some(announce) = &self.announce {
            let _ = announce.try_send(());
        }
    }
}

/// Tells other processes that events were committed, after the commits and
/// outside them: a write does not wait for it, and a burst of commits shares
/// one notice. A notice lost to a crash only delays the others until they
/// look again.
async fn announcer(conn: DatabaseConnection, mut asked: mpsc::Receiver<()>) {
    while asked.recv().await.is_some() {
        match conn.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await {
            Ok(_) => {}
            Err(e) if crate::listen::pool_closed(&e) => return,
            Err(e) => tracing::warn!(
                error = %e,
                "announcing new events failed; other processes look again soon"
            ),
        }
    }
}

/// `seq` for the events a write is about to insert: on SQLite one past the
/// highest (the write lock is held or about to be taken); on PostgreSQL the
/// column's default, the transaction's id.
pub(crate) async fn next_seq(conn: &impl sea_orm::ConnectionTrait) -> Result<Option<i64>> {
    if conn.get_database_backend() != DbBackend::Sqlite {
        return Ok(None);
    }
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM events",
        ))
        .await
        .map_err(db_error)?;
    let next = row
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()
        .map_err(db_error)?;
    Ok(Some(next.unwrap_or(1)))
}

impl Store {
    fn below_horizon(&self) -> &'static str {
        match self.backend() {
            Backend::Postgres => " AND seq < (SELECT h FROM horizon)",
            Backend::Sqlite => "",
        }
    }

    fn with_horizon(&self) -> String {
        match self.backend() {
            Backend::Postgres => format!("WITH horizon AS (SELECT {HORIZON} AS h) "),
            Backend::Sqlite => String::new(),
        }
    }

    fn placeholder(&self, n: usize) -> String {
        match self.backend() {
            Backend::Postgres => format!("${n}"),
            Backend::Sqlite => "?".to_owned(),
        }
    }

    fn statement(&self, sql: String, values: Vec<sea_orm::Value>) -> Statement {
        Statement::from_sql_and_values(self.read.get_database_backend(), sql, values)
    }
}

#[async_trait]
impl LiveLog for Store {
    async fn committed_after(
        &self,
        after: LogPosition,
        limit: u32,
    ) -> Result<Vec<(LogPosition, Event)>> {
        let sql = format!(
            "{}SELECT {COLUMNS}, seq FROM events WHERE (seq, id) > ({}, {}){} \
             ORDER BY seq, id LIMIT {}",
            self.with_horizon(),
            self.placeholder(1),
            self.placeholder(2),
            self.below_horizon(),
            limit.max(1),
        );
        let statement = self.statement(sql, vec![after.seq.into(), after.id.0.into()]);
        let rows = self.read.query_all_raw(statement).await.map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let event = from_row(row)?;
                let seq: i64 = row.try_get_by_index(9).map_err(db_error)?;
                Ok((LogPosition { seq, id: event.id }, event))
            })
            .collect()
    }

    async fn position(&self, id: EventId) -> Result<Option<LogPosition>> {
        let sql = format!("SELECT seq FROM events WHERE id = {}", self.placeholder(1));
        let row = self
            .read
            .query_one_raw(self.statement(sql, vec![id.0.into()]))
            .await
            .map_err(db_error)?;
        row.map(|r| {
            let seq: i64 = r.try_get_by_index(0).map_err(db_error)?;
            Ok(LogPosition { seq, id })
        })
        .transpose()
    }

    async fn head(&self) -> Result<LogPosition> {
        let sql = format!(
            "{}SELECT seq, id FROM events WHERE 1 = 1{} ORDER BY seq DESC, id DESC LIMIT 1",
            self.with_horizon(),
            self.below_horizon(),
        );
        let row = self
            .read
            .query_one_raw(self.statement(sql, Vec::new()))
            .await
            .map_err(db_error)?;
        let Some(row) = row else {
            return Ok(LogPosition::START);
        };
        let seq: i64 = row.try_get_by_index(0).map_err(db_error)?;
        let id: Uuid = row.try_get_by_index(1).map_err(db_error)?;
        Ok(LogPosition {
            seq,
            id: EventId(id),
        })
    }

    async fn changed(&self, seen: u64, at_most: Duration) -> u64 {
        let mut commits = self.commits.counter.subscribe();
        if *commits.borrow_and_update() == seen {
            let _ = tokio::time::timeout(at_most, commits.changed()).await;
        }
        *commits.borrow()
    }
}
