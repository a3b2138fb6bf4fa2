//! Two `agentry-api` processes on one database: a registry change made through
//! one reaches the other's cached resolved configuration within a second, with no
//! restart. On SQLite (always) and on PostgreSQL (when `AGENTRY_TEST_PG_URL` is set).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agentry_store::testing::TestDatabase;
use serde_json::{Value, json};

const ADMIN: &str = "agt_live-registry-admin-0123456789";

/// A running `agentry-api`, killed when dropped.
struct Process {
    child: Child,
    base: String,
    http: reqwest::Client,
    _blobs: tempfile::TempDir,
}

impl Process {
    async fn start(database_url: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let blobs = tempfile::tempdir().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_agentry-api"))
            .env("AGENTRY_LISTEN", format!("127.0.0.1:{port}"))
            .env("AGENTRY_DATABASE_URL", database_url)
            .env("AGENTRY_ADMIN_TOKEN", ADMIN)
            .env("AGENTRY_BLOB_DIR", blobs.path())
            .env("AGENTRY_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let process = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
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

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(ADMIN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    async fn description_seen(&self, assistant: &str) -> String {
        let resolved = self
            .send(
                reqwest::Method::GET,
                &format!("/assistants/{assistant}/resolved"),
                None,
            )
            .await;
        resolved["tools"][0]["tool"]["description"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn a_change_through_one_process_reaches_the_other_within_a_second(db: TestDatabase) {
    let writer = Process::start(db.url()).await;
    // Started after the first has migrated, as a rolling deploy would.
    let reader = Process::start(db.url()).await;
    let post = reqwest::Method::POST;
    let assistant = writer
        .send(
            post.clone(),
            "/assistants",
            Some(json!({"name": "Secretary", "model": "gpt-4o", "assistant_type": "llm"})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tool = writer
        .send(
            post.clone(),
            "/tools",
            Some(json!({"name": "get_weather", "tool_type": "weather",
            "description": "v1", "input_schema": {"type": "object"}})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    writer
        .send(post, &format!("/assistants/{assistant}/tools/{tool}"), None)
        .await;
    // The reader builds and caches the resolved configuration.
    assert_eq!(reader.description_seen(&assistant).await, "v1");
    assert_eq!(reader.description_seen(&assistant).await, "v1");

    writer
        .send(
            reqwest::Method::PATCH,
            &format!("/tools/{tool}"),
            Some(json!({"description": "v2"})),
        )
        .await;
    let changed = Instant::now();
    while reader.description_seen(&assistant).await != "v2" {
        assert!(
            changed.elapsed() < Duration::from_secs(1),
            "the other process still serves the old configuration after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(writer.description_seen(&assistant).await, "v2");
}

agentry_store::on_each_database!(
    agentry_store::testing::with_database;
    a_change_through_one_process_reaches_the_other_within_a_second
);
