//! `agentry-planner supervise` as a real process over real workers: killed
//! workers make a crash loop, recorded with its backoff, and the restart waits
//! it out, as does every restart after it while the workers keep crashing;
//! worker flags `run` rejects stop the supervisor before it starts any; a revision that stays up is promoted and its build kept, and a
//! crashing build is rolled back to it. What the supervisor needs (the next
//! worker's number, the revision to go back to) is read from these events. On
//! SQLite (always) and on PostgreSQL (when `AGENTRY_TEST_PG_URL` is set).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

use std::os::unix::fs::PermissionsExt as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agentry_domain::event::Event;
use agentry_domain::log::{EventFilter, EventRepo as _};
use agentry_migration::{Migrator, MigratorTrait as _};
use agentry_store::testing::TestDatabase;
use agentry_store::{Options, Store};
use serde_json::Value;

agentry_store::on_each_database!(agentry_store::testing::with_database;
    killed_workers_make_a_crash_loop_whose_backoff_holds_the_restart_back,
    a_revision_that_stays_up_is_promoted_and_a_crashing_one_rolled_back_to_it,
    every_restart_in_a_crash_loop_waits_twice_as_long_as_the_one_before,
    worker_flags_run_rejects_stop_the_supervisor_before_any_worker_starts,
);

const PLANNER: &str = env!("CARGO_BIN_EXE_agentry-planner");

/// A running supervisor, killed when dropped (its workers then see their
/// supervisor gone only through their own signals: tests stop it first).
struct Supervisor(Child);

impl Supervisor {
    fn start(url: &str, script: &std::path::Path, flags: &[&str]) -> Self {
        let child = Command::new(PLANNER)
            .arg("supervise")
            .args(["--workers", "1", "--stop-grace-seconds", "5"])
            .args(flags)
            .env("AGENTRY_DATABASE_URL", url)
            .env("AGENTRY_MODEL_SCRIPT", script)
            .env("AGENTRY_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Self(child)
    }

    /// SIGTERM, then waits for it to stop its workers and exit.
    fn stop(mut self) {
        signal("TERM", self.0.id());
        let status = self.0.wait().unwrap();
        assert!(status.success(), "the supervisor exited with {status}");
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(name: &str, pid: impl std::fmt::Display) {
    let status = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Every event of `kind`, oldest first.
async fn events(store: &Store, kind: &str) -> Vec<Event> {
    let filter = EventFilter {
        types: vec![kind.to_owned()],
        limit: 200,
        ..EventFilter::default()
    };
    let mut found = store.list_events(&filter).await.unwrap();
    found.reverse();
    found
}

/// Waits (up to 30 s) until `kind` has at least `count` events; them.
async fn wait_for(store: &Store, kind: &str, count: usize) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = events(store, kind).await;
        if found.len() >= count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{count} × {kind} within 30 s; got {}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn payload(event: &Event) -> &Value {
    event.kind.payload()
}

fn by_role<'a>(started: &'a [Event], role: &str) -> Vec<&'a Event> {
    started
        .iter()
        .filter(|e| payload(e)["role"] == role)
        .collect()
}

async fn setup(db: &TestDatabase) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("script.json"),
        r#"{"assistants": {"*": [{"content": "ok"}]}}"#,
    )
    .unwrap();
    // Migrated here, so that the store can read before the supervisor has run.
    let store = Store::connect(db.url(), &Options::default()).await.unwrap();
    Migrator::up(store.connection(), None).await.unwrap();
    (store, dir)
}

