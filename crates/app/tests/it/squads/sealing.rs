//! Definitions sealed at rest: no table and no event holds one in the clear,
//! versions move to a new key and altered rows do not open, and without a key
//! nothing is saved.

use poem::http::{Method, StatusCode};
use sea_orm::{ConnectionTrait as _, Statement};
use serde_json::json;

use super::{one_step, squad, workflow};
use crate::helpers::{TestApp, api_test, assert_problem};
use crate::registry_import::migrate;

api_test!(
    no_table_and_no_event_holds_a_definition_in_the_clear,
    versions_rotate_to_a_new_key_and_altered_rows_do_not_open,
    without_a_key_nothing_is_saved_and_the_answer_says_how,
);

const MARKER: &str = "zebra-quokka-7731";

/// Every byte the database holds for our tables, as text: PostgreSQL's rows
/// as text (bytes as hex), SQLite's files.
async fn raw_database(app: &TestApp) -> String {
    let conn = app.app.store.connection();
    if conn.get_database_backend() == sea_orm::DbBackend::Sqlite {
        let path = app.database_url.trim_start_matches("sqlite://");
        let path = path.split('?').next().unwrap();
        let mut bytes = std::fs::read(path).unwrap();
        if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
            bytes.extend(wal);
        }
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let tables = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()",
        ))
        .await
        .unwrap();
    let mut text = String::new();
    for table in tables {
        let name: String = table.try_get("", "name").unwrap();
        let rows = conn
            .query_all_raw(Statement::from_string(
                conn.get_database_backend(),
                format!(
                    "SELECT coalesce(string_agg(t::text, E'\\n'), '') AS rows FROM \"{name}\" t"
                ),
            ))
            .await
            .unwrap();
        let rows: String = rows[0].try_get("", "rows").unwrap();
        text.push_str(&rows);
    }
    text
}

async fn no_table_and_no_event_holds_a_definition_in_the_clear(app: TestApp) {
    let ada = app.user("Ada").await;
    let (squad, _, _) = squad(&app, &ada).await;
    let (workflow, etag) = workflow(
        &app,
        &ada,
        &squad,
        one_step(&format!("Write about {MARKER}")),
    )
    .await;
    let saved = app
        .send(
            Method::PUT,
            &format!("/api/v1/workflows/{workflow}/definition"),
            Some(&ada),
            Some((
                "application/json",
                json!({"definition": one_step(&format!("{MARKER} again"))})
                    .to_string()
                    .into_bytes(),
            )),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    // Read back in the clear, to the caller only.
    let read = app
        .get(&format!("/api/v1/workflows/{workflow}/definition"), &ada)
        .await;
    assert!(read.body.to_string().contains(MARKER));
    if app.app.store.connection().get_database_backend() == sea_orm::DbBackend::Sqlite {
        app.app
            .store
            .connection()
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .unwrap();
    }
    let raw = raw_database(&app).await;
    assert!(raw.contains("Editorial"), "the dump holds the squad's name");
    assert!(!raw.contains(MARKER), "the marker is in the database");
    assert!(
        !raw.contains(&hex(MARKER)),
        "the marker is in the database, as bytes"
    );
    let log = app.get("/api/v1/events?limit=200", &app.admin).await;
    assert!(!log.body.to_string().contains(MARKER));
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

const KEY_B: &str = "key-b:Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

async fn versions_rotate_to_a_new_key_and_altered_rows_do_not_open(app: TestApp) {
    let ada = app.user("Ada").await;
    let (squad, _, _) = squad(&app, &ada).await;
    let (workflow, etag) = workflow(&app, &ada, &squad, one_step("First.")).await;
    app.send(
        Method::PUT,
        &format!("/api/v1/workflows/{workflow}/definition"),
        Some(&ada),
        Some((
            "application/json",
            json!({"definition": one_step("Second.")})
                .to_string()
                .into_bytes(),
        )),
        &[("If-Match", &etag)],
    )
    .await;
    let keys = format!("{KEY_B},{}", crate::helpers::WORKFLOW_KEYS);
    migrate(
        &app.database_url,
        &[
            "--workflow-keys",
            &keys,
            "rotate-workflow-key",
            "--batch",
            "1",
        ],
    )
    .await
    .unwrap();
    // A second run finds nothing left to move.
    migrate(
        &app.database_url,
        &["--workflow-keys", &keys, "rotate-workflow-key"],
    )
    .await
    .unwrap();
    let only_b = app
        .sibling(|c| c.workflow_keys = Some(KEY_B.parse().unwrap()))
        .await;
    for n in [1, 2] {
        let read = only_b
            .get(&format!("/api/v1/workflows/{workflow}/versions/{n}"), &ada)
            .await;
        assert_eq!(read.status, StatusCode::OK, "{read:?}");
        assert_eq!(read.body["key_id"], "key-b");
    }
    let current = only_b
        .get(&format!("/api/v1/workflows/{workflow}/definition"), &ada)
        .await;
    assert_eq!(current.body["current"]["definition"], one_step("Second."));
    // The old key alone opens nothing now, and says which key it lacks.
    let read = app
        .get(&format!("/api/v1/workflows/{workflow}/versions/1"), &ada)
        .await;
    assert_problem(&read, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(
        read.body["detail"].as_str().unwrap().contains("key-b"),
        "{read:?}"
    );
    // Version 1's bytes moved onto version 2, and a flipped byte: neither opens.
    let conn = app.app.store.connection();
    let sql = |s: &str| Statement::from_string(conn.get_database_backend(), s.to_owned());
    // The database holds this one workflow.
    conn.execute_raw(sql(
        "UPDATE workflow_versions SET definition_encrypted = (SELECT definition_encrypted FROM workflow_versions WHERE version = 1), \
         definition_iv = (SELECT definition_iv FROM workflow_versions WHERE version = 1) WHERE version = 2"
    ))
    .await
    .unwrap();
    let swapped = only_b
        .get(&format!("/api/v1/workflows/{workflow}/versions/2"), &ada)
        .await;
    assert_problem(&swapped, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(
        swapped.body["detail"].as_str().unwrap().contains("altered"),
        "{swapped:?}"
    );
    let flip = if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        "UPDATE workflow_versions SET definition_encrypted = overlay(definition_encrypted placing '\\x00'::bytea from 1 for 1) WHERE version = 1"
    } else {
        "UPDATE workflow_versions SET definition_encrypted = x'00' || substr(definition_encrypted, 2) WHERE version = 1"
    };
    conn.execute_raw(sql(flip)).await.unwrap();
    let tampered = only_b
        .get(&format!("/api/v1/workflows/{workflow}/versions/1"), &ada)
        .await;
    assert_problem(&tampered, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

async fn without_a_key_nothing_is_saved_and_the_answer_says_how(app: TestApp) {
    let ada = app.user("Ada").await;
    let (squad, _, _) = squad(&app, &ada).await;
    let keyless = app.sibling(|c| c.workflow_keys = None).await;
    let reply = keyless
        .post(
            &format!("/api/v1/squads/{squad}/workflows"),
            &ada,
            json!({"name": "Essay", "definition": one_step("Write.")}),
        )
        .await;
    assert_problem(&reply, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains("AGENTRY_WORKFLOW_KEYS"),
        "{reply:?}"
    );
    let listed = app
        .get(&format!("/api/v1/squads/{squad}/workflows"), &ada)
        .await;
    assert!(listed.body["workflows"].as_array().unwrap().is_empty());
}
