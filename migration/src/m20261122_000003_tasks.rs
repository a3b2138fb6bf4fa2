//! Tasks (one entity for the tracker and the plan engine), their labels and links.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::names::{Labels, Members, Projects, TaskLabels, TaskLinks, Tasks};
use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .col(pk_uuid(Tasks::Id))
                    .col(uuid(Tasks::ProjectId))
                    .col(big_integer(Tasks::Number))
                    .col(text(Tasks::Title))
                    .col(text(Tasks::Description))
                    .col(string_len(Tasks::Status, 20))
                    .col(string_len(Tasks::Priority, 10))
                    .col(uuid_null(Tasks::AssigneeId))
                    .col(big_integer(Tasks::Version))
                    .col(timestamp_with_time_zone(Tasks::CreatedAt))
                    .col(timestamp_with_time_zone(Tasks::UpdatedAt))
                    .foreign_key(&mut fk(
                        Tasks::Table,
                        Tasks::ProjectId,
                        Projects::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Tasks::Table,
                        Tasks::AssigneeId,
                        Members::Table,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_tasks_project_number",
                Tasks::Table,
                &["project_id", "number"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_tasks_project_status",
                Tasks::Table,
                &["project_id", "status", "number"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_tasks_assignee",
                Tasks::Table,
                &["assignee_id", "number"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TaskLabels::Table)
                    .col(uuid(TaskLabels::TaskId))
                    .col(uuid(TaskLabels::LabelId))
                    .col(timestamp_with_time_zone(TaskLabels::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(TaskLabels::TaskId)
                            .col(TaskLabels::LabelId),
                    )
                    .foreign_key(&mut fk(
                        TaskLabels::Table,
                        TaskLabels::TaskId,
                        Tasks::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        TaskLabels::Table,
                        TaskLabels::LabelId,
                        Labels::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_task_labels_label",
                TaskLabels::Table,
                &["label_id"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TaskLinks::Table)
                    .col(pk_uuid(TaskLinks::Id))
                    .col(uuid(TaskLinks::ProjectId))
                    .col(uuid(TaskLinks::SourceId))
                    .col(uuid(TaskLinks::TargetId))
                    .col(string_len(TaskLinks::Kind, 20))
                    .col(timestamp_with_time_zone(TaskLinks::CreatedAt))
                    .foreign_key(&mut fk(
                        TaskLinks::Table,
                        TaskLinks::ProjectId,
                        Projects::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        TaskLinks::Table,
                        TaskLinks::SourceId,
                        Tasks::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        TaskLinks::Table,
                        TaskLinks::TargetId,
                        Tasks::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "uq_task_links",
                TaskLinks::Table,
                &["source_id", "target_id", "kind"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_task_links_target",
                TaskLinks::Table,
                &["target_id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TaskLinks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(TaskLabels::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Tasks::Table).to_owned())
            .await
    }
}
