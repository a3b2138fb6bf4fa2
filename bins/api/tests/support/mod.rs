//! What the process tests share: a real `agentry-api` child process, a client
//! for it, and a PostgreSQL server of the test's own that it may stop.

#![allow(dead_code, reason = "each test binary uses its own part")]

pub mod fake_model;
pub mod own_postgres;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const ADMIN: &str = "agt_process-test-admin-0123456789";

/// A running `agentry-api`, killed when dropped.
pub struct Process {
    child: Child,
    pub base: String,
    pub port: u16,
    pub http: reqwest::Client,
    _blobs: tempfile::TempDir,
}

impl Process {
    pub async fn start(database_url: &str) -> Self {
        Self::start_with(database_url, &[]).await
    }

    /// Starts with extra `AGENTRY_*` settings and waits until it serves.
    ///
    /// The child binds port 0 itself and the address is read from its log: a port
    /// picked here and freed for the child could be picked by a parallel test too,
    /// and its health check would then reach the other test's server.
    pub async fn start_with(database_url: &str, settings: &[(&str, &str)]) -> Self {
        let blobs = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_agentry-api"))
            .env("AGENTRY_LISTEN", "127.0.0.1:0")
            .env("AGENTRY_DATABASE_URL", database_url)
            .env("AGENTRY_ADMIN_TOKEN", ADMIN)
            .env("AGENTRY_BLOB_DIR", blobs.path())
            .env("AGENTRY_LOG", "warn,agentry_app::app=info")
            .env("AGENTRY_LOG_FORMAT", "json")
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let port = listening_port(child.stderr.take().unwrap()).await;
        let process = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            _blobs: blobs,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while process
            .http
            .get(format!("{}/healthz", process.base))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "agentry-api did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        process
    }

    /// A request as the admin; the status and the body (`Null` when not JSON).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Result<(reqwest::StatusCode, reqwest::header::HeaderMap, Value)> {
        let mut request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(ADMIN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.json().await.unwrap_or(Value::Null);
        Ok((status, headers, body))
    }

    /// A request as the admin that must succeed; its body.
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let (status, _, body) = self.call(method, path, body).await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// A new project of the admin's; its id.
    pub async fn project(&self, key: &str) -> String {
        let created = self
            .send(
                reqwest::Method::POST,
                "/projects",
                Some(json!({"name": key, "key": key})),
            )
            .await;
        created["project"]["id"].as_str().unwrap().to_owned()
    }

    /// Every event id of a project's feed, read page by page.
    pub async fn event_ids(&self, project: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = self
                .send(
                    reqwest::Method::GET,
                    &format!("/events?project_id={project}&limit=200{cursor}"),
                    None,
                )
                .await;
            for event in page["events"].as_array().unwrap() {
                ids.push(event["id"].as_str().unwrap().to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return ids,
            }
        }
    }

    /// SIGKILL: no shutdown, no flush, as a crash or the OOM killer would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port from the child's `listening` log line; every line is passed on to
/// this process's stderr, so a failing test still shows what the server said.
async fn listening_port(stderr: std::process::ChildStderr) -> u16 {
    let (found, port) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut found = Some(found);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("{line}");
            let address = serde_json::from_str::<Value>(&line)
                .ok()
                .filter(|entry| entry["message"] == "listening")
                .and_then(|entry| entry["address"].as_str()?.parse::<SocketAddr>().ok());
            if let Some(address) = address
                && let Some(found) = found.take()
            {
                let _ = found.send(address.port());
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(30), port)
        .await
        .expect("agentry-api did not start listening within 30 s")
        .expect("agentry-api exited before it listened")
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A chat message body for `project`.
pub fn message(project: &str, content: &str) -> Value {
    json!({"project_id": project, "type": "chat_message", "payload": {"content": content}})
}