async fn killed_workers_make_a_crash_loop_whose_backoff_holds_the_restart_back(db: TestDatabase) {
    let (store, dir) = setup(&db).await;
    let supervisor = Supervisor::start(
        db.url(),
        &dir.path().join("script.json"),
        &[
            "--crash-threshold",
            "3",
            "--crash-window-seconds",
            "60",
            "--backoff-initial-ms",
            "1500",
        ],
    );
    for n in 1..=3 {
        // Killed once it is up: its own process.started is recorded.
        let started = wait_for(&store, "process.started", n + 1).await;
        assert_eq!(by_role(&started, "worker").len(), n);
        let spawned = wait_for(&store, "worker.spawned", n).await;
        signal("KILL", &payload(&spawned[n - 1])["pid"]);
        wait_for(&store, "worker.exited", n).await;
    }
    let detected = wait_for(&store, "crash_loop.detected", 1).await;
    assert_eq!(payload(&detected[0])["threshold"], 3);
    assert_eq!(payload(&detected[0])["window_seconds"], 60);
    assert_eq!(payload(&detected[0])["backoff_ms"], 1500);
    let spawned = wait_for(&store, "worker.spawned", 4).await;
    wait_for(&store, "process.started", 5).await;
    let pid = supervisor.0.id();
    supervisor.stop();

    let started = events(&store, "process.started").await;
    let [boss] = by_role(&started, "supervisor")[..] else {
        panic!("one supervisor: {started:?}")
    };
    assert_eq!(payload(boss)["pid"], pid);
    for worker in by_role(&started, "worker") {
        assert_eq!(worker.parent_id, Some(boss.id), "PARENT_PROCESS_ID");
        assert_eq!(payload(worker)["revision"], payload(boss)["revision"]);
    }
    let seqs: Vec<&Value> = spawned.iter().map(|e| &payload(e)["seq"]).collect();
    assert_eq!(seqs, [1, 2, 3, 4], "numbered from the log");
    assert!(spawned.iter().all(|e| e.parent_id == Some(boss.id)));
    let exited = events(&store, "worker.exited").await;
    assert_eq!(exited.len(), 4, "three killed, one stopped: {exited:?}");
    for killed in &exited[..3] {
        assert_eq!(payload(killed)["signal"], 9);
        assert_eq!(payload(killed)["exit_code"], Value::Null);
        assert_eq!(payload(killed)["requested"], false);
    }
    assert_eq!(payload(&exited[3])["requested"], true);
    assert_eq!(
        payload(&exited[3])["exit_code"],
        0,
        "a worker stops cleanly on SIGTERM"
    );
    let gap =
        |after: &Event, before: &Event| (after.created_at - before.created_at).to_std().unwrap();
    assert!(
        gap(&spawned[1], &exited[0]) < Duration::from_secs(1),
        "before the loop a worker is restarted at once"
    );
    assert!(
        gap(&spawned[3], &exited[2]) >= Duration::from_millis(1500),
        "after the loop the restart waits out the backoff: {:?}",
        gap(&spawned[3], &exited[2])
    );
    assert!(detected[0].created_at <= spawned[3].created_at);
}

async fn a_revision_that_stays_up_is_promoted_and_a_crashing_one_rolled_back_to_it(
    db: TestDatabase,
) {
    let (store, dir) = setup(&db).await;
    let script = dir.path().join("script.json");
    let builds = dir.path().join("builds");
    let builds_flag = builds.to_str().unwrap();
    let good = Supervisor::start(
        db.url(),
        &script,
        &["--builds-dir", builds_flag, "--promote-after-seconds", "1"],
    );
    let promoted = wait_for(&store, "revision.promoted", 1).await;
    good.stop();
    let revision = payload(&promoted[0])["revision"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        promoted[0].parent_id, None,
        "a promotion outlives its supervisor"
    );
    let started = events(&store, "process.started").await;
    assert_eq!(
        payload(by_role(&started, "worker")[0])["revision"],
        revision.as_str()
    );
    assert_eq!(
        std::fs::read(builds.join(&revision)).unwrap(),
        std::fs::read(PLANNER).unwrap(),
        "the promoted build is kept under its revision"
    );

    let bad = dir.path().join("bad-build");
    std::fs::write(&bad, "#!/bin/sh\nexit 3\n").unwrap();
    std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o755)).unwrap();
    let crashing = Supervisor::start(
        db.url(),
        &script,
        &[
            "--worker-binary",
            bad.to_str().unwrap(),
            "--builds-dir",
            builds_flag,
            "--crash-threshold",
            "2",
            "--backoff-initial-ms",
            "200",
            "--promote-after-seconds",
            "3600",
        ],
    );
    let rollback = wait_for(&store, "rollback.attempted", 1).await;
    assert_eq!(payload(&rollback[0])["target_revision"], revision.as_str());
    assert_eq!(payload(&rollback[0])["success"], true);
    assert_ne!(payload(&rollback[0])["from_revision"], revision.as_str());
    // The kept build now runs: a worker of the good revision under the second supervisor.
    let deadline = Instant::now() + Duration::from_secs(30);
    let boss = loop {
        let started = events(&store, "process.started").await;
        let bosses = by_role(&started, "supervisor");
        let boss = bosses.last().unwrap().id;
        if by_role(&started, "worker")
            .iter()
            .any(|w| w.parent_id == Some(boss) && payload(w)["revision"] == revision.as_str())
        {
            break boss;
        }
        assert!(Instant::now() < deadline, "no worker of the kept build");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    crashing.stop();
    let exited = events(&store, "worker.exited").await;
    let crashed: Vec<&Event> = exited
        .iter()
        .filter(|e| e.parent_id == Some(boss) && payload(e)["exit_code"] == 3)
        .collect();
    assert_eq!(crashed.len(), 2, "the bad build crashed twice: {exited:?}");
    let spawned = events(&store, "worker.spawned").await;
    let revisions: Vec<&Value> = spawned
        .iter()
        .filter(|e| e.parent_id == Some(boss))
        .map(|e| &payload(e)["revision"])
        .collect();
    assert_eq!(revisions.len(), 3);
    assert_eq!(revisions[2], revision.as_str());
    assert_eq!(payload(&rollback[0])["from_revision"], *revisions[0]);
}

