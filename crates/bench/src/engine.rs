//! The engine's throughput: plans of no-op scripted agents (one model turn, no
//! tool call; every agent event written), from submission to the last task
//! done. W1: 1,000 independent tasks; W2: a chain of 200; W3: 10 layers of 100,
//! each task after two of the layer before. SQLite runs the engine inside the
//! API's process (the embedded default); PostgreSQL runs it in 1 and 2
//! `agentry-planner run` processes beside an API that runs none.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agentry_app::{ApiConfig, App, Secret};
use agentry_domain::Principal;
use agentry_domain::planning::{PlanDraft, PlanRepo as _, PlannedTask};
use agentry_domain::registry::{AssistantDraft, AssistantKind};
use agentry_domain::workspace::NewProject;
use agentry_store::testing::TestDatabase;
use anyhow::Context as _;
use sea_orm::{ConnectionTrait as _, Statement};

const ADMIN: &str = "agt_bench-engine-admin-0123456789";
const SCRIPT: &str = r#"{"assistants": {"*": [{"content": "Done.", "usage": {"input_tokens": 12, "output_tokens": 2}}]}}"#;

/// One workload's figures.
#[derive(Debug, Clone)]
pub struct EngineFigure {
    pub database: &'static str,
    /// Where the engine ran: "in agentry-api", "1 planner", "2 planners".
    pub runner: String,
    pub workload: &'static str,
    pub tasks: usize,
    pub elapsed: Duration,
    pub events_per_task: f64,
    /// One durable single-row commit on the same database, measured after
    /// the workload (see [`crate::floor`]).
    pub floor: Duration,
    /// One statement that does nothing, through the same connection.
    pub round_trip: Duration,
}

impl EngineFigure {
    pub fn tasks_per_second(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "task counts are small")]
        let tasks = self.tasks as f64;
        tasks / self.elapsed.as_secs_f64()
    }

    pub fn floor_ms(&self) -> f64 {
        self.floor.as_secs_f64() * 1000.0
    }

    pub fn round_trip_ms(&self) -> f64 {
        self.round_trip.as_secs_f64() * 1000.0
    }

    /// A task's time in durable commits: how many floors one task costs.
    pub fn floors_per_task(&self) -> f64 {
        self.ms_per_task() / self.floor_ms()
    }

    pub fn ms_per_task(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "task counts are small")]
        let tasks = self.tasks as f64;
        self.elapsed.as_secs_f64() * 1000.0 / tasks
    }
}

impl std::fmt::Display for EngineFigure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "engine {} ({}) {}: {} tasks in {:.3} s, {:.0} tasks/s, {:.3} ms/task, {:.1} events/task; \
             floor {:.3} ms, {:.2} floors/task; statement round trip {:.3} ms",
            self.database,
            self.runner,
            self.workload,
            self.tasks,
            self.elapsed.as_secs_f64(),
            self.tasks_per_second(),
            self.ms_per_task(),
            self.events_per_task,
            self.floor_ms(),
            self.floors_per_task(),
            self.round_trip_ms()
        )
    }
}

fn task(id: String, deps: Vec<String>) -> PlannedTask {
    PlannedTask {
        title: id.clone(),
        id,
        agent_type: Some("Noop".into()),
        depends_on: deps,
        ..PlannedTask::default()
    }
}

/// The three workloads.
fn workloads() -> Vec<(&'static str, Vec<PlannedTask>)> {
    let w1 = (0..1000)
        .map(|i| task(format!("t{i}"), Vec::new()))
        .collect();
    let w2 = (0..200)
        .map(|i| {
            let deps = if i == 0 {
                Vec::new()
            } else {
                vec![format!("t{}", i - 1)]
            };
            task(format!("t{i}"), deps)
        })
        .collect();
    let w3 = (0..10)
        .flat_map(|layer| {
            (0..100).map(move |i| {
                let deps = if layer == 0 {
                    Vec::new()
                } else {
                    vec![
                        format!("l{}_{i}", layer - 1),
                        format!("l{}_{}", layer - 1, (i + 1) % 100),
                    ]
                };
                task(format!("l{layer}_{i}"), deps)
            })
        })
        .collect();
    vec![
        ("W1 1,000 independent", w1),
        ("W2 chain of 200", w2),
        ("W3 10 layers × 100", w3),
    ]
}

/// The binary `name` beside this one (`just bench` builds them).
pub fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let path = me
        .parent()
        .context("no directory for the bench binary")?
        .join(name);
    anyhow::ensure!(
        path.exists(),
        "{} is missing: build it with `cargo build --release -p {name}`",
        path.display()
    );
    Ok(path)
}

