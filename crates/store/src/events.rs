//! The event log: appends, reads by id, and feed pages.

use agentry_domain::id::{EventId, MemberId, ProjectId, TaskId};
use agentry_domain::log::{Event, EventFilter, EventKind};
use agentry_domain::ports::EventRepo;
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _,
};

use crate::Store;
use crate::entity::events::{ActiveModel, Column, Entity, Model};
use crate::error::internal;

/// Inserts events with the connection or transaction of the change they record.
pub(crate) async fn insert(conn: &impl ConnectionTrait, events: &[Event]) -> Result<()> {
    // Bounded statements: both databases cap the bind parameters of one statement.
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let rows = chunk.iter().map(to_row).collect::<Result<Vec<_>>>()?;
        Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await
            .map_err(internal)?;
    }
    Ok(())
}

pub(crate) const ROWS_PER_STATEMENT: usize = 1_000;

fn to_row(event: &Event) -> Result<ActiveModel> {
    Ok(ActiveModel {
        id: Set(event.id.0),
        project_id: Set(event.project_id.map(|p| p.0)),
        kind: Set(event.kind.type_name().to_owned()),
        actor_id: Set(event.actor_id.map(|a| a.0)),
        task_id: Set(event.task_id.map(|t| t.0)),
        parent_id: Set(event.parent_id.map(|p| p.0)),
        payload: Set(event.kind.payload()?),
        created_at: Set(event.created_at),
        updated_at: Set(event.updated_at),
    })
}

fn from_row(row: Model) -> Result<Event> {
    let kind = EventKind::from_parts(&row.kind, row.payload)
        .map_err(|e| crate::error::corrupt("event", format!("{}: {e}", row.id)))?;
    Ok(Event {
        id: EventId(row.id),
        project_id: row.project_id.map(ProjectId),
        actor_id: row.actor_id.map(MemberId),
        task_id: row.task_id.map(TaskId),
        parent_id: row.parent_id.map(EventId),
        kind,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

impl Store {
    /// One index range per call: every condition is an equality on an indexed prefix,
    /// and the order and bound are on the index's last column, `id`.
    async fn feed_range(
        &self,
        filter: &EventFilter,
        kind: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Model>> {
        let mut query = Entity::find();
        // A task's or a parent's events all lie in its project, so naming the project
        // too would only tempt the planner onto the wider project index.
        if let Some(project) = filter.project_id
            && filter.task_id.is_none()
            && filter.parent_id.is_none()
        {
            query = query.filter(Column::ProjectId.eq(project.0));
        }
        if let Some(task) = filter.task_id {
            query = query.filter(Column::TaskId.eq(task.0));
        }
        if let Some(parent) = filter.parent_id {
            query = query.filter(Column::ParentId.eq(parent.0));
        }
        if let Some(kind) = kind {
            query = query.filter(Column::Kind.eq(kind));
        }
        if let Some(before) = filter.before {
            query = query.filter(Column::Id.lt(before.0));
        }
        query
            .order_by_desc(Column::Id)
            .limit(limit)
            .all(&self.read)
            .await
            .map_err(internal)
    }
}

#[async_trait]
impl EventRepo for Store {
    async fn append(&self, events: &[Event]) -> Result<()> {
        self.appender.append(events.to_vec()).await
    }

    async fn get_event(&self, id: EventId) -> Result<Option<Event>> {
        let row = Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(internal)?;
        row.map(from_row).transpose()
    }

    async fn list_events(&self, filter: &EventFilter) -> Result<Vec<Event>> {
        let limit = u64::from(filter.limit);
        let rows = match filter.types.as_slice() {
            [] => self.feed_range(filter, None, limit).await?,
            [only] => self.feed_range(filter, Some(only), limit).await?,
            // Several types: the newest `limit` of each, merged. An `IN` list would
            // make the database read and sort every matching row instead.
            types => {
                let ranges = types
                    .iter()
                    .map(|kind| self.feed_range(filter, Some(kind), limit));
                let mut merged: Vec<Model> = futures::future::try_join_all(ranges)
                    .await?
                    .into_iter()
                    .flatten()
                    .collect();
                merged.sort_by_key(|row| std::cmp::Reverse(row.id));
                merged.truncate(usize::try_from(limit).map_err(Error::internal)?);
                merged
            }
        };
        rows.into_iter().map(from_row).collect()
    }
}
