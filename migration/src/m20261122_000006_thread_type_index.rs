//! Thread replies of given types (`parent_id` with `types`) get an index of their
//! own, as task feeds have. Without it the database walked the `(type, id)` index,
//! every event of the type in the log, to find a thread's replies among them.

use sea_orm_migration::prelude::*;

use crate::index;
use crate::names::Events;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const NAME: &str = "idx_events_parent_type";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                NAME,
                Events::Table,
                &["parent_id", "type", "id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Events::Table).to_owned())
            .await
    }
}
