//! The migrator's commands.

use agentry_migration::{Migrator, MigratorTrait as _};
use anyhow::Context as _;

use crate::{MigrateCommand, MigrateConfig};

/// Runs one migrator command, printing what it did to stdout.
///
/// # Errors
/// When the database is unreachable, a migration fails, or the database has
/// applied migrations this binary does not know (an unknown state).
pub async fn run(config: MigrateConfig) -> anyhow::Result<()> {
    let store = crate::app::connect(&config.database).await?;
    let db = store.connection();
    match config.command {
        MigrateCommand::Up { steps } => {
            Migrator::up(db, steps)
                .await
                .context("applying migrations")?;
            print_status(&store).await?;
        }
        MigrateCommand::Down { steps: Some(steps) } => {
            Migrator::down(db, Some(steps))
                .await
                .context("undoing migrations")?;
            print_status(&store).await?;
        }
        MigrateCommand::Down { steps: None } => {
            Migrator::reset(db)
                .await
                .context("undoing every migration")?;
            println!("every migration undone; no table of Agentry's is left");
        }
        MigrateCommand::Status => print_status(&store).await?,
        MigrateCommand::Fresh => {
            Migrator::fresh(db).await.context("recreating the schema")?;
            print_status(&store).await?;
        }
        MigrateCommand::Seed => crate::seed::run(&store).await?,
        MigrateCommand::ImportAssistants { file, dry_run } => {
            crate::registry_io::import(&store, &file, dry_run).await?;
        }
        MigrateCommand::ExportAssistants { file } => {
            crate::registry_io::export(&store, file.as_deref()).await?;
        }
    }
    store.close().await.context("closing the database")?;
    Ok(())
}

async fn print_status(store: &agentry_store::Store) -> anyhow::Result<()> {
    let migrations = Migrator::get_migration_with_status(store.connection())
        .await
        .context("reading the migration state")?;
    for migration in migrations {
        println!(
            "{:<8} {}",
            migration.status().to_string().to_lowercase(),
            migration.name()
        );
    }
    Ok(())
}
