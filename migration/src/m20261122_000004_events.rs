//! The one append-only event log, and the attachments that belong to its events.
//!
//! Feeds read newest first by `id` (UUID v7, so id order is creation order), and
//! every feed filter has an index that ends in `id`: a page is a bounded range scan
//! whatever the log's size. A multi-type filter reads one such range per type.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::names::{Attachments, Events, Members, Projects, Tasks};
use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const EVENT_INDEXES: [(&str, &[&str]); 6] = [
    ("idx_events_project", &["project_id", "id"]),
    ("idx_events_project_type", &["project_id", "type", "id"]),
    ("idx_events_task", &["task_id", "id"]),
    ("idx_events_task_type", &["task_id", "type", "id"]),
    ("idx_events_parent", &["parent_id", "id"]),
    ("idx_events_type", &["type", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(pk_uuid(Events::Id))
                    // Empty only for kinds that belong to no project (users, tokens, …).
                    .col(uuid_null(Events::ProjectId))
                    .col(string_len(Events::Type, 50))
                    .col(uuid_null(Events::ActorId))
                    .col(uuid_null(Events::TaskId))
                    .col(uuid_null(Events::ParentId))
                    .col(json_binary(Events::Payload))
                    .col(timestamp_with_time_zone(Events::CreatedAt))
                    .col(timestamp_with_time_zone(Events::UpdatedAt))
                    .foreign_key(&mut fk(
                        Events::Table,
                        Events::ProjectId,
                        Projects::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        Events::Table,
                        Events::ActorId,
                        Members::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        Events::Table,
                        Events::TaskId,
                        Tasks::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        Events::Table,
                        Events::ParentId,
                        Events::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in EVENT_INDEXES {
            manager
                .create_index(index(name, Events::Table, columns, false))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .col(pk_uuid(Attachments::Id))
                    .col(uuid(Attachments::EventId))
                    .col(uuid(Attachments::ProjectId))
                    .col(string_len(Attachments::Filename, 255))
                    .col(string_len(Attachments::ContentType, 255))
                    .col(big_integer(Attachments::SizeBytes))
                    .col(string_len(Attachments::Sha256, 64))
                    .col(string_len(Attachments::StorageKey, 255))
                    .col(timestamp_with_time_zone(Attachments::CreatedAt))
                    .foreign_key(&mut fk(
                        Attachments::Table,
                        Attachments::EventId,
                        Events::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        Attachments::Table,
                        Attachments::ProjectId,
                        Projects::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_attachments_event",
                Attachments::Table,
                &["event_id", "id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Attachments::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await
    }
}
