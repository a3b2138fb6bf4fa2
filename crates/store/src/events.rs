//! The event log: appends, reads by id, and feed pages.

use agentry_domain::Result;
use agentry_domain::event::{Event, EventKind};
use agentry_domain::id::{EventId, MemberId, ProjectId, TaskId};
use agentry_domain::log::{EventFilter, EventRepo};
use async_trait::async_trait;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DbBackend, EntityTrait as _, QueryResult, Statement,
};
use uuid::Uuid;

use crate::Store;
use crate::entity::events::{ActiveModel, Entity};
use crate::error::db_error;

/// Inserts events with the connection or transaction of the change they record.
pub(crate) async fn insert(conn: &impl ConnectionTrait, events: &[Event]) -> Result<()> {
    // A few statement shapes serve every batch, each prepared once per
    // connection (a statement of thousands of parameters costs more to parse
    // than to run): one of exactly their number for a few events, else
    // statements of a power of two rows, under the databases' caps on bind
    // parameters.
    if events.is_empty() {
        return Ok(());
    }
    let seq = crate::live::next_seq(conn).await?;
    let mut rest = events;
    while !rest.is_empty() {
        let rows = if rest.len() <= ONE_STATEMENT_MAX {
            rest.len()
        } else {
            1 << rest.len().min(INSERT_ROWS_MAX).ilog2()
        };
        let (chunk, tail) = rest.split_at(rows);
        Entity::insert_many(chunk.iter().map(|e| to_row(e, seq)))
            .exec_without_returning(conn)
            .await
            .map_err(gone)?;
        rest = tail;
    }
    metrics::counter!("agentry_events_appended_total")
        .increment(u64::try_from(events.len()).unwrap_or(u64::MAX));
    Ok(())
}

/// What an event names (its parent, task, project) was deleted after the
/// caller looked: by retention, or a plan's deletion, meanwhile.
fn gone(err: sea_orm::DbErr) -> agentry_domain::Error {
    match err.sql_err() {
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => agentry_domain::Error::Conflict(
            "what the event refers to was deleted meanwhile (retention, or its plan)".into(),
        ),
        _ => db_error(err),
    }
}

/// Up to this many events, [`insert`] writes one statement: atomic without a
/// transaction.
pub(crate) const ONE_STATEMENT_MAX: usize = 32;

/// The most events one insert statement takes.
const INSERT_ROWS_MAX: usize = 256;

pub(crate) const ROWS_PER_STATEMENT: usize = 1_000;

fn to_row(event: &Event, seq: Option<i64>) -> ActiveModel {
    ActiveModel {
        seq: seq.map_or(NotSet, Set),
        id: Set(event.id.0),
        project_id: Set(event.project_id.map(|p| p.0)),
        kind: Set(event.kind.type_name().to_owned()),
        actor_id: Set(event.actor_id.map(|a| a.0)),
        task_id: Set(event.task_id.map(|t| t.0)),
        parent_id: Set(event.parent_id.map(|p| p.0)),
        payload: Set(event.kind.payload().clone()),
        created_at: Set(event.created_at),
        updated_at: Set(event.updated_at),
    }
}

/// A stored event's columns, in the order [`from_row`] reads them. The payload
/// comes as JSON text (PostgreSQL keeps `jsonb`); columns are read by position,
/// not looked up by name.
pub(crate) const COLUMNS: &str = "id, project_id, \"type\", actor_id, task_id, parent_id, \
                       CAST(payload AS TEXT) AS payload, created_at, updated_at";

pub(crate) fn from_row(row: &QueryResult) -> Result<Event> {
    let id: Uuid = row.try_get_by_index(0).map_err(db_error)?;
    let type_name: String = row.try_get_by_index(2).map_err(db_error)?;
    let payload: String = row.try_get_by_index(6).map_err(db_error)?;
    // Any type, known to this binary or not: the log serves what it stores.
    let payload = serde_json::from_str(&payload)
        .map_err(|e| crate::error::corrupt("event payload", format!("{id}: {e}")))?;
    let kind = EventKind::stored(type_name, payload);
    let optional = |n| row.try_get_by_index::<Option<Uuid>>(n).map_err(db_error);
    Ok(Event {
        id: EventId(id),
        project_id: optional(1)?.map(ProjectId),
        actor_id: optional(3)?.map(MemberId),
        task_id: optional(4)?.map(TaskId),
        parent_id: optional(5)?.map(EventId),
        kind,
        created_at: row.try_get_by_index(7).map_err(db_error)?,
        updated_at: row.try_get_by_index(8).map_err(db_error)?,
    })
}

impl Store {
    /// A feed page as index ranges: one for every type, or one per named type. Each
    /// range is equalities on an indexed prefix, ordered and bounded on the index's
    /// last column, `id`; several ranges go in one statement and the database merges
    /// them. Never an `IN` list, which would make it read and sort every matching row.
    async fn feed(&self, filter: &EventFilter) -> Result<Vec<Event>> {
        let (sql, params) = self.feed_query(filter);
        self.select(sql, params).await
    }

