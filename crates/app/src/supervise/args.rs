//! `agentry-planner supervise`: its flags.

use std::path::PathBuf;

use clap::{Args, Parser as _};

use crate::config::{DatabaseConfig, LogFormat, PlannerCommand, PlannerConfig, PlannerRun};

/// `agentry-planner supervise`.
#[derive(Clone, Debug, Args)]
pub struct PlannerSupervise {
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Apply pending migrations at start (the workers then do not).
    #[arg(long = "migrate", env = "AGENTRY_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate: bool,
    /// Worker processes kept running.
    #[arg(long = "workers", env = "AGENTRY_SUPERVISE_WORKERS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub workers: u32,
    /// The worker binary, run as `<binary> run <worker args>`; this binary by default.
    #[arg(long = "worker-binary", env = "AGENTRY_WORKER_BINARY")]
    pub worker_binary: Option<PathBuf>,
    /// Where promoted builds are kept, each as a file named by its revision,
    /// and where a rollback takes the last promoted one from. Without it a
    /// crash loop cannot roll back (`rollback.attempted` says so).
    #[arg(long = "builds-dir", env = "AGENTRY_BUILDS_DIR")]
    pub builds_dir: Option<PathBuf>,
    /// Seconds a revision's worker must stay up before the revision is promoted.
    #[arg(long = "promote-after-seconds", env = "AGENTRY_PROMOTE_AFTER_SECONDS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub promote_after_seconds: u64,
    /// Exits within the window that make a crash loop.
    #[arg(long = "crash-threshold", env = "AGENTRY_CRASH_THRESHOLD", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub crash_threshold: u32,
    /// The crash-loop window, in seconds.
    #[arg(long = "crash-window-seconds", env = "AGENTRY_CRASH_WINDOW_SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub crash_window_seconds: u64,
    /// The wait before the first restart in a crash loop, in milliseconds; each
    /// restart after it in the loop waits twice as long, up to `--backoff-max-ms`.
    #[arg(long = "backoff-initial-ms", env = "AGENTRY_BACKOFF_INITIAL_MS", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub backoff_initial_ms: u64,
    /// The longest wait before a restart in a crash loop, in milliseconds.
    #[arg(long = "backoff-max-ms", env = "AGENTRY_BACKOFF_MAX_MS", default_value_t = 60_000,
          value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub backoff_max_ms: u64,
    /// Seconds a worker has to stop after SIGTERM before it is killed.
    #[arg(
        long = "stop-grace-seconds",
        env = "AGENTRY_STOP_GRACE_SECONDS",
        default_value_t = 30
    )]
    pub stop_grace_seconds: u64,
    /// Log format.
    #[arg(long = "log-format", env = "AGENTRY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Log filter, in `tracing` syntax.
    #[arg(long = "log", env = "AGENTRY_LOG", default_value = "info")]
    pub log: String,
    /// Passed to each worker's `run` (after `--`): `-- --model-url … --engine-concurrency 8`.
    #[arg(last = true)]
    pub worker_args: Vec<String>,
}

impl PlannerSupervise {
    /// The workers' `run` as each will read it: their flags (after `--`)
    /// parsed by `run`'s own definition, in this environment (which they
    /// inherit), so that flags `run` rejects stop the supervisor at start
    /// instead of failing every worker it would restart.
    ///
    /// # Errors
    /// The parser's complaint, for flags `run` rejects (or answers with its
    /// help or version and exits).
    pub(crate) fn worker_run(&self) -> anyhow::Result<PlannerRun> {
        let line = ["agentry-planner", "run"]
            .into_iter()
            .map(String::from)
            .chain(self.worker_args.iter().cloned());
        let config = PlannerConfig::try_parse_from(line).map_err(|e| {
            let complaint = e.to_string();
            let complaint = complaint.trim_start_matches("error: ").trim_end();
            anyhow::anyhow!("`run` rejects the workers' flags (after `--`): {complaint}")
        })?;
        match config.command {
            PlannerCommand::Run(run) => Ok(run),
            _ => anyhow::bail!("the workers' flags did not parse as `run`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory as _, Parser as _};

    use super::PlannerSupervise;
    use crate::config::{PlannerCommand, PlannerConfig};

    fn supervise(line: &[&str]) -> PlannerSupervise {
        let line = ["agentry-planner", "supervise"].iter().chain(line);
        match PlannerConfig::try_parse_from(line).map(|c| c.command) {
            Ok(PlannerCommand::Supervise(args)) => args,
            other => panic!("not a supervise line: {other:?}"),
        }
    }

    #[test]
    fn the_workers_flags_are_read_as_run_reads_them() {
        let run = supervise(&["--", "--engine-concurrency", "8", "--worker-name", "w"])
            .worker_run()
            .map_err(|e| format!("{e:#}"));
        let run = run
            .as_ref()
            .map(|r| (r.engine.concurrency, r.worker_name.as_deref()));
        assert_eq!(run, Ok((8, Some("w"))));
    }

    #[test]
    fn flags_run_rejects_are_refused_with_its_complaint() {
        for (flags, complaint) in [
            (&["--concurrency", "8"][..], "'--concurrency'"),
            (&["--engine-concurrency", "0"], "0 is not in 1..=4096"),
            (&["--help"], "Usage: agentry-planner run"),
        ] {
            let line: Vec<&str> = ["--"].iter().chain(flags).copied().collect();
            let refused = supervise(&line).worker_run().map(|_| ());
            let refused = refused.map_err(|e| format!("{e:#}"));
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.starts_with("`run` rejects the workers' flags")
                        && e.contains(complaint)),
                "{flags:?}: {refused:?}"
            );
        }
    }

    /// `supervise --help` shows how to pass flags to the workers: each flag
    /// it shows is one `run` has.
    #[test]
    fn the_help_passes_the_workers_only_flags_run_has() {
        let planner = PlannerConfig::command();
        let find = |name: &str| {
            planner
                .find_subcommand(name)
                .unwrap_or_else(|| panic!("no {name}"))
                .clone()
        };
        let (run, supervise) = (find("run"), find("supervise"));
        let help = supervise
            .get_arguments()
            .find(|a| a.get_id() == "worker_args")
            .and_then(clap::Arg::get_help)
            .map(ToString::to_string)
            .unwrap_or_default();
        let shown: Vec<&str> = help
            .split(|c: char| c.is_whitespace() || c == '`')
            .filter_map(|word| word.strip_prefix("--"))
            .filter(|flag| !flag.is_empty())
            .collect();
        assert!(!shown.is_empty(), "the help shows no flag: {help}");
        for flag in shown {
            assert!(
                run.get_arguments().any(|a| a.get_long() == Some(flag)),
                "`run` has no --{flag}, shown in: {help}"
            );
        }
    }
}
