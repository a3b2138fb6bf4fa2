//! `agentry-planner`: the plan engine's workers as a process of their own
//! (`run`: config → connect → migrate → run workers until SIGINT/SIGTERM), those
//! workers as supervised child processes (`supervise`), and
//! a client of a running API that plans a goal and follows it (`plan`) or
//! exports a finished plan's model answers for an offline replay
//! (`export-script`).

use std::process::ExitCode;
use std::time::Duration;

use agentry_app::{
    PlannerCommand, PlannerConfig, RemoteArgs, init_tracing, run_planner, run_supervisor,
};
use agentry_client::cli::{self, PlanArgs, Remote, TROUBLE};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let config = PlannerConfig::load();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(TROUBLE);
        }
    };
    let ended = match config.command {
        PlannerCommand::Run(run) => {
            init_tracing(run.log_format, &run.log);
            runtime
                .block_on(run_planner(run))
                .map(|()| ExitCode::SUCCESS)
        }
        PlannerCommand::Supervise(supervise) => {
            init_tracing(supervise.log_format, &supervise.log);
            runtime
                .block_on(run_supervisor(supervise))
                .map(|()| ExitCode::SUCCESS)
        }
        PlannerCommand::Plan(plan) => runtime.block_on(cli::plan(PlanArgs {
            remote: remote(plan.remote),
            project: plan.project,
            goal: plan.goal,
            follow: plan.follow,
            poll: Duration::from_millis(plan.poll_ms),
        })),
        PlannerCommand::ExportScript(export) => {
            runtime.block_on(cli::export_script(&remote(export.remote), &export.plan))
        }
    };
    ended.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        ExitCode::from(TROUBLE)
    })
}

fn remote(args: RemoteArgs) -> Remote {
    Remote {
        api_url: args.api_url,
        token: args.token.0,
    }
}
