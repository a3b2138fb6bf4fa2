//! Inbound channels and their inbox. An update is recorded once: the inbox
//! row and the chat message it became commit together, and a second delivery
//! finds the row and answers the message it names. The offset is the inbox
//! key's last entry for the channel, read from the primary key's index.

use agentry_domain::event::Event;
use agentry_domain::id::{ChannelId, EventId, ProjectId};
use agentry_domain::log::EventRepo as _;
use agentry_domain::operations::{Channel, ChannelKind, ChannelRepo, Received};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _,
};

use crate::Store;
use crate::entity::{channels, inbox};
use crate::error::{corrupt, db_error, unique};

fn channel_from(row: channels::Model) -> Result<Channel> {
    Ok(Channel {
        id: ChannelId(row.id),
        project_id: ProjectId(row.project_id),
        name: row.name,
        kind: ChannelKind::parse(&row.kind).map_err(|e| corrupt("channel kind", e))?,
        created_at: row.created_at,
    })
}

/// What a concurrent delivery of the same update meets on PostgreSQL (the
/// first one's row): it then reads what the first one recorded.
const DELIVERED: &str = "the update was delivered at the same time";

#[async_trait]
impl ChannelRepo for Store {
    async fn create_channel(&self, channel: &Channel, events: &[Event]) -> Result<()> {
        let row = channels::ActiveModel {
            id: Set(channel.id.0),
            project_id: Set(channel.project_id.0),
            name: Set(channel.name.clone()),
            kind: Set(channel.kind.as_str().to_owned()),
            created_at: Set(channel.created_at),
        };
        self.transact(events, async |txn| {
            channels::Entity::insert(row)
                .exec_without_returning(txn)
                .await
                .map_err(unique("a channel with this name exists in the project"))?;
            Ok(())
        })
        .await
    }

    async fn get_channel(&self, id: ChannelId) -> Result<Option<Channel>> {
        let row = channels::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?;
        row.map(channel_from).transpose()
    }

    async fn list_channels(&self, project: ProjectId) -> Result<Vec<Channel>> {
        channels::Entity::find()
            .filter(channels::Column::ProjectId.eq(project.0))
            .order_by_asc(channels::Column::Name)
            .all(&self.read)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(channel_from)
            .collect()
    }

    async fn receive(
        &self,
        channel: ChannelId,
        update_id: i64,
        message: &Event,
    ) -> Result<Received> {
        // Twice at most: a delivery that lost a race reads the winner's message.
        for _ in 0..2 {
            let mut before = None;
            let recorded = self
                .transact_if_changed(&[], async |txn| {
                    let found = inbox::Entity::find_by_id((channel.0, update_id))
                        .one(txn)
                        .await
                        .map_err(db_error)?;
                    if let Some(row) = found {
                        before = Some(row.event_id.map(EventId));
                        return Ok(false);
                    }
                    // The message first: the inbox row names it.
                    crate::events::insert(txn, std::slice::from_ref(message)).await?;
                    let row = inbox::ActiveModel {
                        channel_id: Set(channel.0),
                        update_id: Set(update_id),
                        event_id: Set(Some(message.id.0)),
                        received_at: Set(message.created_at),
                    };
                    inbox::Entity::insert(row)
                        .exec_without_returning(txn)
                        .await
                        .map_err(unique(DELIVERED))?;
                    Ok(true)
                })
                .await;
            match recorded {
                Ok(true) => {
                    return Ok(Received {
                        event: Some(message.clone()),
                        duplicate: false,
                    });
                }
                Ok(false) => {
                    let id = before.ok_or_else(|| Error::internal("no inbox row"))?;
                    // Gone when retention pruned it, even since the row was read.
                    let event = match id {
                        Some(id) => self.get_event(id).await?,
                        None => None,
                    };
                    return Ok(Received {
                        event,
                        duplicate: true,
                    });
                }
                Err(Error::Conflict(reason)) if reason == DELIVERED => {}
                Err(e) => return Err(e),
            }
        }
        Err(Error::unavailable(DELIVERED))
    }

    async fn offset(&self, channel: ChannelId) -> Result<i64> {
        let last: Option<i64> = inbox::Entity::find()
            .select_only()
            .column(inbox::Column::UpdateId)
            .filter(inbox::Column::ChannelId.eq(channel.0))
            .order_by_desc(inbox::Column::UpdateId)
            .limit(1)
            .into_tuple()
            .one(&self.read)
            .await
            .map_err(db_error)?;
        Ok(last.map_or(0, |id| id.saturating_add(1)))
    }
}
