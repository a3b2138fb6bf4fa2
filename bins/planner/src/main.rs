//! `agentry-planner`: the plan engine's workers as a process of their own.
//! `agentry-planner run`: config → connect → migrate → run workers until
//! SIGINT/SIGTERM.

use agentry_app::{PlannerCommand, PlannerConfig, init_tracing, run_planner};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let config = PlannerConfig::load();
    match config.command {
        PlannerCommand::Run(run) => {
            init_tracing(run.log_format, &run.log);
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(run_planner(run))
        }
    }
}
