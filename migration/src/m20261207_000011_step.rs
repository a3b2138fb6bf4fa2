//! The engine's step on PostgreSQL as one server-side call (`agentry_step`,
//! `up.sql` says what it does and returns): the settlements, their
//! dependents' counts and the next claim in one round trip instead of a
//! dozen. SQLite runs the store's statements in-process, where a round trip
//! costs nothing to speak of: nothing to install there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(include_str!("m20261207_000011_step/up.sql"))
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "DROP FUNCTION agentry_step(jsonb, timestamptz, text, integer, integer, timestamptz, boolean)",
            )
            .await
            .map(|_| ())
    }
}
