//! `agentry-migrate --database-url URL <up [N] | down [N] | status | fresh | seed>`.

use agentry_app::{LogFormat, MigrateConfig, init_tracing, run_migrate};
use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = MigrateConfig::parse();
    init_tracing(LogFormat::Human, "warn");
    match run_migrate(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("agentry-migrate: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