struct Planner(Child);

impl Drop for Planner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn planner(binary: &Path, url: &str, script: &Path, n: usize) -> anyhow::Result<Planner> {
    let child = Command::new(binary)
        .args([
            "run",
            "--migrate",
            "false",
            "--worker-name",
            &format!("bench-{n}"),
        ])
        .env("AGENTRY_DATABASE_URL", url)
        .env("AGENTRY_MODEL_SCRIPT", script)
        .env("AGENTRY_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    Ok(Planner(child))
}

/// Every workload on a fresh database of `db`'s kind each, the engine run by
/// `planners` processes (0: inside the API).
pub async fn measure(
    database: &'static str,
    fresh: impl AsyncFn() -> anyhow::Result<TestDatabase>,
    planners: usize,
) -> anyhow::Result<Vec<EngineFigure>> {
    let script = tempfile::NamedTempFile::new()?;
    std::fs::write(script.path(), SCRIPT)?;
    let mut figures = Vec::new();
    for (workload, tasks) in workloads() {
        let db = fresh().await?;
        let mut config = ApiConfig::for_database(db.url());
        config.admin_token = Some(Secret(ADMIN.into()));
        let blobs = tempfile::tempdir()?;
        config.blob_dir = blobs.path().to_owned();
        config.engine.model_script = Some(script.path().to_owned());
        config.run_engine = planners == 0;
        let runtime = config.runtime()?;
        let url = db.url().to_owned();
        let script_path = script.path().to_owned();
        let count = tasks.len();
        let figure = runtime
            .spawn(async move {
                let app = App::build(config).await?;
                let _running: Vec<Planner> = if planners == 0 {
                    Vec::new()
                } else {
                    let binary = sibling("agentry-planner")?;
                    (0..planners)
                        .map(|n| planner(&binary, &url, &script_path, n))
                        .collect::<anyhow::Result<_>>()?
                };
                let figure = run_one(&app, tasks).await?;
                let writer = app.store.connection();
                let floor = crate::floor::durable_commit(writer).await?;
                let round_trip = crate::floor::round_trip(writer).await?;
                anyhow::Ok((figure, floor, round_trip))
            })
            .await??;
        let ((elapsed, events_per_task), floor, round_trip) = figure;
        let runner = match planners {
            0 => "in agentry-api".to_owned(),
            1 => "1 planner".to_owned(),
            n => format!("{n} planners"),
        };
        let figure = EngineFigure {
            database,
            runner,
            workload,
            tasks: count,
            elapsed,
            events_per_task,
            floor,
            round_trip,
        };
        println!("{figure}");
        figures.push(figure);
        runtime.shutdown_background();
        drop(db);
    }
    Ok(figures)
}

/// Submits the plan and waits for its last task; (elapsed, events per task).
async fn run_one(app: &App, tasks: Vec<PlannedTask>) -> anyhow::Result<(Duration, f64)> {
    let admin: Principal = app.services.accounts.authenticate(ADMIN).await?;
    app.services
        .registry
        .create_assistant(
            &admin,
            AssistantDraft {
                name: "Noop".into(),
                is_secretary: false,
                model: "scripted".into(),
                instructions: "Say done.".into(),
                assistant_type: AssistantKind::Llm,
                openai_assistant_id: None,
                is_active: true,
            },
        )
        .await?;
    let (project, _) = app
        .services
        .projects
        .create(
            &admin,
            NewProject {
                name: "Bench".into(),
                key: "BE".into(),
                description: String::new(),
                handle: None,
            },
        )
        .await?;
    // Planners start listening while the fixtures are written.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let count = tasks.len();
    let started = Instant::now();
    let plan = app
        .services
        .plans
        .create(
            &admin,
            project.id,
            PlanDraft {
                goal: "bench".into(),
                thread_id: None,
                tasks,
            },
        )
        .await?;
    let deadline = started + Duration::from_secs(600);
    loop {
        let status = app
            .store
            .get_plan(plan.plan.id)
            .await?
            .context("the plan is gone")?
            .status;
        if status.is_final() {
            anyhow::ensure!(
                status == agentry_domain::planning::PlanStatus::Done,
                "the plan ended {status}"
            );
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the plan did not finish");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let elapsed = started.elapsed();
    let conn = app.store.connection();
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) FROM events WHERE task_id IS NOT NULL".to_owned(),
        ))
        .await?
        .context("no count")?;
    let events: i64 = row.try_get_by_index(0)?;
    #[expect(clippy::cast_precision_loss, reason = "event counts are small")]
    let per_task = events as f64 / count as f64;
    Ok((elapsed, per_task))
}
