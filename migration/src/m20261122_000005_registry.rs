//! The assistant registry: assistants, tools, which assistant uses which tool, each
//! user's thread with an assistant, and one revision counter that every registry
//! change bumps (what caches in other processes compare against). Agent members may
//! name the assistant they are.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::names::{
    AssistantToolLink, Assistants, Members, RegistryRevision, Tools, UserAssistantThreads, Users,
};
use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Assistants::Table)
                    .col(pk_uuid(Assistants::Id))
                    .col(string_len_uniq(Assistants::Name, 255))
                    .col(boolean(Assistants::IsSecretary).default(false))
                    .col(string_len(Assistants::Model, 255))
                    .col(text(Assistants::Instructions))
                    .col(string_len(Assistants::AssistantType, 50))
                    .col(string_len_null(Assistants::OpenaiAssistantId, 255))
                    .col(boolean(Assistants::IsActive).default(true))
                    .col(big_integer(Assistants::Revision))
                    .col(timestamp_with_time_zone(Assistants::CreatedAt))
                    .col(timestamp_with_time_zone(Assistants::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // At most one active secretary: a partial unique index, on both databases.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_assistants_active_secretary ON assistants (is_secretary) \
                 WHERE is_secretary AND is_active",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Tools::Table)
                    .col(pk_uuid(Tools::Id))
                    .col(string_len_uniq(Tools::Name, 64))
                    .col(string_len(Tools::ToolType, 20))
                    .col(text(Tools::Description))
                    .col(json_binary(Tools::InputSchema))
                    .col(uuid_null(Tools::AssistantId))
                    .col(boolean(Tools::IsActive).default(true))
                    .col(big_integer(Tools::Revision))
                    .col(timestamp_with_time_zone(Tools::CreatedAt))
                    .col(timestamp_with_time_zone(Tools::UpdatedAt))
                    .foreign_key(&mut fk(
                        Tools::Table,
                        Tools::AssistantId,
                        Assistants::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_tools_assistant",
                Tools::Table,
                &["assistant_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AssistantToolLink::Table)
                    .col(pk_uuid(AssistantToolLink::Id))
                    .col(uuid(AssistantToolLink::AssistantId))
                    .col(uuid(AssistantToolLink::ToolId))
                    .col(uuid_null(AssistantToolLink::SubAssistantId))
                    .col(boolean(AssistantToolLink::IsActive).default(true))
                    .col(timestamp_with_time_zone(AssistantToolLink::CreatedAt))
                    .col(timestamp_with_time_zone(AssistantToolLink::UpdatedAt))
                    .foreign_key(&mut fk(
                        AssistantToolLink::Table,
                        AssistantToolLink::AssistantId,
                        Assistants::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        AssistantToolLink::Table,
                        AssistantToolLink::ToolId,
                        Tools::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .foreign_key(&mut fk(
                        AssistantToolLink::Table,
                        AssistantToolLink::SubAssistantId,
                        Assistants::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_assistant_tool_link",
                AssistantToolLink::Table,
                &["assistant_id", "tool_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_assistant_tool_link_tool",
                AssistantToolLink::Table,
                &["tool_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserAssistantThreads::Table)
                    .col(pk_uuid(UserAssistantThreads::Id))
                    .col(uuid(UserAssistantThreads::UserId))
                    .col(uuid(UserAssistantThreads::AssistantId))
                    .col(string_len(UserAssistantThreads::ThreadId, 255))
                    .col(timestamp_with_time_zone(UserAssistantThreads::LastUsed))
                    .col(timestamp_with_time_zone(UserAssistantThreads::CreatedAt))
                    .col(timestamp_with_time_zone(UserAssistantThreads::UpdatedAt))
                    .foreign_key(&mut fk(
                        UserAssistantThreads::Table,
                        UserAssistantThreads::UserId,
                        Users::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        UserAssistantThreads::Table,
                        UserAssistantThreads::AssistantId,
                        Assistants::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_user_assistant_threads",
                UserAssistantThreads::Table,
                &["user_id", "assistant_id"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RegistryRevision::Table)
                    .col(integer(RegistryRevision::Id).primary_key())
                    .col(big_integer(RegistryRevision::Revision))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(RegistryRevision::Table)
                    .columns([RegistryRevision::Id, RegistryRevision::Revision])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await?;
        // No foreign key: SQLite cannot drop a column that has one, and down() must
        // work there. Deleting an assistant checks for members naming it instead.
        manager
            .alter_table(
                Table::alter()
                    .table(Members::Table)
                    .add_column(uuid_null(Members::AssistantId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Members::Table)
                    .drop_column(Members::AssistantId)
                    .to_owned(),
            )
            .await?;
        for table in [
            RegistryRevision::Table.into_iden(),
            UserAssistantThreads::Table.into_iden(),
            AssistantToolLink::Table.into_iden(),
            Tools::Table.into_iden(),
            Assistants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
