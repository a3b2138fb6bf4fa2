//! Typed configuration: defaults in code, then `AGENTRY_*` environment variables,
//! then command-line flags (clap applies that precedence).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod migrate;

pub use self::migrate::{MigrateCommand, MigrateConfig};

/// A secret setting: usable, but never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Readable lines for a terminal.
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Where the data lives.
#[derive(Clone, Debug, Args)]
pub struct DatabaseConfig {
    /// `sqlite://agentry.db?mode=rwc` (the default: a file in the working directory)
    /// or `postgres://user:password@host:5432/db`.
    #[arg(
        long = "database-url",
        env = "AGENTRY_DATABASE_URL",
        default_value = "sqlite://agentry.db?mode=rwc",
        hide_env_values = true
    )]
    pub url: Secret,
    /// Connections in the pool (readers, on SQLite, beside its one writer).
    #[arg(
        long = "database-max-connections",
        env = "AGENTRY_DATABASE_MAX_CONNECTIONS",
        default_value_t = 16
    )]
    pub max_connections: u32,
    /// Seconds a request waits for a database connection before it answers 503
    /// (the database is down or every connection is busy).
    #[arg(
        long = "database-acquire-timeout-seconds",
        env = "AGENTRY_DATABASE_ACQUIRE_TIMEOUT_SECONDS",
        default_value_t = 5
    )]
    pub acquire_timeout_seconds: u64,
}

/// How agent tasks run: the model provider, tool endpoints, the workers'
/// concurrency, leases and retries. Shared by `agentry-api` (which runs the
/// engine in-process when a provider is configured) and `agentry-planner run`.
#[derive(Clone, Debug, Args)]
pub struct EngineArgs {
    /// The offline model provider: a JSON script of replies per assistant and
    /// turn (docs/engine.md). Without a provider no agent task runs.
    #[arg(long = "model-script", env = "AGENTRY_MODEL_SCRIPT", conflicts_with_all = ["model_url", "model_providers"])]
    pub model_script: Option<PathBuf>,
    /// One OpenAI-compatible provider for every assistant, up to the API's
    /// version: `http://127.0.0.1:8081/v1` (llama.cpp, vLLM, Ollama) or
    /// `https://api.openai.com/v1`. Its key, if it takes one, is read from
    /// the environment variable AGENTRY_MODEL_API_KEY (never from a flag).
    #[arg(
        long = "model-url",
        env = "AGENTRY_MODEL_URL",
        conflicts_with = "model_providers"
    )]
    pub model_url: Option<String>,
    /// The wire format `--model-url` speaks: `chat` (chat completions) or
    /// `responses`. `openai_api` assistants always use `responses`.
    #[arg(long = "model-api", env = "AGENTRY_MODEL_API", value_enum, default_value_t = ModelApi::Chat)]
    pub model_api: ModelApi,
    /// Seconds to wait on `--model-url` for connecting and for each part of
    /// an answer.
    #[arg(long = "model-timeout-seconds", env = "AGENTRY_MODEL_TIMEOUT_SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub model_timeout_seconds: u64,
    /// Ask `--model-url` for streamed answers (`false` for servers without).
    #[arg(long = "model-stream", env = "AGENTRY_MODEL_STREAM", default_value_t = true, action = clap::ArgAction::Set)]
    pub model_stream: bool,
    /// A JSON file of providers (base URL, the environment variable holding
    /// each key, format, timeouts) and which assistants each serves
    /// (docs/engine.md).
    #[arg(long = "model-providers", env = "AGENTRY_MODEL_PROVIDERS")]
    pub model_providers: Option<PathBuf>,
    /// Agent tasks one worker runs at once.
    #[arg(long = "engine-concurrency", env = "AGENTRY_ENGINE_CONCURRENCY", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub concurrency: u16,
    /// Seconds a claimed task's lease lasts without a heartbeat (a killed
    /// worker's task is retried after this long).
    #[arg(long = "engine-lease-seconds", env = "AGENTRY_ENGINE_LEASE_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub lease_seconds: u64,
    /// The first retry's wait, in milliseconds; each next one doubles (with jitter).
    #[arg(
        long = "engine-backoff-ms",
        env = "AGENTRY_ENGINE_BACKOFF_MS",
        default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(1..=3_600_000)
    )]
    pub backoff_ms: u64,
    /// The longest wait between retries, in seconds.
    #[arg(
        long = "engine-backoff-max-seconds",
        env = "AGENTRY_ENGINE_BACKOFF_MAX_SECONDS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub backoff_max_seconds: u64,
    /// Model calls one attempt may make before it fails.
    #[arg(long = "engine-max-turns", env = "AGENTRY_ENGINE_MAX_TURNS", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_turns: u32,
    /// `NAME=URL`: the endpoint that runs tool NAME (its input is POSTed as
    /// JSON; its JSON answer goes back to the model). Repeat, or separate by commas.
    #[arg(long = "tool-endpoint", env = "AGENTRY_TOOL_ENDPOINTS", value_delimiter = ',', value_parser = parse_pair)]
    pub tool_endpoints: Vec<(String, String)>,
    /// Seconds a tool endpoint may take to answer.
    #[arg(
        long = "tool-timeout-seconds",
        env = "AGENTRY_TOOL_TIMEOUT_SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub tool_timeout_seconds: u64,
    /// `MODEL=INPUT:OUTPUT`: US dollars per million input and output tokens, for
    /// the cost estimate of `/plans/{id}/usage`. Repeat, or separate by commas.
    #[arg(long = "model-price", env = "AGENTRY_MODEL_PRICES", value_delimiter = ',', value_parser = parse_price)]
    pub model_prices: Vec<(String, (f64, f64))>,
}

