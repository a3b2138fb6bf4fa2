//! Inbound channels and their inbox. The inbox holds which updates each channel has
//! received, under the sender's `update_id`: its key `(channel_id, update_id)`
//! makes an update recorded once however often it is delivered, and a bridge's
//! offset is derived from it (`MAX(update_id) + 1`, the key's last entry), so no
//! table keeps one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::names::{Channels, Events, Inbox, Projects};
use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Channels::Table)
                    .col(pk_uuid(Channels::Id))
                    .col(uuid(Channels::ProjectId))
                    .col(string_len(Channels::Name, 100))
                    .col(string_len(Channels::Kind, 32))
                    .col(timestamp_with_time_zone(Channels::CreatedAt))
                    .foreign_key(&mut fk(
                        Channels::Table,
                        Channels::ProjectId,
                        Projects::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_channels_project_name",
                Channels::Table,
                &["project_id", "name"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Inbox::Table)
                    .col(uuid(Inbox::ChannelId))
                    .col(big_integer(Inbox::UpdateId))
                    // Emptied when retention prunes the message; the row stays: it
                    // is how a redelivery is known, and where the offset comes from.
                    .col(uuid_null(Inbox::EventId))
                    .col(timestamp_with_time_zone(Inbox::ReceivedAt))
                    .primary_key(Index::create().col(Inbox::ChannelId).col(Inbox::UpdateId))
                    .foreign_key(&mut fk(
                        Inbox::Table,
                        Inbox::ChannelId,
                        Channels::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        Inbox::Table,
                        Inbox::EventId,
                        Events::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        // Retention empties the rows that name the messages it deletes.
        manager
            .create_index(index("idx_inbox_event", Inbox::Table, &["event_id"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Inbox::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Channels::Table).to_owned())
            .await
    }
}
