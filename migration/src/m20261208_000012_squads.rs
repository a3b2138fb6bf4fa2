//! Squads and their workflows: squads of registry assistants, their members,
//! workflows with every version's sealed definition, and the template library.
//! Tables in dependency order; `down()` drops them in reverse.
//!
//! A price is an exact decimal: `NUMERIC(10, 6)` on PostgreSQL, and on SQLite,
//! which has no exact decimal type, the decimal's text (a `NUMERIC` column
//! there would turn it into a float).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::names::{
    Assistants, SquadMembers, Squads, Users, WorkflowTemplates, WorkflowVersions, Workflows,
};
use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// A status column of a squad or a workflow.
fn status(column: impl IntoIden) -> ColumnDef {
    string_len(column, 20)
        .default("draft")
        .check(Expr::cust("status IN ('draft', 'active', 'inactive')"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let price = if manager.get_database_backend() == DbBackend::Postgres {
            decimal_len(Squads::PricePerExecution, 10, 6)
                .default(0)
                .check(Expr::cust("price_per_execution >= 0"))
                .to_owned()
        } else {
            string_len(Squads::PricePerExecution, 16)
                .default("0.000000")
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(Squads::Table)
                    .col(pk_uuid(Squads::Id))
                    .col(uuid(Squads::CreatorId))
                    .col(string_len(Squads::Name, 255))
                    .col(text(Squads::Description))
                    .col(status(Squads::Status))
                    .col(price)
                    .col(timestamp_with_time_zone_null(Squads::PublishedAt))
                    .col(big_integer(Squads::Revision))
                    .col(timestamp_with_time_zone(Squads::CreatedAt))
                    .col(timestamp_with_time_zone(Squads::UpdatedAt))
                    .foreign_key(&mut fk(
                        Squads::Table,
                        Squads::CreatorId,
                        Users::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        // Each index ends in the column a listing pages by.
        manager
            .create_index(index(
                "idx_squads_creator",
                Squads::Table,
                &["creator_id", "id"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_squads_status",
                Squads::Table,
                &["status", "id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SquadMembers::Table)
                    .col(pk_uuid(SquadMembers::Id))
                    .col(uuid(SquadMembers::SquadId))
                    .col(uuid(SquadMembers::AgentId))
                    .col(string_len(SquadMembers::Role, 50).default("member"))
                    .col(timestamp_with_time_zone(SquadMembers::AddedAt))
                    .foreign_key(&mut fk(
                        SquadMembers::Table,
                        SquadMembers::SquadId,
                        Squads::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        SquadMembers::Table,
                        SquadMembers::AgentId,
                        Assistants::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_squad_members",
                SquadMembers::Table,
                &["squad_id", "agent_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_squad_members_agent",
                SquadMembers::Table,
                &["agent_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Workflows::Table)
                    .col(pk_uuid(Workflows::Id))
                    .col(uuid(Workflows::SquadId))
                    .col(string_len(Workflows::Name, 255))
                    .col(text(Workflows::Description))
                    // The current version (sealed definition, key, digest, who saved
                    // it and when), so that reading it is one row.
                    .col(blob(Workflows::DefinitionEncrypted))
                    .col(blob(Workflows::DefinitionIv))
                    .col(string_len(Workflows::DefinitionKey, 64))
                    .col(string_len(Workflows::DefinitionDigest, 80))
                    .col(uuid(Workflows::DefinitionSavedBy))
                    .col(timestamp_with_time_zone(Workflows::DefinitionSavedAt))
                    .col(integer(Workflows::Version).default(1))
                    .col(status(Workflows::Status))
                    .col(big_integer(Workflows::Revision))
                    .col(timestamp_with_time_zone(Workflows::CreatedAt))
                    .col(timestamp_with_time_zone(Workflows::UpdatedAt))
                    .foreign_key(&mut fk(
                        Workflows::Table,
                        Workflows::SquadId,
                        Squads::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_workflows_squad",
                Workflows::Table,
                &["squad_id", "id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WorkflowVersions::Table)
                    .col(pk_uuid(WorkflowVersions::Id))
                    .col(uuid(WorkflowVersions::WorkflowId))
                    .col(integer(WorkflowVersions::Version))
                    .col(blob(WorkflowVersions::DefinitionEncrypted))
                    .col(blob(WorkflowVersions::DefinitionIv))
                    .col(string_len(WorkflowVersions::KeyId, 64))
                    .col(string_len(WorkflowVersions::Digest, 80))
                    .col(uuid(WorkflowVersions::CreatedBy))
                    .col(timestamp_with_time_zone(WorkflowVersions::CreatedAt))
                    .foreign_key(&mut fk(
                        WorkflowVersions::Table,
                        WorkflowVersions::WorkflowId,
                        Workflows::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        WorkflowVersions::Table,
                        WorkflowVersions::CreatedBy,
                        Users::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_workflow_versions",
                WorkflowVersions::Table,
                &["workflow_id", "version"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WorkflowTemplates::Table)
                    .col(pk_uuid(WorkflowTemplates::Id))
                    .col(string_len(WorkflowTemplates::Name, 255))
                    .col(text(WorkflowTemplates::Description))
                    .col(string_len(WorkflowTemplates::Category, 100))
                    .col(json_binary(WorkflowTemplates::Definition))
                    .col(boolean(WorkflowTemplates::IsBuiltin).default(false))
                    .col(uuid_null(WorkflowTemplates::CreatorId))
                    .col(big_integer(WorkflowTemplates::UsageCount).default(0))
                    // A built-in's shipped definition, digested: see `Template::shipped`.
                    .col(string_len_null(WorkflowTemplates::ShippedDigest, 80))
                    .col(big_integer(WorkflowTemplates::Revision))
                    .col(timestamp_with_time_zone(WorkflowTemplates::CreatedAt))
                    .col(timestamp_with_time_zone(WorkflowTemplates::UpdatedAt))
                    .foreign_key(&mut fk(
                        WorkflowTemplates::Table,
                        WorkflowTemplates::CreatorId,
                        Users::Table,
                        ForeignKeyAction::NoAction,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_workflow_templates_category",
                WorkflowTemplates::Table,
                &["category", "id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WorkflowTemplates::Table.into_iden(),
            WorkflowVersions::Table.into_iden(),
            Workflows::Table.into_iden(),
            SquadMembers::Table.into_iden(),
            Squads::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