/// The wire format of `--model-url`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelApi {
    Chat,
    Responses,
}

fn parse_pair(raw: &str) -> Result<(String, String), String> {
    let (name, value) = raw
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got '{raw}'"))?;
    if name.is_empty() || value.is_empty() {
        return Err(format!("expected NAME=VALUE, got '{raw}'"));
    }
    Ok((name.to_owned(), value.to_owned()))
}

fn parse_price(raw: &str) -> Result<(String, (f64, f64)), String> {
    let (model, prices) = parse_pair(raw)?;
    let (input, output) = prices
        .split_once(':')
        .ok_or_else(|| format!("expected MODEL=INPUT:OUTPUT, got '{raw}'"))?;
    let number = |v: &str| {
        v.parse::<f64>()
            .ok()
            .filter(|p| p.is_finite() && *p >= 0.0)
            .ok_or_else(|| format!("'{v}' is not a price"))
    };
    Ok((model, (number(input)?, number(output)?)))
}

/// `agentry-api`: the REST API server.
#[derive(Clone, Debug, Parser)]
#[command(name = "agentry-api", version, about = "Agentry's REST API server")]
pub struct ApiConfig {
    /// Address to listen on.
    #[arg(long, env = "AGENTRY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Apply pending migrations at start.
    #[arg(long = "migrate", env = "AGENTRY_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Run engine workers in this process when a model provider is configured
    /// (the embedded default); off when `agentry-planner run` does the work.
    #[arg(long = "run-engine", env = "AGENTRY_RUN_ENGINE", default_value_t = true, action = clap::ArgAction::Set)]
    pub run_engine: bool,
    /// The admin's bearer token. When unset and the database has no user yet, the
    /// first start creates an admin and prints its token once.
    #[arg(
        long = "admin-token",
        env = "AGENTRY_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<Secret>,
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
    /// Where attachment bytes are stored.
    #[arg(
        long = "blob-dir",
        env = "AGENTRY_BLOB_DIR",
        default_value = "agentry-blobs"
    )]
    pub blob_dir: PathBuf,
    /// The largest attachment accepted, in bytes (the body limit of uploads).
    #[arg(long = "max-attachment-bytes", env = "AGENTRY_MAX_ATTACHMENT_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_attachment_bytes: usize,
    /// The largest request body of every other route, in bytes.
    #[arg(long = "max-json-bytes", env = "AGENTRY_MAX_JSON_BYTES", default_value_t = 1024 * 1024)]
    pub max_json_bytes: usize,
    /// Seconds a request body may take to arrive.
    #[arg(
        long = "body-timeout-seconds",
        env = "AGENTRY_BODY_TIMEOUT_SECONDS",
        default_value_t = 30
    )]
    pub body_timeout_seconds: u64,
    /// Seconds an operation may run once its body is read; past them it answers
    /// 503 with `Retry-After`.
    #[arg(
        long = "request-timeout-seconds",
        env = "AGENTRY_REQUEST_TIMEOUT_SECONDS",
        default_value_t = 30
    )]
    pub request_timeout_seconds: u64,
    /// Seconds a client may take to send a request's headers (an HTTP/2 preface);
    /// also how long an idle connection is kept for its next request.
    #[arg(
        long = "header-timeout-seconds",
        env = "AGENTRY_HEADER_TIMEOUT_SECONDS",
        default_value_t = 10
    )]
    pub header_timeout_seconds: u64,
    /// Open connections at most; past them a new connection is answered 503 and
    /// closed.
    #[arg(
        long = "max-connections",
        env = "AGENTRY_MAX_CONNECTIONS",
        default_value_t = 1024
    )]
    pub max_client_connections: usize,
    /// Serve resolved assistant configuration from the in-process cache (changes
    /// reach every replica within a second). Turn off only to measure its effect.
    #[arg(
        long = "registry-cache",
        env = "AGENTRY_REGISTRY_CACHE",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub registry_cache: bool,
    /// Seconds between background retention passes over the projects that
    /// keep their events for a while (`max_age_days`); 0: none.
    #[arg(
        long = "retention-interval-seconds",
        env = "AGENTRY_RETENTION_INTERVAL_SECONDS",
        default_value_t = 3600
    )]
    pub retention_interval_seconds: u64,
    /// Events per retention batch, each one transaction (1–10,000).
    #[arg(long = "prune-batch", env = "AGENTRY_PRUNE_BATCH", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub prune_batch: u32,
    /// Log format.
    #[arg(long = "log-format", env = "AGENTRY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Log filter, in `tracing` syntax (e.g. `info,agentry=debug`).
    #[arg(long = "log", env = "AGENTRY_LOG", default_value = "info")]
    pub log: String,
    /// Threads serving requests. Default: one fewer than the CPUs, at least one:
    /// the database the API shares a machine with (SQLite's threads, a local
    /// PostgreSQL) needs a core, and a worker that has to be woken for each
    /// request costs more than it gives (docs/benchmarks.md).
    #[arg(long = "workers", env = "AGENTRY_WORKERS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
    /// Seconds to let requests in flight finish after SIGINT/SIGTERM.
    #[arg(
        long = "shutdown-grace-seconds",
        env = "AGENTRY_SHUTDOWN_GRACE_SECONDS",
        default_value_t = 10
    )]
    pub shutdown_grace_seconds: u64,
}

