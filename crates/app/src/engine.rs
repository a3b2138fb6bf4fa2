//! Wiring the engine: the model provider and tool executor the configuration
//! names, and `agentry-planner run`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use agentry_domain::id::EventId;
use agentry_domain::log::DeltaBus;
use agentry_domain::operations::ProcessLog;
use agentry_domain::planning::{ModelClient, Prices, ToolExecutor};
use agentry_domain::{Ports, Services};
use agentry_engine::{Backoff, Engine, EngineConfig, EngineHandle, HttpTools};
use agentry_llm::{Api, ProviderConfig, Providers, Script};
use agentry_migration::{Migrator, MigratorTrait as _};
use anyhow::Context as _;

use crate::config::ModelApi;
use crate::{EngineArgs, PlannerRun};

/// Why agent tasks wait on a server that runs no engine.
pub(crate) const NO_PROVIDER: &str = "no model provider is configured on this server \
    (--model-url, --model-providers or --model-script): agent tasks wait for a server or \
    an `agentry-planner run` that has one";

/// The environment variable `--model-url`'s key is read from.
const MODEL_KEY_VAR: &str = "AGENTRY_MODEL_API_KEY";

/// The configured model provider, if any.
pub(crate) fn model(args: &EngineArgs) -> anyhow::Result<Option<Arc<dyn ModelClient>>> {
    if let Some(path) = &args.model_script {
        let script = Script::load(path).context("reading the model script")?;
        return Ok(Some(Arc::new(script)));
    }
    if let Some(path) = &args.model_providers {
        let providers = Providers::load(path, |var| std::env::var(var).ok())
            .context("reading the model providers")?;
        return Ok(Some(Arc::new(providers)));
    }
    let Some(url) = &args.model_url else {
        return Ok(None);
    };
    let key = std::env::var(MODEL_KEY_VAR).ok().filter(|k| !k.is_empty());
    let mut config = ProviderConfig::new(url.clone(), key);
    config.timeout = Duration::from_secs(args.model_timeout_seconds);
    config.stream = args.model_stream;
    let api = match args.model_api {
        ModelApi::Chat => Api::Chat,
        ModelApi::Responses => Api::Responses,
    };
    let providers = Providers::single(config, api).context("building the model client")?;
    Ok(Some(Arc::new(providers)))
}

pub(crate) fn prices(args: &EngineArgs) -> Prices {
    args.model_prices.iter().cloned().collect()
}

/// A worker with the configured provider, tools and settings; `None` without
/// a provider.
pub(crate) fn engine(
    args: &EngineArgs,
    model: Option<Arc<dyn ModelClient>>,
    worker: Option<String>,
    ports: &Ports,
    services: &Services,
    deltas: Arc<dyn DeltaBus>,
) -> anyhow::Result<Option<Engine>> {
    let Some(model) = model else {
        return Ok(None);
    };
    let endpoints: HashMap<String, String> = args.tool_endpoints.iter().cloned().collect();
    let tools: Arc<dyn ToolExecutor> = Arc::new(
        HttpTools::new(endpoints, Duration::from_secs(args.tool_timeout_seconds))
            .context("building the tool client")?,
    );
    let mut config = EngineConfig {
        concurrency: usize::from(args.concurrency),
        lease: Duration::from_secs(args.lease_seconds),
        backoff: Backoff {
            base: Duration::from_millis(args.backoff_ms),
            max: Duration::from_secs(args.backoff_max_seconds),
        },
        max_turns: args.max_turns,
        ..EngineConfig::default()
    };
    if let Some(worker) = worker {
        config.worker = worker;
    }
    Ok(Some(Engine::new(
        ports.clone(),
        services.clone(),
        model,
        tools,
        config,
        Some(deltas),
    )))
}

/// `agentry-planner run`: workers until SIGINT/SIGTERM.
///
/// # Errors
/// When the database is unreachable, a migration fails or no provider is configured.
pub async fn run_planner(config: PlannerRun) -> anyhow::Result<()> {
    let shutdown = crate::shutdown_signal();
    let store = crate::app::connect(&config.database).await?;
    if config.migrate {
        Migrator::up(store.connection(), None)
            .await
            .context("applying migrations")?;
    } else {
        // On PostgreSQL a step is a function the migrator installs: a worker
        // on an older schema would fail every step, so it does not start.
        let pending = Migrator::get_pending_migrations(store.connection())
            .await
            .context("reading which migrations are applied")?;
        if let Some(first) = pending.first() {
            anyhow::bail!(
                "the database lacks {} migration(s) this planner needs, from {}: \
                 run `agentry-migrate up`, or start with --migrate true",
                pending.len(),
                first.name()
            );
        }
    }
    let ports = crate::app::ports(&store, std::path::Path::new("agentry-blobs"), None);
    let parent = match std::env::var(crate::PARENT_PROCESS_ID) {
        Ok(id) => Some(EventId::from(
            uuid::Uuid::parse_str(&id).context("PARENT_PROCESS_ID is not an event id")?,
        )),
        Err(_) => None,
    };
    let log = ProcessLog::new(&ports.log);
    crate::supervise::record_start(&log, "worker", parent).await?;
    let model = model(&config.engine)?;
    let services = Services::new(&ports, agentry_domain::Limits::default())
        .with_prices(&ports, prices(&config.engine));
    let engine = engine(
        &config.engine,
        model,
        config.worker_name.clone(),
        &ports,
        &services,
        Arc::new(store.clone()),
    )?
    .context(
        "no model provider is configured: pass --model-url, --model-providers or --model-script",
    )?;
    tracing::info!(concurrency = config.engine.concurrency, "planner running");
    let handle: EngineHandle = engine.start();
    shutdown.await;
    handle.stop().await;
    store.close().await.context("closing the database")?;
    tracing::info!("planner stopped");
    Ok(())
}
