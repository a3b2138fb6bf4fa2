//! `agentry-migrate import-assistants` / `export-assistants` against a real database.

use std::path::Path;

use agentry_app::{MigrateConfig, run_migrate};
use clap::Parser as _;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_test, spawn_app};

api_test!(
    the_example_imports_once_and_reimports_as_a_no_op,
    an_export_imported_into_an_empty_database_reproduces_the_registry,
    a_document_with_problems_writes_nothing,
);

const EXAMPLE: &str = include_str!("../../../../docs/registry-example.json");

pub(crate) async fn migrate(database_url: &str, args: &[&str]) -> anyhow::Result<()> {
    let mut argv = vec!["agentry-migrate", "--database-url", database_url];
    argv.extend_from_slice(args);
    run_migrate(MigrateConfig::try_parse_from(argv)?).await
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

async fn revision(app: &TestApp) -> i64 {
    app.get("/api/v1/registry/revision", &app.admin).await.body["revision"]
        .as_i64()
        .unwrap()
}

async fn the_example_imports_once_and_reimports_as_a_no_op(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("registry.json");
    std::fs::write(&file, EXAMPLE).unwrap();

    migrate(
        &app.database_url,
        &["import-assistants", path(&file), "--dry-run"],
    )
    .await
    .unwrap();
    assert_eq!(revision(&app).await, 0, "a dry run writes nothing");

    migrate(&app.database_url, &["import-assistants", path(&file)])
        .await
        .unwrap();
    let assistants = app.get("/api/v1/assistants", &app.admin).await.body["assistants"].clone();
    assert_eq!(assistants.as_array().unwrap().len(), 3);
    let secretary = assistants
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Secretary")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resolved = app
        .get(
            &format!("/api/v1/assistants/{secretary}/resolved"),
            &app.admin,
        )
        .await
        .body;
    assert_eq!(resolved["tools"].as_array().unwrap().len(), 4);
    let backups = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("registry-backup-")
        })
        .count();
    assert_eq!(backups, 1, "the registry is backed up before writing");

    let after_first = revision(&app).await;
    migrate(&app.database_url, &["import-assistants", path(&file)])
        .await
        .unwrap();
    assert_eq!(
        revision(&app).await,
        after_first,
        "re-running the same file changes nothing"
    );
    let logged = app
        .get(
            "/api/v1/events?types=assistant_created,tool_created,tool_linked&limit=50",
            &app.admin,
        )
        .await;
    assert_eq!(logged.body["events"].as_array().unwrap().len(), 3 + 6 + 7);
}

async fn an_export_imported_into_an_empty_database_reproduces_the_registry(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("example.json");
    std::fs::write(&source, EXAMPLE).unwrap();
    migrate(&app.database_url, &["import-assistants", path(&source)])
        .await
        .unwrap();
    let exported = dir.path().join("exported.json");
    migrate(&app.database_url, &["export-assistants", path(&exported)])
        .await
        .unwrap();

    let empty = spawn_app(agentry_store::testing::TestDatabase::sqlite()).await;
    migrate(&empty.database_url, &["import-assistants", path(&exported)])
        .await
        .unwrap();
    let again = dir.path().join("again.json");
    migrate(&empty.database_url, &["export-assistants", path(&again)])
        .await
        .unwrap();

    let read =
        |p: &Path| serde_json::from_str::<Value>(&std::fs::read_to_string(p).unwrap()).unwrap();
    assert_eq!(read(&again), read(&exported));
    let mut example: Value = serde_json::from_str(EXAMPLE).unwrap();
    // The export spells out defaults and sorts tool names.
    let first = read(&exported);
    assert_eq!(
        first["assistants"][1]["openai_assistant_id"],
        "asst_researcher_01"
    );
    assert_eq!(first["tools"][0]["sub_assistant"], "Planner");
    example["assistants"][2]["tools"]
        .as_array_mut()
        .unwrap()
        .sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    assert_eq!(
        first["assistants"][2]["tools"],
        example["assistants"][2]["tools"]
    );
}

async fn a_document_with_problems_writes_nothing(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.json");
    let mut doc: Value = serde_json::from_str(EXAMPLE).unwrap();
    doc["tools"][3]["input_schema"] = json!({"type": "objekt"});
    doc["assistants"][0]["tools"] = json!(["no_such_tool"]);
    // Three problems: the schema, the unknown tool, and the Secretary's reference
    // to the tool whose schema is broken.
    std::fs::write(&file, doc.to_string()).unwrap();
    let err = migrate(&app.database_url, &["import-assistants", path(&file)])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("3 problem(s)"), "{err}");
    assert_eq!(revision(&app).await, 0);
    assert_eq!(
        app.get("/api/v1/tools", &app.admin).await.body,
        json!({"tools": []})
    );
    std::fs::write(&file, "{ not json").unwrap();
    assert!(
        migrate(&app.database_url, &["import-assistants", path(&file)])
            .await
            .is_err()
    );
}
