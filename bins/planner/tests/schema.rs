//! A planner told not to migrate (`--migrate false`) checks that the database
//! has every migration it needs before it runs a step: on PostgreSQL a step is
//! a function the migrator installs, and a worker without it would fail every
//! step, so it refuses to start and says what to run.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails loudly on the first surprise"
)]

use std::process::Command;
use std::time::Duration;

use agentry_migration::{Migrator, MigratorTrait as _};
use agentry_store::testing::TestDatabase;
use agentry_store::{Options, Store};

/// Runs `agentry-planner run --migrate false` on `db`, migrated to all but
/// its last migration; its exit status and standard error.
async fn run_on_an_older_schema(db: &TestDatabase) -> (std::process::ExitStatus, String) {
    let store = Store::connect(db.url(), &Options::default()).await.unwrap();
    Migrator::up(store.connection(), None).await.unwrap();
    Migrator::down(store.connection(), Some(1)).await.unwrap();
    store.close().await.unwrap();
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        script.path(),
        r#"{"assistants": {"*": [{"content": "ok"}]}}"#,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentry-planner"))
        .env("AGENTRY_DATABASE_URL", db.url())
        .env("AGENTRY_MODEL_SCRIPT", script.path())
        .args(["run", "--migrate", "false"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // It refuses at once; one that ran would have to be stopped.
    for _ in 0..300 {
        if child.try_wait().unwrap().is_some() {
            let output = child.wait_with_output().unwrap();
            return (
                output.status,
                String::from_utf8_lossy(&output.stderr).into_owned(),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    panic!("the planner ran on a database that lacks a migration");
}

fn assert_refused(status: std::process::ExitStatus, stderr: &str) {
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains("lacks 1 migration(s)") && stderr.contains("agentry-migrate up"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_planner_refuses_a_sqlite_database_that_lacks_a_migration() {
    let db = TestDatabase::sqlite();
    let (status, stderr) = run_on_an_older_schema(&db).await;
    assert_refused(status, &stderr);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set AGENTRY_TEST_PG_URL and pass --include-ignored"]
async fn a_planner_refuses_a_postgresql_database_without_its_step_function() {
    let db = TestDatabase::required_postgres().await;
    let (status, stderr) = run_on_an_older_schema(&db).await;
    assert_refused(status, &stderr);
}
