//! `agentry-planner run` processes stopped from outside. SIGKILL: two share a
//! plan on PostgreSQL and one is killed while it holds leases; the plan still
//! completes, every task completes exactly once, and no task ever had two live
//! attempts (a new attempt begins only after the previous one was settled as
//! failed, by its worker or by a reaper once its lease expired). SIGKILL
//! between two steps of a chain, after the commit that settled one and
//! claimed the next: after a restart the next runs exactly once (both
//! databases). SIGTERM: the planner gives its running task back, no attempt
//! spent (SQLite).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agentry_app::{ApiConfig, App, Secret};
use agentry_domain::Principal;
use agentry_domain::id::PlanId;
use agentry_domain::log::EventFilter;
use agentry_domain::planning::{PlanDraft, PlanStatus, PlannedTask};
use agentry_domain::registry::{AssistantDraft, AssistantKind};
use agentry_domain::workspace::{NewProject, Project};
use agentry_store::testing::TestDatabase;

const ADMIN: &str = "agt_planner-test-admin-0123456789";

struct Planner(Child);

impl Planner {
    fn start(url: &str, script: &std::path::Path, name: &str) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_agentry-planner"))
            .args(["run", "--migrate", "false", "--worker-name", name])
            .env("AGENTRY_DATABASE_URL", url)
            .env("AGENTRY_MODEL_SCRIPT", script)
            .env("AGENTRY_ENGINE_LEASE_SECONDS", "2")
            .env("AGENTRY_ENGINE_CONCURRENCY", "4")
            .env("AGENTRY_ENGINE_BACKOFF_MS", "10")
            .env("AGENTRY_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Self(child)
    }
}

impl Drop for Planner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set AGENTRY_TEST_PG_URL and pass --include-ignored"]
async fn a_planner_killed_mid_plan_loses_no_task_and_runs_none_twice() {
    let db = TestDatabase::required_postgres().await;
    let (app, admin, project, _blobs) = setup(&db, "Worker", "KI").await;
    // 40 tasks: 30 independent, then a chain of 10 behind them.
    let mut tasks: Vec<PlannedTask> = (0..30)
        .map(|i| PlannedTask {
            id: format!("t{i}"),
            title: format!("task {i}"),
            agent_type: Some("Worker".into()),
            ..PlannedTask::default()
        })
        .collect();
    for i in 0..10 {
        tasks.push(PlannedTask {
            id: format!("c{i}"),
            title: format!("chained {i}"),
            agent_type: Some("Worker".into()),
            depends_on: vec![if i == 0 {
                "t0".into()
            } else {
                format!("c{}", i - 1)
            }],
            ..PlannedTask::default()
        });
    }
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        script.path(),
        // Turns long enough that a task the doomed planner holds when it is
        // seen holding one is still held when it is killed.
        r#"{"assistants": {"*": [{"content": "Done.", "delay_ms": 1000}]}}"#,
    )
    .unwrap();
    let mut doomed = Planner::start(db.url(), script.path(), "doomed");
    let _survivor = Planner::start(db.url(), script.path(), "survivor");
    let plan = submit(&app, &admin, &project, "survive a kill", tasks).await;
    let plan_id = plan.plan.id;

    // Kill the first planner while it holds leases.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = app.services.plans.get(&admin, plan_id).await.unwrap();
        let held_by_doomed = attempts(&app, &admin, &view).await.values().any(|a| {
            a.last()
                .is_some_and(|(worker, ended)| worker == "doomed" && !ended)
        });
        let done = view
            .tasks
            .iter()
            .filter(|t| t.task.record().status == agentry_domain::tracker::TaskStatus::Done)
            .count();
        if held_by_doomed && done >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the doomed planner never held a task"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    doomed.0.kill().unwrap();
    doomed.0.wait().unwrap();

    let view = plan_ended(&app, &admin, plan_id, Duration::from_secs(90)).await;
    assert_eq!(view.plan.status, PlanStatus::Done);
    let mut recovered = 0;
    for task in &view.tasks {
        let events = task_events(&app, &admin, task.task.id()).await;
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.type_name()).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "agent.completed").count(),
            1,
            "{}: {kinds:?}",
            task.key
        );
        // Attempts never overlap: between two starts there is always a failure.
        let mut open = false;
        for kind in kinds.iter().filter(|k| k.starts_with("agent.")) {
            match *kind {
                "agent.started" => {
                    assert!(
                        !open,
                        "{}: a second attempt while one was live: {kinds:?}",
                        task.key
                    );
                    open = true;
                }
                "agent.failed" | "agent.completed" => open = false,
                _ => {}
            }
        }
        // An attempt's end hangs under its start, by the member that acted,
        // whether its worker wrote it or a reaper did once its lease expired.
        // (A worker killed before its first write leaves no start to hang under.)
        let mut started: Option<&agentry_domain::event::Event> = None;
        for event in &events {
            match event.kind.type_name() {
                "agent.started" if event.parent_id.is_none() => started = Some(event),
                "agent.failed" | "agent.completed" => {
                    assert_eq!(
                        event.parent_id,
                        started.map(|s| s.id),
                        "{}: {} is not under its attempt's agent.started: {kinds:?}",
                        task.key,
                        event.kind.type_name()
                    );
                    if let Some(start) = started {
                        assert!(start.actor_id.is_some(), "{}: no actor", task.key);
                        assert_eq!(event.actor_id, start.actor_id, "{}", task.key);
                    }
                    started = None;
                }
                _ => {}
            }
        }
        let fences: Vec<i64> = events
            .iter()
            .filter(|e| e.kind.type_name() == "agent.started")
            .map(|e| e.kind.payload()["fence"].as_i64().unwrap())
            .collect();
        assert!(fences.windows(2).all(|w| w[0] < w[1]), "{fences:?}");
        if fences.len() > 1 {
            recovered += 1;
        }
    }
    assert!(
        recovered >= 1,
        "no task was taken over from the killed planner"
    );
}

