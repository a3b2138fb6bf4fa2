//! How many days a project keeps its events; empty: all of them. A setting,
//! not state: what retention has done is in the log (`events.pruned`).

use sea_orm_migration::prelude::*;

use crate::names::Projects;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Projects::Table)
                    .add_column(ColumnDef::new(Projects::RetentionDays).integer().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Projects::Table)
                    .drop_column(Projects::RetentionDays)
                    .to_owned(),
            )
            .await
    }
}