async fn every_restart_in_a_crash_loop_waits_twice_as_long_as_the_one_before(db: TestDatabase) {
    let (store, dir) = setup(&db).await;
    let crashing = dir.path().join("crashing-build");
    std::fs::write(&crashing, "#!/bin/sh\nexit 3\n").unwrap();
    std::fs::set_permissions(&crashing, std::fs::Permissions::from_mode(0o755)).unwrap();
    let supervisor = Supervisor::start(
        db.url(),
        &dir.path().join("script.json"),
        &[
            "--worker-binary",
            crashing.to_str().unwrap(),
            "--crash-threshold",
            "2",
            "--backoff-initial-ms",
            "300",
            "--backoff-max-ms",
            "1000",
        ],
    );
    let spawned = wait_for(&store, "worker.spawned", 6).await;
    supervisor.stop();
    let exited = events(&store, "worker.exited").await;
    assert_eq!(events(&store, "crash_loop.detected").await.len(), 1);
    // The second exit made the loop: each restart after it waited.
    let waited: Vec<Duration> = (1..5)
        .map(|n| {
            (spawned[n + 1].created_at - exited[n].created_at)
                .to_std()
                .unwrap()
        })
        .collect();
    for (wait, at_least) in waited.iter().zip([300, 600, 1000, 1000]) {
        assert!(
            *wait >= Duration::from_millis(at_least)
                && *wait < Duration::from_millis(at_least + 900),
            "waits doubling from 300 ms to 1 s: {waited:?}"
        );
    }
}

async fn worker_flags_run_rejects_stop_the_supervisor_before_any_worker_starts(db: TestDatabase) {
    let (store, dir) = setup(&db).await;
    let script = dir.path().join("script.json");
    let said = refusal(
        Command::new(PLANNER)
            .args(["supervise", "--", "--concurrency", "8"])
            .env("AGENTRY_DATABASE_URL", db.url())
            .env("AGENTRY_MODEL_SCRIPT", &script),
    );
    assert!(
        said.contains("`run` rejects the workers' flags") && said.contains("--engine-concurrency"),
        "the error names the flag and `run`'s own: {said}"
    );
    let said = refusal(
        Command::new(PLANNER)
            .args(["supervise", "--", "--engine-concurrency", "8"])
            .env("AGENTRY_DATABASE_URL", db.url())
            .env_remove("AGENTRY_MODEL_SCRIPT")
            .env_remove("AGENTRY_MODEL_URL")
            .env_remove("AGENTRY_MODEL_PROVIDERS"),
    );
    assert!(
        said.contains("no model provider is configured for the workers"),
        "{said}"
    );
    let started = events(&store, "process.started").await;
    assert!(started.is_empty(), "nothing started: {started:?}");
}

/// Runs a supervisor that must refuse to start: what it said on stderr.
fn refusal(command: &mut Command) -> String {
    let mut refused = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A supervisor that took the flags would restart its workers forever.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = refused.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = refused.kill();
            let _ = refused.wait();
            panic!("the supervisor took flags it should refuse and ran for 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut said = String::new();
    std::io::Read::read_to_string(&mut refused.stderr.take().unwrap(), &mut said).unwrap();
    assert!(!status.success(), "{said}");
    said
}
