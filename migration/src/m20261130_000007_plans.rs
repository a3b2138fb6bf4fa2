//! Plans: the `plans` table, a plan task's execution columns on `tasks`, and
//! `task_dependencies`, indexed both ways so that "what does this task wait for"
//! and "which tasks wait for this one" are index lookups.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::names::{Members, Plans, Projects, TaskDependencies, Tasks, UserAssistantThreads};
use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The execution columns, added one by one (SQLite alters one column at a time).
fn task_columns() -> Vec<ColumnDef> {
    vec![
        uuid_null(Tasks::PlanId),
        string_len_null(Tasks::ClientId, 64),
        text_null(Tasks::AgentType),
        boolean(Tasks::CanParallel).default(true).to_owned(),
        integer(Tasks::Progress).default(0).to_owned(),
        integer(Tasks::RetryCount).default(0).to_owned(),
        integer(Tasks::MaxRetries).default(0).to_owned(),
        text_null(Tasks::ErrorMessage),
        text_null(Tasks::Result),
        timestamp_with_time_zone_null(Tasks::StartedAt),
        timestamp_with_time_zone_null(Tasks::CompletedAt),
        // How many dependencies are not done yet; NULL outside a plan.
        integer_null(Tasks::DepsOpen),
        // A retry's earliest start.
        timestamp_with_time_zone_null(Tasks::NotBefore),
        string_len_null(Tasks::LeaseOwner, 255),
        timestamp_with_time_zone_null(Tasks::LeaseUntil),
        big_integer(Tasks::Fence).default(0).to_owned(),
    ]
}

const TASK_INDEXES: [(&str, &[&str]); 3] = [
    ("idx_tasks_plan_status", &["plan_id", "status"]),
    // Ready work: no open dependency, waiting, due.
    ("idx_tasks_ready", &["deps_open", "status", "not_before"]),
    // Expired leases.
    ("idx_tasks_lease", &["status", "lease_until"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Plans::Table)
                    .col(pk_uuid(Plans::Id))
                    .col(uuid(Plans::ProjectId))
                    .col(uuid_null(Plans::ThreadId))
                    .col(text(Plans::Goal))
                    .col(string_len(Plans::Status, 20))
                    .col(boolean(Plans::Aborted))
                    .col(uuid_null(Plans::CreatedBy))
                    .col(timestamp_with_time_zone(Plans::CreatedAt))
                    .col(timestamp_with_time_zone(Plans::UpdatedAt))
                    .foreign_key(&mut fk(
                        Plans::Table,
                        Plans::ProjectId,
                        Projects::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Plans::Table,
                        Plans::ThreadId,
                        UserAssistantThreads::Table,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        Plans::Table,
                        Plans::CreatedBy,
                        Members::Table,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_plans_project", &["project_id", "id"][..]),
            (
                "idx_plans_project_status",
                &["project_id", "status", "id"][..],
            ),
            ("idx_plans_thread", &["thread_id"][..]),
        ] {
            manager
                .create_index(index(name, Plans::Table, columns, false))
                .await?;
        }
        for column in task_columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tasks::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for (name, columns) in TASK_INDEXES {
            manager
                .create_index(index(name, Tasks::Table, columns, false))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(TaskDependencies::Table)
                    .col(uuid(TaskDependencies::TaskId))
                    .col(uuid(TaskDependencies::DependsOnId))
                    .primary_key(
                        Index::create()
                            .col(TaskDependencies::TaskId)
                            .col(TaskDependencies::DependsOnId),
                    )
                    .foreign_key(&mut fk(
                        TaskDependencies::Table,
                        TaskDependencies::TaskId,
                        Tasks::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        TaskDependencies::Table,
                        TaskDependencies::DependsOnId,
                        Tasks::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_task_dependencies_depends_on",
                TaskDependencies::Table,
                &["depends_on_id", "task_id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TaskDependencies::Table).to_owned())
            .await?;
        for (name, _) in TASK_INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Tasks::Table).to_owned())
                .await?;
        }
        for column in task_columns().into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tasks::Table)
                        .drop_column(column.get_column_name())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Plans::Table).to_owned())
            .await
    }
}