impl ApiConfig {
    /// Reads flags and environment.
    #[must_use]
    pub fn load() -> Self {
        Self::parse()
    }

    /// How many threads serve requests: [`ApiConfig::workers`] or its default.
    #[must_use]
    pub fn worker_threads(&self) -> usize {
        self.workers.map_or_else(
            || {
                std::thread::available_parallelism()
                    .map_or(1, usize::from)
                    .saturating_sub(1)
                    .max(1)
            },
            usize::from,
        )
    }

    /// The runtime the API runs on, with [`ApiConfig::worker_threads`] workers.
    ///
    /// # Errors
    /// When the operating system refuses the threads.
    pub fn runtime(&self) -> std::io::Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.worker_threads())
            .enable_all()
            .build()
    }

    /// The defaults, for tests and embedding, with `database_url`.
    ///
    /// # Panics
    /// Never: the defaults parse.
    #[must_use]
    pub fn for_database(database_url: &str) -> Self {
        let mut config = Self::parse_from(["agentry-api"]);
        config.database.url = Secret(database_url.to_owned());
        config
    }
}

/// `agentry-planner`: the plan engine's workers, as a process of their own.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "agentry-planner",
    version,
    about = "Agentry's plan engine: workers that run agent tasks"
)]
pub struct PlannerConfig {
    #[command(subcommand)]
    pub command: PlannerCommand,
}

