//! Memory per idle subscriber: the `agentry-api` binary runs as a process of
//! its own (so the harness's clients do not count), and its resident memory
//! is read from `/proc` before and after [`IDLE`] subscribers connect.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::subscriber::{Subscriber, Transport};

/// Idle subscribers of each measurement.
pub const IDLE: usize = 1_000;

/// How long the server is left alone before its memory is read: the
/// allocator gives freed pages back after a moment.
const SETTLE: Duration = Duration::from_secs(3);

const ADMIN: &str = "agt_bench-idle-admin-0123456789";

#[derive(Debug)]
pub struct IdleFigure {
    pub transport: Transport,
    pub before_kib: u64,
    pub after_kib: u64,
}

impl IdleFigure {
    pub fn per_subscriber_kib(&self) -> f64 {
        self.after_kib.saturating_sub(self.before_kib) as f64 / IDLE as f64
    }
}

impl std::fmt::Display for IdleFigure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "idle {}: {IDLE} subscribers took the server from {} to {} KiB resident, \
             {:.1} KiB each",
            self.transport.name(),
            self.before_kib,
            self.after_kib,
            self.per_subscriber_kib()
        )
    }
}

struct Server {
    child: Child,
    addr: std::net::SocketAddr,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(binary: &Path) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let child = Command::new(binary)
            .env("AGENTRY_LISTEN", addr.to_string())
            .env(
                "AGENTRY_DATABASE_URL",
                format!("sqlite://{}?mode=rwc", dir.path().join("idle.db").display()),
            )
            .env("AGENTRY_ADMIN_TOKEN", ADMIN)
            .env("AGENTRY_BLOB_DIR", dir.path().join("blobs"))
            .env("AGENTRY_LOG", "warn")
            // Freed pages go back at once, so resident memory is memory in use.
            .env("MIMALLOC_PURGE_DELAY", "0")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let server = Self {
            child,
            addr,
            http: reqwest::Client::new(),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get("/healthz").await.is_err() {
            anyhow::ensure!(Instant::now() < deadline, "agentry-api did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(server)
    }

    async fn get(&self, path: &str) -> anyhow::Result<String> {
        Ok(self
            .http
            .get(format!("http://{}{path}", self.addr))
            .bearer_auth(ADMIN)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?)
    }

    async fn project(&self) -> anyhow::Result<String> {
        let created: serde_json::Value = self
            .http
            .post(format!("http://{}/api/v1/projects", self.addr))
            .bearer_auth(ADMIN)
            .json(&serde_json::json!({"name": "Idle", "key": "IDLE"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        created["project"]["id"]
            .as_str()
            .map(str::to_owned)
            .context("no project id")
    }

    /// Resident memory now, in KiB.
    fn resident_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS in /proc")
    }

    /// Waits until the server counts `n` subscribers, then lets it settle.
    async fn settled_with(&self, n: usize) -> anyhow::Result<()> {
        let line = format!("agentry_live_subscribers {n}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.get("/metrics").await?.lines().any(|l| l == line) {
            anyhow::ensure!(
                Instant::now() < deadline,
                "the server never counted {n} subscribers"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(SETTLE).await;
        Ok(())
    }
}

/// One measurement on a fresh server (and SQLite database) for `transport`.
pub async fn measure(binary: &Path, transport: Transport) -> anyhow::Result<IdleFigure> {
    let server = Server::start(binary).await?;
    let query = format!("project_id={}", server.project().await?);
    // The first subscriber starts the process's reader: not a subscriber's cost.
    drop(Subscriber::open(transport, server.addr, ADMIN, &query).await?);
    server.settled_with(0).await?;
    let before_kib = server.resident_kib()?;
    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        idle.push(Subscriber::open(transport, server.addr, ADMIN, &query).await?);
    }
    server.settled_with(IDLE).await?;
    let after_kib = server.resident_kib()?;
    drop(idle);
    Ok(IdleFigure {
        transport,
        before_kib,
        after_kib,
    })
}