    fn feed_query(&self, filter: &EventFilter) -> (String, Params) {
        let limit = u64::from(filter.limit);
        let mut params = Params::new(self.read.get_database_backend());
        let ranges: Vec<String> = match filter.types.as_slice() {
            [] => vec![range(filter, None, limit, &mut params)],
            types => types
                .iter()
                .map(|kind| range(filter, Some(kind.as_str()), limit, &mut params))
                .collect(),
        };
        let sql = match ranges.as_slice() {
            [only] => only.clone(),
            _ => {
                let merged: Vec<String> = ranges
                    .iter()
                    .enumerate()
                    .map(|(n, range)| format!("SELECT * FROM ({range}) AS range{n}"))
                    .collect();
                format!(
                    "{} ORDER BY id DESC LIMIT {limit}",
                    merged.join(" UNION ALL ")
                )
            }
        };
        (sql, params)
    }

    /// How the database would read this feed page, one line per plan step: SQLite's
    /// `EXPLAIN QUERY PLAN` details, PostgreSQL's `EXPLAIN` text. For tests that pin
    /// the indexes. On PostgreSQL sequential scans are ruled out first: on a table
    /// of test size the planner rightly prefers them, and the question asked here
    /// is which index serves the query.
    ///
    /// # Errors
    /// `Internal` when the database refuses the statements.
    #[cfg(feature = "testing")]
    pub async fn explain_feed(&self, filter: &EventFilter) -> Result<Vec<String>> {
        use sea_orm::TransactionTrait as _;

        let (sql, params) = self.feed_query(filter);
        let txn = self.read.begin().await.map_err(db_error)?;
        let (prefix, column) = match params.backend {
            DbBackend::Postgres => {
                txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                    .await
                    .map_err(db_error)?;
                ("EXPLAIN", 0)
            }
            _ => ("EXPLAIN QUERY PLAN", 3),
        };
        let statement = Statement::from_sql_and_values(
            params.backend,
            format!("{prefix} {sql}"),
            params.values,
        );
        let rows = txn.query_all_raw(statement).await.map_err(db_error)?;
        txn.rollback().await.map_err(db_error)?;
        rows.iter()
            .map(|row| row.try_get_by_index(column).map_err(db_error))
            .collect()
    }

    /// Events selected by `sql` (which selects [`COLUMNS`]) with its parameters.
    async fn select(&self, sql: String, params: Params) -> Result<Vec<Event>> {
        let statement = Statement::from_sql_and_values(params.backend, sql, params.values);
        let rows = self.read.query_all_raw(statement).await.map_err(db_error)?;
        rows.iter().map(from_row).collect()
    }
}

/// The events of `ids` that exist, read within `conn` (a transaction's view).
pub(crate) async fn by_ids(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Event>> {
    let backend = conn.get_database_backend();
    let mut events = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let mut params = Params::new(backend);
        let list: Vec<String> = chunk.iter().map(|id| params.push(*id)).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE id IN ({})",
            list.join(", ")
        );
        let statement = Statement::from_sql_and_values(backend, sql, params.values);
        let rows = conn.query_all_raw(statement).await.map_err(db_error)?;
        for row in &rows {
            events.push(from_row(row)?);
        }
    }
    Ok(events)
}

/// One index range of a feed, newest first.
fn range(filter: &EventFilter, kind: Option<&str>, limit: u64, params: &mut Params) -> String {
    let mut conditions = Vec::new();
    // A task's or a parent's events all lie in its project, so naming the project
    // too would only tempt the planner onto the wider project index.
    if let Some(project) = filter.project_id
        && filter.task_id.is_none()
        && filter.parent_id.is_none()
    {
        conditions.push(format!("project_id = {}", params.push(project.0)));
    }
    if let Some(task) = filter.task_id {
        conditions.push(format!("task_id = {}", params.push(task.0)));
    }
    if let Some(parent) = filter.parent_id {
        conditions.push(format!("parent_id = {}", params.push(parent.0)));
    }
    if let Some(kind) = kind {
        conditions.push(format!("\"type\" = {}", params.push(kind)));
    }
    if let Some(before) = filter.before {
        conditions.push(format!("id < {}", params.push(before.0)));
    }
    let filtered = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    format!("SELECT {COLUMNS} FROM events{filtered} ORDER BY id DESC LIMIT {limit}")
}

/// Bind parameters in the placeholder style of the backend.
struct Params {
    backend: DbBackend,
    values: Vec<sea_orm::Value>,
}

impl Params {
    fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    fn push(&mut self, value: impl Into<sea_orm::Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }
}

#[async_trait]
impl EventRepo for Store {
    async fn append(&self, events: &[Event]) -> Result<()> {
        self.appender.append(events.to_vec()).await
    }

    async fn get_event(&self, id: EventId) -> Result<Option<Event>> {
        let mut params = Params::new(self.read.get_database_backend());
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE id = {}",
            params.push(id.0)
        );
        Ok(self.select(sql, params).await?.pop())
    }

    async fn list_events(&self, filter: &EventFilter) -> Result<Vec<Event>> {
        self.feed(filter).await
    }
}
