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

/// What generated clients rely on: every event type and payload shape of the
/// catalog is in the spec (the committed one is this, as the test above checks), and no referenced schema is wrapped in an
/// `allOf` (generators drop objects holding such a wrapped enum).
#[tokio::test]
async fn the_spec_lists_every_event_kind_and_wraps_no_reference() {
    use agentry_domain::catalog;
    use agentry_domain::shape::Shape;
    use serde_json::Value;

    let app = crate::helpers::spawn_app(TestDatabase::sqlite()).await;
    let spec: Value = serde_json::from_str(&agentry_http::spec_json(&app.app.services)).unwrap();
    let schemas = &spec["components"]["schemas"];
    let types: Vec<&str> = schemas["EventType"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        types,
        catalog::kinds().map(|k| k.type_name).collect::<Vec<_>>()
    );
    let shapes: Vec<&str> = schemas["EventOut"]["properties"]["payload"]["anyOf"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["$ref"].as_str())
        .map(|r| r.trim_start_matches("#/components/schemas/"))
        .collect();
    for kind in catalog::kinds() {
        let Shape::Object(object) = (kind.payload)() else {
            panic!("{} has an object payload", kind.type_name)
        };
        assert!(shapes.contains(&object.name), "{}", kind.type_name);
        assert!(schemas.get(object.name).is_some(), "{}", object.name);
    }
    assert_eq!(shapes.last(), Some(&"OtherPayload"));

    fn wrapped(value: &Value) -> bool {
        match value {
            Value::Object(map) => map.contains_key("allOf") || map.values().any(wrapped),
            Value::Array(items) => items.iter().any(wrapped),
            _ => false,
        }
    }
    assert!(!wrapped(&spec), "a schema is wrapped in allOf");
}
