//! `agentry-planner plan --follow` and `export-script` as processes against a
//! running API (served on loopback, with the offline provider): the plan is
//! generated, each task's progress is shown as plain lines (stdout is not a
//! terminal) until the plan ends, and the exit code says how it ended: 0 done,
//! 1 failed, 3 when it could not be made.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first surprise"
)]

use std::process::{Command, Output};

use agentry_app::{ApiConfig, App, Secret};
use agentry_domain::Principal;
use agentry_domain::registry::{AssistantDraft, AssistantKind};
use agentry_domain::workspace::NewProject;
use agentry_store::testing::TestDatabase;
use serde_json::{Value, json};

const ADMIN: &str = "agt_planner-plan-test-admin-012345";

fn proposal(second_agent: &str) -> String {
    json!({"tasks": [
        {"id": "gather", "title": "Gather", "description": "", "agent_type": "Worker",
         "depends_on": [], "can_parallel": true, "priority": "medium"},
        {"id": "write", "title": "Write", "description": "", "agent_type": second_agent,
         "depends_on": ["gather"], "can_parallel": true, "priority": "medium"}
    ]})
    .to_string()
}

/// An API on loopback with the offline provider; its base URL. Dropping the
/// sender stops it.
async fn api(
    script: Value,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    (tempfile::TempDir, TestDatabase),
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.json");
    std::fs::write(&path, script.to_string()).unwrap();
    let db = TestDatabase::sqlite();
    let mut config = ApiConfig::for_database(db.url());
    config.admin_token = Some(Secret(ADMIN.into()));
    config.blob_dir = dir.path().join("blobs");
    config.engine.model_script = Some(path);
    config.engine.backoff_ms = 10;
    let app = App::build(config).await.unwrap();
    let admin: Principal = app.services.accounts.authenticate(ADMIN).await.unwrap();
    for (name, is_secretary) in [("Secretary", true), ("Worker", false), ("Breaker", false)] {
        let draft = AssistantDraft {
            name: name.into(),
            is_secretary,
            model: "scripted".into(),
            instructions: format!("You are the {name}."),
            assistant_type: AssistantKind::Llm,
            openai_assistant_id: None,
            is_active: true,
        };
        app.services
            .registry
            .create_assistant(&admin, draft)
            .await
            .unwrap();
    }
    let project = NewProject {
        name: "Planner".into(),
        key: "PL".into(),
        description: String::new(),
        handle: None,
    };
    app.services.projects.create(&admin, project).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    (base, stop, (dir, db))
}

async fn planner(base: &str, token: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agentry-planner"));
    command
        .args(args)
        .env("AGENTRY_API_URL", base)
        .env("AGENTRY_TOKEN", token);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_follow_shows_each_task_until_the_plan_is_done_then_exports_its_script() {
    let script = json!({"assistants": {
        "Secretary": [{"content": proposal("Worker")}],
        "Worker": [
            {"tool_calls": [{"name": "report_progress", "arguments": {"progress": 50}}],
             "delay_ms": 300},
            {"content": "Done.", "delay_ms": 300}
        ]
    }});
    let (base, _stop, _dir) = api(script).await;
    let goal = [
        "plan",
        "--project",
        "pl",
        "--goal",
        "Write it up",
        "--follow",
    ];
    let output = planner(&base, ADMIN, &[&goal[..], &["--poll-ms", "50"]].concat()).await;
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("plan ") && lines[0].contains("(2 tasks): Write it up"));
    for expected in [
        "PL-1 pending 0% Gather",
        "PL-1 in_progress 50% Gather",
        "PL-1 done 100% Gather",
        "PL-2 done 100% Write",
    ] {
        assert!(lines.contains(&expected), "no {expected:?} in\n{stdout}");
    }
    let running = lines.iter().position(|l| l.starts_with("PL-1 in_progress"));
    let done = lines.iter().position(|l| l.starts_with("PL-1 done"));
    assert!(running < done, "{stdout}");
    assert!(lines.last().unwrap().ends_with(" done"), "{stdout}");

    let plan_id = lines[0].split_whitespace().nth(1).unwrap();
    let exported = planner(&base, ADMIN, &["export-script", plan_id]).await;
    assert_eq!(
        exported.status.code(),
        Some(0),
        "{}",
        text(&exported.stderr)
    );
    let script: Value = serde_json::from_slice(&exported.stdout).unwrap();
    assert_eq!(script["goal"], "Write it up");
    assert_eq!(
        script["tasks"]["gather"]["Worker"][0]["tool_calls"][0]["name"],
        "report_progress"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_plan_exits_1_and_a_refused_goal_exits_3() {
    let script = json!({"assistants": {
        "Secretary": [{"content": proposal("Breaker")}],
        "Breaker": [{"content": "never", "fail_times": 100, "error": "model down"}],
        "*": [{"content": "Done."}]
    }});
    let (base, _stop, _dir) = api(script).await;
    let args = [
        "plan",
        "--project",
        "PL",
        "--goal",
        "Break",
        "--follow",
        "--poll-ms",
        "50",
    ];
    let output = planner(&base, ADMIN, &args).await;
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("PL-2 failed") && l.contains("model down")),
        "{stdout}"
    );

    let refused = planner(&base, "agt_not-a-real-token-0000000000000", &args).await;
    assert_eq!(refused.status.code(), Some(3));
    assert!(
        text(&refused.stderr).contains("401"),
        "{}",
        text(&refused.stderr)
    );
    let unknown = ["plan", "--project", "NOPE", "--goal", "x"];
    let refused = planner(&base, ADMIN, &unknown).await;
    assert_eq!(refused.status.code(), Some(3));
    assert!(
        text(&refused.stderr).contains("NOPE"),
        "{}",
        text(&refused.stderr)
    );
}
