//! A stop that was asked for is no trouble: `agentry-planner run` and
//! `agentry-planner supervise` on PostgreSQL, stopped with SIGTERM once up,
//! exit cleanly and log no warning (their listeners end with the store,
//! their workers' exits are expected).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use agentry_migration::{Migrator, MigratorTrait as _};
use agentry_store::testing::TestDatabase;
use agentry_store::{Options, Store};

/// A process whose log lines (stderr) are read as they come; killed when
/// dropped.
struct Logged {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Logged {
    fn start(command: &mut Command) -> Self {
        let mut child = command
            .env("AGENTRY_LOG", "info")
            .env("AGENTRY_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (up to 30 s) for a line containing `text`.
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.seen.iter().any(|line| line.contains(text)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("no {text:?} within 30 s in {:#?}", self.seen),
            }
        }
    }

    /// SIGTERM; every line it logged until it exited, which it must do cleanly.
    fn stop(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        // The reader ends with the pipe: at the exit of the last process
        // writing to it (a supervisor's workers share it).
        self.seen.extend(self.lines.iter());
        assert!(status.success(), "exited with {status}: {:#?}", self.seen);
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn planner(url: &str, script: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agentry-planner"));
    command
        .env("AGENTRY_DATABASE_URL", url)
        .env("AGENTRY_MODEL_SCRIPT", script);
    command
}

/// A migrated PostgreSQL database and a model script.
async fn setup() -> (TestDatabase, tempfile::NamedTempFile) {
    let db = TestDatabase::required_postgres().await;
    let store = Store::connect(db.url(), &Options::default()).await.unwrap();
    Migrator::up(store.connection(), None).await.unwrap();
    store.close().await.unwrap();
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        script.path(),
        r#"{"assistants": {"*": [{"content": "ok"}]}}"#,
    )
    .unwrap();
    (db, script)
}

fn warnings(lines: &[String]) -> Vec<&String> {
    lines
        .iter()
        .filter(|line| line.contains(r#""level":"WARN""#) || line.contains(r#""level":"ERROR""#))
        .collect()
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set AGENTRY_TEST_PG_URL and pass --include-ignored"]
async fn a_planner_stopped_with_sigterm_on_postgresql_logs_no_warning() {
    let (db, script) = setup().await;
    let mut run =
        Logged::start(planner(db.url(), script.path()).args(["run", "--migrate", "false"]));
    run.wait_for("planner running");
    // Its listeners hold their connections by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lines = run.stop();
    assert!(
        lines.iter().any(|line| line.contains("planner stopped")),
        "{lines:#?}"
    );
    assert_eq!(warnings(&lines), Vec::<&String>::new(), "{lines:#?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set AGENTRY_TEST_PG_URL and pass --include-ignored"]
async fn a_supervisor_stopped_with_sigterm_on_postgresql_logs_no_warning() {
    let (db, script) = setup().await;
    let mut supervise = Logged::start(planner(db.url(), script.path()).args([
        "supervise",
        "--workers",
        "1",
        "--migrate",
        "false",
        "--stop-grace-seconds",
        "10",
    ]));
    // The worker's lines come through the same pipe.
    supervise.wait_for("planner running");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lines = supervise.stop();
    for stopped in ["planner stopped", "worker stopped", "supervisor stopped"] {
        assert!(
            lines.iter().any(|line| line.contains(stopped)),
            "{stopped}: {lines:#?}"
        );
    }
    assert_eq!(warnings(&lines), Vec::<&String>::new(), "{lines:#?}");
}
