//! Projects, their members (humans and agents, unique `@handle` per project) and labels.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::names::{Labels, Members, Projects, Users};
use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Projects::Table)
                    .col(pk_uuid(Projects::Id))
                    .col(string_len(Projects::Name, 200))
                    .col(string_len_uniq(Projects::Key, 10))
                    .col(text(Projects::Description))
                    // The last task number handed out; bumped in the task's transaction.
                    .col(big_integer(Projects::TaskSeq).default(0))
                    .col(timestamp_with_time_zone(Projects::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Members::Table)
                    .col(pk_uuid(Members::Id))
                    .col(uuid(Members::ProjectId))
                    .col(string_len(Members::Kind, 10))
                    .col(uuid_null(Members::UserId))
                    .col(string_len(Members::Handle, 32))
                    .col(string_len(Members::DisplayName, 100))
                    .col(timestamp_with_time_zone(Members::CreatedAt))
                    .foreign_key(&mut fk(
                        Members::Table,
                        Members::ProjectId,
                        Projects::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Members::Table,
                        Members::UserId,
                        Users::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_members_project_handle",
                Members::Table,
                &["project_id", "handle"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "uq_members_project_user",
                Members::Table,
                &["project_id", "user_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_members_user",
                Members::Table,
                &["user_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Labels::Table)
                    .col(pk_uuid(Labels::Id))
                    .col(uuid(Labels::ProjectId))
                    .col(string_len(Labels::Name, 50))
                    // Lowercased name: label names are unique per project ignoring case.
                    .col(string_len(Labels::NameKey, 50))
                    .col(string_len(Labels::Color, 7))
                    .col(timestamp_with_time_zone(Labels::CreatedAt))
                    .foreign_key(&mut fk(
                        Labels::Table,
                        Labels::ProjectId,
                        Projects::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_labels_project_name",
                Labels::Table,
                &["project_id", "name_key"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Labels::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Members::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Projects::Table).to_owned())
            .await
    }
}