#[tokio::test]
async fn a_chain_killed_between_steps_runs_the_next_step_exactly_once_on_sqlite() {
    killed_between_steps(&TestDatabase::sqlite()).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set AGENTRY_TEST_PG_URL and pass --include-ignored"]
async fn a_chain_killed_between_steps_runs_the_next_step_exactly_once_on_postgres() {
    killed_between_steps(&TestDatabase::required_postgres().await).await;
}

/// A chain a → b → c. The planner is killed as soon as the commit that
/// settled `a` (and, in the same transaction, claimed `b` for it) is seen,
/// while `b`'s first model turn is in flight. A second planner takes `b` up
/// once its lease expires; every task completes exactly once, and `b` has
/// exactly one completed model turn.
async fn killed_between_steps(db: &TestDatabase) {
    let (app, admin, project, _blobs) = setup(db, "Worker", "CH").await;
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        script.path(),
        // `b`'s turn is slow enough to be caught in flight.
        r#"{"assistants": {"*": [{"content": "Done."}]},
            "tasks": {"b": {"Worker": [{"content": "Done b.", "delay_ms": 1500}]}}}"#,
    )
    .unwrap();
    let link = |id: &str, after: Option<&str>| PlannedTask {
        id: id.into(),
        title: format!("step {id}"),
        agent_type: Some("Worker".into()),
        depends_on: after.map(|a| vec![a.to_owned()]).unwrap_or_default(),
        ..PlannedTask::default()
    };
    let mut doomed = Planner::start(db.url(), script.path(), "doomed");
    let plan = submit(
        &app,
        &admin,
        &project,
        "a chain cut between steps",
        vec![link("a", None), link("b", Some("a")), link("c", Some("b"))],
    )
    .await;
    let (a, b) = (plan.tasks[0].task.id(), plan.tasks[1].task.id());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = app.services.plans.get(&admin, plan.plan.id).await.unwrap();
        let status = |id| {
            view.tasks
                .iter()
                .find(|t| t.task.id() == id)
                .map(|t| t.task.record().status)
        };
        use agentry_domain::tracker::TaskStatus::{Done, InProgress};
        if status(a) == Some(Done) {
            assert_eq!(status(b), Some(InProgress), "a's commit did not claim b");
            break;
        }
        assert!(Instant::now() < deadline, "a never finished");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    doomed.0.kill().unwrap();
    doomed.0.wait().unwrap();
    let _survivor = Planner::start(db.url(), script.path(), "survivor");
    let view = plan_ended(&app, &admin, plan.plan.id, Duration::from_secs(60)).await;
    assert_eq!(view.plan.status, PlanStatus::Done);
    for task in &view.tasks {
        let events = task_events(&app, &admin, task.task.id()).await;
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.type_name()).collect();
        let count = |kind: &str| kinds.iter().filter(|k| **k == kind).count();
        assert_eq!(count("agent.completed"), 1, "{}: {kinds:?}", task.key);
        assert_eq!(count("turn.completed"), 1, "{}: {kinds:?}", task.key);
    }
    let events = task_events(&app, &admin, a).await;
    assert!(
        !events
            .iter()
            .any(|e| e.kind.type_name() == "agent.started"
                && e.kind.payload()["worker"] == "survivor"),
        "a ran again after its commit"
    );
    let events = task_events(&app, &admin, b).await;
    let resumed = events
        .iter()
        .filter(|e| e.kind.type_name() == "agent.started")
        .filter(|e| e.kind.payload()["worker"] == "survivor")
        .count();
    assert_eq!(resumed, 1, "b's runs after the restart");
}

