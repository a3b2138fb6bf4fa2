//! The migrator's commands.

use agentry_migration::{Migrator, MigratorTrait as _};
use std::path::Path;

use agentry_domain::{Limits, Services};
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
    match config.command.clone() {
        MigrateCommand::Up { steps } => {
            Migrator::up(db, steps)
                .await
                .context("applying migrations")?;
            print_status(&store).await?;
            if Migrator::get_pending_migrations(db)
                .await
                .context("reading the migration state")?
                .is_empty()
            {
                install_templates(&services(&store, None)).await?;
            }
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
            install_templates(&services(&store, None)).await?;
        }
        MigrateCommand::RotateWorkflowKey { batch } => {
            let Some(keys) = crate::workflow_keys::configured(config.workflow_keys.as_ref())?
            else {
                anyhow::bail!(
                    "set AGENTRY_WORKFLOW_KEYS to the new key first, then the old ones \
                     (new_id:base64,old_id:base64)"
                );
            };
            let key = agentry_domain::squads::Sealer::sealing_key(&keys).unwrap_or_default();
            let moved = services(&store, Some(&keys))
                .squads
                .rotate_key(batch)
                .await
                .context("sealing the workflow versions again")?;
            println!(
                "{moved} workflow versions sealed again under key '{key}'; every version is under it now"
            );
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

fn services(store: &agentry_store::Store, keys: Option<&crate::WorkflowKeys>) -> Services {
    let ports = crate::app::ports(store, Path::new("."), keys);
    Services::new(&ports, Limits::default())
}

/// Installs the built-in workflow templates, or brings them up to date.
async fn install_templates(services: &Services) -> anyhow::Result<()> {
    let installed = services
        .squads
        .install_builtin_templates()
        .await
        .context("installing the built-in workflow templates")?;
    println!(
        "built-in workflow templates: {} installed, {} updated",
        installed.created, installed.updated
    );
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
