//! Wiring: store → ports → services → HTTP, and serving with graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use agentry_domain::clock::SystemClock;
use agentry_domain::workspace::TokenSecret;
use agentry_domain::{Limits, Ports, Services};
use agentry_http::{BodyLimits, HttpOptions};
use agentry_migration::{Migrator, MigratorTrait as _};
use agentry_store::{LocalBlobStore, Options, Store};
use anyhow::Context as _;
use poem::{Endpoint, EndpointExt as _};

use crate::ApiConfig;

/// The assembled application.
#[derive(Debug)]
pub struct App {
    pub services: Services,
    pub store: Store,
    config: ApiConfig,
    /// The secret of an admin created at this start, shown once.
    pub bootstrap_token: Option<String>,
    /// The in-process engine, when this server runs one.
    engine: Option<agentry_engine::EngineHandle>,
    /// Live feeds: one reader of the log for every subscriber of this process.
    live: agentry_http::live::Live,
}

impl App {
    /// Connects, migrates (unless told not to), wires the services and makes sure an
    /// admin exists.
    ///
    /// # Errors
    /// When the database is unreachable, a migration fails or the admin token is bad.
    pub async fn build(config: ApiConfig) -> anyhow::Result<Self> {
        let store = connect(&config.database).await?;
        if config.migrate {
            Migrator::up(store.connection(), None)
                .await
                .context("applying migrations")?;
        }
        let keys = crate::workflow_keys::configured(config.workflow_keys.as_ref())?;
        let ports = ports(&store, &config.blob_dir, keys.as_ref());
        let limits = Limits {
            max_attachment_bytes: config.max_attachment_bytes,
            cache_resolved: config.registry_cache,
            prune_batch: config.prune_batch,
        };
        let model = crate::engine::model(&config.engine)?;
        let mut services = Services::new(&ports, limits)
            .with_prices(&ports, crate::engine::prices(&config.engine));
        if let Some(model) = &model {
            services = services.with_model(model.clone());
        }
        if config.migrate {
            let installed = services
                .squads
                .install_builtin_templates()
                .await
                .context("installing the built-in workflow templates")?;
            tracing::debug!(?installed, "built-in workflow templates");
        }
        if keys.is_none() {
            tracing::warn!(
                "AGENTRY_WORKFLOW_KEYS is not set: workflows can be neither saved nor read"
            );
        }
        let configured = match &config.admin_token {
            Some(secret) => {
                Some(TokenSecret::from_presented(&secret.0).context("AGENTRY_ADMIN_TOKEN")?)
            }
            None => None,
        };
        let bootstrap_token = services
            .accounts
            .bootstrap(configured.as_ref())
            .await
            .context("making sure an admin exists")?
            .map(|secret| secret.expose().to_owned());
        let engine = if config.run_engine {
            let deltas = Arc::new(store.clone());
            crate::engine::engine(&config.engine, model, None, &ports, &services, deltas)?
        } else {
            None
        };
        crate::metrics::install();
        let live = agentry_http::live::Live::new(Arc::new(store.clone()), Arc::new(store.clone()));
        Ok(Self {
            live,
            services,
            store,
            config,
            bootstrap_token,
            engine: engine.map(agentry_engine::Engine::start),
        })
    }

    /// Live-feed subscribers of this server now.
    #[must_use]
    pub fn live_subscribers(&self) -> usize {
        self.live.hub.subscribers()
    }

    /// Every route of the API, for serving or for in-process tests.
    #[must_use]
    pub fn routes(&self) -> impl Endpoint + use<> {
        let store = self.store.clone();
        let readiness: agentry_http::Readiness = Arc::new(move |within| {
            let store = store.clone();
            Box::pin(async move {
                let ready = async {
                    store.ping().await.is_ok()
                        && Migrator::get_pending_migrations(store.connection())
                            .await
                            .is_ok_and(|pending| pending.is_empty())
                };
                tokio::time::timeout(within, ready).await.unwrap_or(false)
            })
        });
        let (store, live) = (self.store.clone(), self.live.clone());
        let metrics: agentry_http::MetricsText = Arc::new(move || {
            let (store, subscribers) = (store.clone(), live.hub.subscribers());
            Box::pin(async move { crate::metrics::render(&store, subscribers).await })
        });
        let options = HttpOptions {
            bodies: BodyLimits {
                json: self.config.max_json_bytes,
                upload: self.config.max_attachment_bytes,
                timeout: Duration::from_secs(self.config.body_timeout_seconds),
            },
            request_timeout: Duration::from_secs(self.config.request_timeout_seconds),
            readiness,
            engine_note: self
                .engine
                .is_none()
                .then(|| crate::engine::NO_PROVIDER.to_owned()),
            live: self.live.clone(),
            metrics,
        };
        agentry_http::routes(self.services.clone(), options)
    }

    /// Serves on a bound listener until `shutdown` completes, then lets requests in
    /// flight finish for the configured grace period.
    ///
    /// # Errors
    /// When the listener fails.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let grace = Duration::from_secs(self.config.shutdown_grace_seconds);
        let address = listener.local_addr().context("reading the bound address")?;
        tracing::info!(%address, "listening");
        let limits = crate::ConnectionLimits {
            max_connections: self.config.max_client_connections,
            header_timeout: Duration::from_secs(self.config.header_timeout_seconds),
        };
        let routes = self.routes().map_to_response().boxed();
        let every = Duration::from_secs(self.config.retention_interval_seconds);
        let pruner = crate::retention::spawn(self.services.retention.clone(), every);
        let served = crate::serve::serve(listener, routes, limits, shutdown, grace).await;
        if let Some(pruner) = pruner {
            pruner.abort();
        }
        served.context("serving")?;
        if let Some(engine) = self.engine {
            engine.stop().await;
        }
        tracing::info!("shut down");
        self.store.close().await.context("closing the database")?;
        Ok(())
    }

    /// The configured listen address, bound.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn bind(&self) -> anyhow::Result<tokio::net::TcpListener> {
        let listen = self.config.listen;
        tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))
    }
}

pub(crate) async fn connect(database: &crate::DatabaseConfig) -> anyhow::Result<Store> {
    let options = Options {
        max_connections: database.max_connections,
        acquire_timeout: Duration::from_secs(database.acquire_timeout_seconds),
    };
    Store::connect(&database.url.0, &options)
        .await
        .map_err(|e| anyhow::anyhow!("connecting to the database: {}", source_chain(&e)))
}

/// An error and its sources on one line (the database URL is never part of them).
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

pub(crate) fn ports(
    store: &Store,
    blob_dir: &std::path::Path,
    keys: Option<&crate::WorkflowKeys>,
) -> Ports {
    let ports = Ports::from_store(
        Arc::new(store.clone()),
        Arc::new(LocalBlobStore::new(blob_dir)),
        Arc::new(SystemClock),
    );
    match keys {
        Some(keys) => ports.with_sealer(Arc::new(keys.clone())),
        None => ports,
    }
}

/// Completes on SIGINT or SIGTERM. The handlers are installed when this is
/// called, not when it is first awaited: call it first thing, and a signal
/// that comes while the process is still starting stops it cleanly once it
/// has started, instead of killing it half-way.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt()).ok();
    let terminate = signal(SignalKind::terminate()).ok();
    async move {
        let received = |handler: Option<tokio::signal::unix::Signal>| async move {
            match handler {
                Some(mut handler) => {
                    handler.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = received(interrupt) => tracing::info!("interrupted"),
            () = received(terminate) => tracing::info!("terminated"),
        }
    }
}