#[tokio::test]
async fn a_planner_stopped_by_sigterm_gives_its_task_back_without_spending_an_attempt() {
    let db = TestDatabase::sqlite();
    let (app, admin, project, _blobs) = setup(&db, "Slow", "ST").await;
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        script.path(),
        r#"{"assistants": {"*": [{"content": "Too late.", "delay_ms": 60000}]}}"#,
    )
    .unwrap();
    let mut planner = Planner::start(db.url(), script.path(), "stopping");
    let plan = submit(
        &app,
        &admin,
        &project,
        "be interrupted",
        vec![PlannedTask {
            id: "slow".into(),
            title: "slow".into(),
            agent_type: Some("Slow".into()),
            ..PlannedTask::default()
        }],
    )
    .await;
    let task = plan.tasks[0].task.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !task_events(&app, &admin, task)
        .await
        .iter()
        .any(|e| e.kind.type_name() == "turn.started")
    {
        assert!(
            Instant::now() < deadline,
            "the planner never started the task"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = planner.0.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = planner.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the planner did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status}");
    let view = app.services.plans.get(&admin, plan.plan.id).await.unwrap();
    let record = view.tasks[0].task.record();
    assert_eq!(record.status, agentry_domain::tracker::TaskStatus::Pending);
    assert_eq!(view.tasks[0].task.execution().unwrap().retry_count, 0);
    let events = task_events(&app, &admin, task).await;
    let last = events.last().unwrap();
    assert_eq!(last.kind.type_name(), "agent.failed");
    assert_eq!(last.kind.payload()["retrying"], true);
    assert!(
        last.kind.payload()["error"]
            .as_str()
            .unwrap()
            .contains("stopped")
    );
}

/// The app on `db` with an admin, an assistant named `assistant` and a project
/// keyed `key`; keep the directory alive with the app.
async fn setup(
    db: &TestDatabase,
    assistant: &str,
    key: &str,
) -> (App, Principal, Project, tempfile::TempDir) {
    let mut config = ApiConfig::for_database(db.url());
    config.admin_token = Some(Secret(ADMIN.into()));
    let blobs = tempfile::tempdir().unwrap();
    config.blob_dir = blobs.path().to_owned();
    let app = App::build(config).await.unwrap();
    let admin: Principal = app.services.accounts.authenticate(ADMIN).await.unwrap();
    app.services
        .registry
        .create_assistant(
            &admin,
            AssistantDraft {
                name: assistant.into(),
                is_secretary: false,
                model: "scripted".into(),
                instructions: "Work.".into(),
                assistant_type: AssistantKind::Llm,
                openai_assistant_id: None,
                is_active: true,
            },
        )
        .await
        .unwrap();
    let (project, _) = app
        .services
        .projects
        .create(
            &admin,
            NewProject {
                name: format!("Project {key}"),
                key: key.into(),
                description: String::new(),
                handle: None,
            },
        )
        .await
        .unwrap();
    (app, admin, project, blobs)
}

/// Submits a plan of `tasks` for `goal` in `project`.
async fn submit(
    app: &App,
    admin: &Principal,
    project: &Project,
    goal: &str,
    tasks: Vec<PlannedTask>,
) -> agentry_domain::planning::PlanView {
    let draft = PlanDraft {
        goal: goal.into(),
        thread_id: None,
        tasks,
    };
    app.services
        .plans
        .create(admin, project.id, draft)
        .await
        .unwrap()
}

/// The plan once its status is final, read every 50 ms for at most `within`.
async fn plan_ended(
    app: &App,
    admin: &Principal,
    plan: PlanId,
    within: Duration,
) -> agentry_domain::planning::PlanView {
    let deadline = Instant::now() + within;
    loop {
        let view = app.services.plans.get(admin, plan).await.unwrap();
        if view.plan.status.is_final() {
            return view;
        }
        assert!(
            Instant::now() < deadline,
            "the plan did not finish: {:?}",
            view.plan.status
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The attempts of each task in progress, oldest first: (worker, whether it
/// ended). Only those: the look must be quick, so that what it saw is still so
/// when the planner is killed.
async fn attempts(
    app: &App,
    admin: &Principal,
    view: &agentry_domain::planning::PlanView,
) -> HashMap<agentry_domain::id::TaskId, Vec<(String, bool)>> {
    let mut all = HashMap::new();
    let running = view
        .tasks
        .iter()
        .filter(|t| t.task.record().status == agentry_domain::tracker::TaskStatus::InProgress);
    for task in running {
        let mut mine: Vec<(String, bool)> = Vec::new();
        for event in task_events(app, admin, task.task.id()).await {
            match event.kind.type_name() {
                "agent.started" => mine.push((
                    event.kind.payload()["worker"].as_str().unwrap().to_owned(),
                    false,
                )),
                "agent.completed" | "agent.failed" => {
                    if let Some(last) = mine.last_mut() {
                        last.1 = true;
                    }
                }
                _ => {}
            }
        }
        all.insert(task.task.id(), mine);
    }
    all
}

/// A task's events, oldest first.
async fn task_events(
    app: &App,
    admin: &Principal,
    task: agentry_domain::id::TaskId,
) -> Vec<agentry_domain::event::Event> {
    let page = app
        .services
        .events
        .list(
            admin,
            EventFilter {
                task_id: Some(task),
                limit: 200,
                ..EventFilter::default()
            },
        )
        .await
        .unwrap();
    let mut events = page.items;
    events.reverse();
    events
}
