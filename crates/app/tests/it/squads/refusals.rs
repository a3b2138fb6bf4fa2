//! Bad definitions and prices: each answers 422 naming the field, every
//! problem at once, and nothing is written.

use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{assistant, count_versions, one_step, squad, workflow};
use crate::helpers::{TestApp, api_test, assert_problem};

api_test!(bad_definitions_and_prices_are_refused_by_field_and_write_nothing);

async fn bad_definitions_and_prices_are_refused_by_field_and_write_nothing(app: TestApp) {
    let ada = app.user("Ada").await;
    let (squad, _, _) = squad(&app, &ada).await;
    let (workflow, _) = workflow(&app, &ada, &squad, one_step("Write.")).await;
    let stranger = assistant(&app, "Stranger").await;
    let node = |id: &str| json!({"id": id, "type": "agent", "role": "writer", "instructions": "x"});
    let mut deep = json!({"type": "object"});
    for _ in 0..40 {
        deep = json!({"type": "object", "properties": {"x": deep}});
    }
    let many: Vec<Value> = (0..10_000).map(|i| node(&format!("n{i}"))).collect();
    let cases = [
        (
            json!({"nodes": [{"id": "a", "type": "robot"}], "edges": []}),
            "definition.nodes[0].type",
        ),
        (
            json!({"nodes": [node("a")], "edges": [{"from": "a", "to": "ghost"}]}),
            "definition.edges[0].to",
        ),
        (
            json!({"nodes": [node("a"), node("b")], "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}]}),
            "definition.edges",
        ),
        (
            json!({"nodes": [node("a"), node("b")], "edges": []}),
            "definition.nodes",
        ),
        (
            json!({"nodes": [{"id": "a", "type": "agent", "assistant_id": stranger, "instructions": "x"}], "edges": []}),
            "definition.nodes[0].assistant_id",
        ),
        (
            json!({"nodes": [{"id": "a", "type": "approval", "approver_email": "a@b.co", "timeout_seconds": 60}], "edges": []}),
            "definition.nodes[0].decision_schema",
        ),
        (json!({"nodes": many, "edges": []}), "definition.nodes"),
        (
            json!({"input_schema": deep, "nodes": [node("a")], "edges": []}),
            "definition",
        ),
        (
            json!({"nodes": [{"id": "a", "type": "agent", "role": "writer", "instructions": "x\u{0}y"}], "edges": []}),
            "definition.nodes[0].instructions",
        ),
        (json!("not an object"), "definition"),
    ];
    for (definition, field) in cases {
        let reply = app
            .send(
                Method::PUT,
                &format!("/api/v1/workflows/{workflow}/definition"),
                Some(&ada),
                Some((
                    "application/json",
                    json!({"definition": definition}).to_string().into_bytes(),
                )),
                &[],
            )
            .await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let fields: Vec<&str> = reply.body["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{field}: {reply:?}");
        assert!(!reply.body.to_string().contains("\u{0}"));
    }
    // Every problem at once.
    let two = json!({"nodes": [node("a"), {"id": "b", "type": "agent", "role": "intern", "instructions": "x"}], "edges": [{"from": "a", "to": "c"}]});
    let reply = app
        .send(
            Method::PUT,
            &format!("/api/v1/workflows/{workflow}/definition"),
            Some(&ada),
            Some((
                "application/json",
                json!({"definition": two}).to_string().into_bytes(),
            )),
            &[],
        )
        .await;
    assert!(
        reply.body["problems"].as_array().unwrap().len() >= 2,
        "{reply:?}"
    );
    assert_eq!(count_versions(&app, &ada, &workflow).await, 1);
    let made = app
        .post(
            &format!("/api/v1/squads/{squad}/workflows"),
            &ada,
            json!({"name": "Bad", "definition": {"nodes": [], "edges": []}}),
        )
        .await;
    assert_problem(&made, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let listed = app
        .get(&format!("/api/v1/squads/{squad}/workflows"), &ada)
        .await;
    assert_eq!(listed.body["workflows"].as_array().unwrap().len(), 1);
    for price in ["1.0000001", "-1", "10000", "1e2", "abc"] {
        let reply = app
            .post(
                "/api/v1/squads",
                &ada,
                json!({"name": "Priced", "price_per_execution": price}),
            )
            .await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(reply.body["field"], "price_per_execution", "{price}");
    }
    let reply = app
        .post(
            "/api/v1/squads",
            &ada,
            json!({"name": "Priced", "price_per_execution": 1.5}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "a number is not a decimal string: {reply:?}"
    );
    let mine = app.get("/api/v1/squads?mine=true", &ada).await;
    assert_eq!(mine.body["squads"].as_array().unwrap().len(), 1);
}
