//! The committed spec must match the code; `UPDATE_OPENAPI=1` rewrites it.

use agentry_store::testing::TestDatabase;

#[tokio::test]
async fn the_committed_openapi_spec_is_current() {
    let app = crate::helpers::spawn_app(TestDatabase::sqlite()).await;
    let generated = format!("{}\n", agentry_http::spec_json(&app.app.services));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p agentry-app openapi` (or `just openapi`)"
    );
    for path in [
        "/api/v1/events",
        "/api/v1/projects/{project_id}/tasks",
        "/api/v1/tokens/{id}",
    ] {
        assert!(generated.contains(path), "{path} is missing from the spec");
    }
    assert!(generated.contains("application/problem+json"));
}
