//! A database under test with the real API serving on it over TCP.

use agentry_app::{ApiConfig, App, Secret};
use agentry_store::testing::TestDatabase;
use agentry_store::{Options, Store};
use anyhow::Context as _;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::Api;

const ADMIN_TOKEN: &str = "agt_bench-admin-token-0123456789";

/// A workflow key of 32 random bytes, the same for every server of this run (a
/// replica opens what the first one sealed).
fn workflow_key() -> &'static str {
    use base64::Engine as _;
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let mut bytes = [0_u8; 32];
        getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("no randomness: {e}"));
        format!(
            "bench:{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    })
}

/// The API on a fresh database, plus a direct connection for raw writes.
#[derive(Debug)]
pub struct Target {
    pub name: &'static str,
    pub api: Api,
    /// Bypasses the API: for the raw insert rate and bulk loads.
    pub direct: Store,
    /// The server's own store, for work the server does beside its requests
    /// (retention's batches share its writer, as the background pass does).
    pub server_store: Store,
    stop: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
    /// The server's own runtime, as `agentry-api` builds it: the clients, on the
    /// harness's single thread, don't queue behind its tasks nor it behind theirs.
    runtime: Runtime,
    url: String,
    /// The throwaway database, owned by the first server on it.
    _db: Option<TestDatabase>,
    _blobs: tempfile::TempDir,
}

impl Target {
    pub async fn sqlite() -> anyhow::Result<Self> {
        Self::start("SQLite", TestDatabase::sqlite()).await
    }

    pub async fn postgres(server: &str) -> anyhow::Result<Self> {
        let db = TestDatabase::postgres_on(server)
            .await
            .with_context(|| format!("creating a database on {server}"))?;
        Self::start("PostgreSQL", db).await
    }

    async fn start(name: &'static str, db: TestDatabase) -> anyhow::Result<Self> {
        let url = db.url().to_owned();
        Self::serve(name, url, Some(db), true).await
    }

    /// Another server on this one's database, as a second replica would be;
    /// `registry_cache` as configured.
    pub async fn replica(&self, registry_cache: bool) -> anyhow::Result<Self> {
        Self::serve(self.name, self.url.clone(), None, registry_cache).await
    }

    async fn serve(
        name: &'static str,
        url: String,
        db: Option<TestDatabase>,
        registry_cache: bool,
    ) -> anyhow::Result<Self> {
        let blobs = tempfile::tempdir()?;
        let mut config = ApiConfig::for_database(&url);
        config.registry_cache = registry_cache;
        config.admin_token = Some(Secret(ADMIN_TOKEN.into()));
        config.blob_dir = blobs.path().to_owned();
        config.workflow_keys = Some(workflow_key().parse().map_err(anyhow::Error::msg)?);
        let runtime = config.runtime()?;
        let (app, listener) = runtime
            .spawn(async move {
                let app = App::build(config).await?;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                anyhow::Ok((app, listener))
            })
            .await??;
        let addr = listener.local_addr()?;
        let server_store = app.store.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = runtime.spawn(app.serve(listener, async {
            let _ = stopped.await;
        }));
        let direct = Store::connect(&url, &Options::default()).await?;
        Ok(Self {
            name,
            api: Api::new(addr, ADMIN_TOKEN)?,
            direct,
            server_store,
            stop,
            server,
            runtime,
            url,
            _db: db,
            _blobs: blobs,
        })
    }

    /// Runs `work` on the server's runtime, beside its requests.
    pub fn spawn_on_server<F>(&self, work: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.runtime.spawn(work)
    }

    /// Stops the server and closes the direct connection before the database goes.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await??;
        self.direct.close().await?;
        // Its tasks (the event writer, the revision watch) end with it; waiting
        // for them here would block the harness's thread.
        self.runtime.shutdown_background();
        Ok(())
    }
}
