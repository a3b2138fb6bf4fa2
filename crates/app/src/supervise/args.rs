//! `agentry-planner supervise`: its flags.

use std::path::PathBuf;

use clap::Args;

use crate::config::{DatabaseConfig, LogFormat};

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
    /// The wait after a first crash loop, in milliseconds; it doubles with each
    /// loop in a row, up to `--backoff-max-ms`.
    #[arg(long = "backoff-initial-ms", env = "AGENTRY_BACKOFF_INITIAL_MS", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub backoff_initial_ms: u64,
    /// The longest wait after a crash loop, in milliseconds.
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
    /// Passed to each worker's `run` (after `--`): `-- --model-url … --concurrency 8`.
    #[arg(last = true)]
    pub worker_args: Vec<String>,
}
