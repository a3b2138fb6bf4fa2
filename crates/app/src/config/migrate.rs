//! `agentry-migrate`'s configuration: the database, the workflow keys and the
//! command.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::{DatabaseConfig, Secret};

/// `agentry-migrate`: schema migrations and demo data.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "agentry-migrate",
    version,
    about = "Agentry's schema migrations"
)]
pub struct MigrateConfig {
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Keys that seal workflow definitions at rest: `key_id:base64` of 32
    /// random bytes, comma-separated; the first seals, all open (list the old
    /// key after a new one until `agentry-migrate rotate-workflow-key` ran).
    /// Without one, workflows cannot be saved or read. Set it in the
    /// environment rather than as a flag, which other users can see.
    #[arg(
        long = "workflow-keys",
        env = "AGENTRY_WORKFLOW_KEYS",
        hide_env_values = true
    )]
    pub workflow_keys: Option<Secret>,
    #[command(subcommand)]
    pub command: MigrateCommand,
}

#[derive(Clone, Debug, Subcommand)]
pub enum MigrateCommand {
    /// Apply pending migrations (all, or the next N), then install the
    /// built-in workflow templates or bring them up to date.
    Up { steps: Option<u32> },
    /// Undo applied migrations: the last N, or all of them, leaving no table of ours.
    Down { steps: Option<u32> },
    /// List applied and pending migrations.
    Status,
    /// Drop every table, then apply all migrations.
    Fresh,
    /// Create a demo project with members, labels, tasks and events.
    Seed,
    /// Import assistants, tools and links from a JSON document (docs/registry-import.md):
    /// validate everything, back up the current registry, write all or nothing,
    /// then check the result. Names are keys: re-running the same file changes nothing.
    ImportAssistants {
        file: PathBuf,
        /// Validate and show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the registry as a JSON document (the import format) to FILE or stdout.
    ExportAssistants { file: Option<PathBuf> },
    /// Seal every workflow version again under the first key of
    /// AGENTRY_WORKFLOW_KEYS, BATCH versions per transaction, and say how many
    /// moved. Interrupted, it resumes where it stopped when run again.
    RotateWorkflowKey {
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        batch: u32,
    },
}
