//! Agentry's schema, as ordered migrations that run on SQLite and PostgreSQL.
//!
//! Every migration has a `down()` that undoes exactly its `up()`, so `up → down → up`
//! works on both databases and a full `down` leaves none of our tables behind.
//! This crate depends on nothing of ours: the schema is the contract.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_accounts;
mod m20261122_000002_projects;
mod m20261122_000003_tasks;
mod m20261122_000004_events;
mod m20261122_000005_registry;
mod m20261122_000006_thread_type_index;
mod m20261130_000007_plans;
mod m20261201_000008_event_sequence;
mod m20261201_000009_inbox;
mod m20261201_000010_retention;
mod m20261207_000011_step;
mod m20261208_000012_squads;
mod names;

/// The ordered list of migrations.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_accounts::Migration),
            Box::new(m20261122_000002_projects::Migration),
            Box::new(m20261122_000003_tasks::Migration),
            Box::new(m20261122_000004_events::Migration),
            Box::new(m20261122_000005_registry::Migration),
            Box::new(m20261122_000006_thread_type_index::Migration),
            Box::new(m20261130_000007_plans::Migration),
            Box::new(m20261201_000008_event_sequence::Migration),
            Box::new(m20261201_000009_inbox::Migration),
            Box::new(m20261201_000010_retention::Migration),
            Box::new(m20261207_000011_step::Migration),
            Box::new(m20261208_000012_squads::Migration),
        ]
    }
}

/// A foreign key from `from.column` to `to.id`.
pub(crate) fn fk(
    from: impl IntoIden + Clone + 'static,
    column: impl IntoIden + 'static,
    to: impl IntoIden + 'static,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, column)
        .to(to, Alias::new("id"))
        .on_delete(on_delete)
        .to_owned()
}

/// A (possibly unique) index named `name` on `table(columns…)`.
pub(crate) fn index(
    name: &str,
    table: impl IntoIden + 'static,
    columns: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}
