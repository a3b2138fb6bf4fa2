//! Events get `seq`, their place in commit order, for live feeds that must not
//! skip an event committed late. On PostgreSQL it is the writing transaction's
//! id (`pg_current_xact_id()`): an event whose `seq` is below the oldest
//! running transaction's can no longer be preceded by one yet to commit. On
//! SQLite, where writers take turns, the store numbers each write past the
//! highest `seq`. Events from before have `seq` 0, in id order.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::index;
use crate::names::Events;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const NAME: &str = "idx_events_seq";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Events::Table)
                    .add_column(
                        ColumnDef::new(Events::Seq)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE events ALTER COLUMN seq \
                     SET DEFAULT (pg_current_xact_id()::text)::bigint",
                )
                .await?;
        }
        manager
            .create_index(index(NAME, Events::Table, &["seq", "id"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Events::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Events::Table)
                    .drop_column(Events::Seq)
                    .to_owned(),
            )
            .await
    }
}