impl PlannerConfig {
    /// Reads flags and environment.
    #[must_use]
    pub fn load() -> Self {
        Self::parse()
    }
}

#[derive(Clone, Debug, Subcommand)]
pub enum PlannerCommand {
    /// Run engine workers against the configured database until SIGINT/SIGTERM:
    /// claim ready tasks, run their agents, settle them. Any number of these
    /// share a PostgreSQL database.
    Run(PlannerRun),
    /// Run engine workers (`run`) as child processes and restart them when they
    /// exit: crash loops back off and roll back to the last promoted build.
    /// Pass the workers' own flags after `--`.
    Supervise(crate::supervise::PlannerSupervise),
    /// Ask a running API's secretary for a plan of a goal; with `--follow`,
    /// show each task's progress until the plan ends. Exit code: 0 done,
    /// 1 failed, 2 aborted, 3 when the plan could not be made or followed.
    Plan(PlannerPlan),
    /// Print a plan's model answers as a script for `--model-script`, to run
    /// it again offline.
    ExportScript(PlannerExport),
}

/// Where the API is and who calls it.
#[derive(Clone, Debug, Args)]
pub struct RemoteArgs {
    /// The API's base URL.
    #[arg(
        long = "api-url",
        env = "AGENTRY_API_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub api_url: String,
    /// A bearer token (`agt_…`) of a member of the project.
    #[arg(long = "token", env = "AGENTRY_TOKEN", hide_env_values = true)]
    pub token: Secret,
}

/// `agentry-planner plan`.
#[derive(Clone, Debug, Args)]
pub struct PlannerPlan {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// The project: its key (`WEB`) or id.
    #[arg(long = "project")]
    pub project: String,
    /// What the plan should achieve.
    #[arg(long = "goal")]
    pub goal: String,
    /// Follow the plan until it ends: progress bars in a terminal, a line
    /// per change otherwise.
    #[arg(long = "follow")]
    pub follow: bool,
    /// How often `--follow` reads the plan, in milliseconds.
    #[arg(long = "poll-ms", default_value_t = 500, value_parser = clap::value_parser!(u64).range(50..=60_000))]
    pub poll_ms: u64,
}

/// `agentry-planner export-script`.
#[derive(Clone, Debug, Args)]
pub struct PlannerExport {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// The plan's id.
    pub plan: String,
}

/// `agentry-planner run`.
#[derive(Clone, Debug, Args)]
pub struct PlannerRun {
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Apply pending migrations at start.
    #[arg(long = "migrate", env = "AGENTRY_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate: bool,
    /// Names this worker in leases and events; `<host name>-<process id>` by default.
    #[arg(long = "worker-name", env = "AGENTRY_WORKER_NAME")]
    pub worker_name: Option<String>,
    /// Log format.
    #[arg(long = "log-format", env = "AGENTRY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Log filter, in `tracing` syntax.
    #[arg(long = "log", env = "AGENTRY_LOG", default_value = "info")]
    pub log: String,
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::ApiConfig;

    #[test]
    fn workers_default_to_one_fewer_than_the_cpus_and_at_least_one() {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let config = ApiConfig::parse_from(["agentry-api"]);
        assert_eq!(config.worker_threads(), cpus.saturating_sub(1).max(1));
        let config = ApiConfig::parse_from(["agentry-api", "--workers", "3"]);
        assert_eq!(config.worker_threads(), 3);
        assert!(ApiConfig::try_parse_from(["agentry-api", "--workers", "0"]).is_err());
    }
}
