use chrono::Utc;
use serde_json::{Value, json};

use super::{Definition, SCHEMA};
use crate::id::{AssistantId, SquadId};
use crate::squads::{SquadMember, builtin_templates};

/// The same squad every call: a definition made for one call's members is
/// checked against another's.
fn members() -> (Vec<SquadMember>, AssistantId) {
    let squad = SquadId(uuid::Uuid::from_u128(1));
    let writer = AssistantId(uuid::Uuid::from_u128(2));
    let reviewer = AssistantId(uuid::Uuid::from_u128(3));
    let now = Utc::now();
    (
        vec![
            SquadMember::new(squad, writer, Some("writer"), now).unwrap(),
            SquadMember::new(squad, reviewer, Some("reviewer"), now).unwrap(),
        ],
        reviewer,
    )
}

fn good(reviewer: AssistantId) -> Value {
    json!({
        "input_schema": {"type": "object", "properties": {"topic": {"type": "string"}}},
        "nodes": [
            {"id": "draft", "type": "agent", "role": "writer", "instructions": "Write {{input.topic}}"},
            {"id": "fan", "type": "parallel"},
            {"id": "review", "type": "agent", "assistant_id": reviewer, "instructions": "Review", "max_retries": 1},
            {"id": "check", "type": "agent", "role": "reviewer", "instructions": "Check", "on_failure": "continue"},
            {"id": "join", "type": "join"},
            {"id": "approve", "type": "approval", "approver_email": "lead@example.com",
             "decision_schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
             "timeout_seconds": 3600, "on_timeout": "continue", "timeout_decision": {"ok": false}},
            {"id": "route", "type": "condition"},
            {"id": "publish", "type": "agent", "role": "writer", "instructions": "Publish"},
            {"id": "redo", "type": "agent", "role": "writer", "instructions": "Redo"}
        ],
        "edges": [
            {"from": "draft", "to": "fan"},
            {"from": "fan", "to": "review"},
            {"from": "fan", "to": "check"},
            {"from": "review", "to": "join"},
            {"from": "check", "to": "join"},
            {"from": "join", "to": "approve"},
            {"from": "approve", "to": "route"},
            {"from": "route", "to": "publish", "when": {"path": "approve.output.ok", "equals": true}},
            {"from": "route", "to": "redo"}
        ],
        "output": "publish"
    })
}

/// The fields of every problem `raw` has.
fn fields(raw: &Value) -> Vec<String> {
    let (members, _) = members();
    Definition::check(raw, &members)
        .unwrap_err()
        .problems()
        .into_iter()
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect()
}

fn refused(raw: &Value, field: &str) {
    let found = fields(raw);
    assert!(
        found.iter().any(|f| f.starts_with(&format!("{field}: "))),
        "wanted {field}, got {found:?}"
    );
}

#[test]
fn the_schema_compiles_and_a_full_definition_passes_and_round_trips() {
    jsonschema::meta::validate(&SCHEMA).unwrap();
    let (members, reviewer) = members();
    let raw = good(reviewer);
    let checked = Definition::check(&raw, &members).unwrap();
    assert_eq!(checked.start().unwrap().id, "draft");
    let bytes = checked.to_bytes().unwrap();
    assert_eq!(Definition::from_bytes(&bytes).unwrap(), checked);
    assert_eq!(serde_json::to_value(&checked).unwrap(), raw);
    assert!(super::digest(&bytes).starts_with("sha256:"));
}

#[test]
fn every_builtin_template_is_a_valid_template() {
    for template in builtin_templates(Utc::now()) {
        Definition::check_template(&template.record.draft.definition)
            .unwrap_or_else(|e| panic!("{}: {e}", template.record.draft.name));
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let (_, reviewer) = members();
    let mut raw = good(reviewer);
    raw["nodes"][0]["type"] = json!("robot");
    raw["nodes"][2]["max_retries"] = json!(99);
    raw["edges"][0]["to"] = json!(5);
    let found = fields(&raw);
    assert_eq!(found.len(), 3, "{found:?}");
    refused(&raw, "definition.nodes[0].type");
    refused(&raw, "definition.nodes[2].max_retries");
    refused(&raw, "definition.edges[0].to");
}

#[test]
fn bounds_the_schema_sets_and_rules_it_cannot_are_reported_together() {
    let (_, reviewer) = members();
    let mut raw = good(reviewer);
    raw["nodes"][2]["max_retries"] = json!(99);
    raw["nodes"][0]["role"] = json!("intern");
    let found = fields(&raw);
    assert_eq!(found.len(), 2, "{found:?}");
    refused(&raw, "definition.nodes[2].max_retries");
    refused(&raw, "definition.nodes[0].role");
}

#[test]
fn graph_rules_name_the_field() {
    let (_, reviewer) = members();
    let base = good(reviewer);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut raw = base.clone();
        f(&mut raw);
        raw
    };
    refused(
        &with(&|r| r["edges"][0]["to"] = json!("nowhere")),
        "definition.edges[0].to",
    );
    refused(
        &with(&|r| r["nodes"][1]["id"] = json!("draft")),
        "definition.nodes[1].id",
    );
    // A cycle, named along its edges.
    let cyclic = with(&|r| {
        r["edges"]
            .as_array_mut()
            .unwrap()
            .push(json!({"from": "redo", "to": "draft"}));
    });
    let found = fields(&cyclic);
    assert!(
        found.iter().any(|f| f.starts_with("definition.edges: ")
            && f.contains("cycle")
            && f.contains("redo -> draft")),
        "{found:?}"
    );
    // Two starts.
    let two = with(&|r| {
        r["nodes"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "stray", "type": "agent", "role": "writer", "instructions": "x"}));
    });
    refused(&two, "definition.nodes");
    refused(
        &with(&|r| r["output"] = json!("ghost")),
        "definition.output",
    );
    refused(
        &with(&|r| r["nodes"][8]["id"] = json!("input")),
        "definition.nodes[8].id",
    );
    // A `null` test is a test: it counts, and it stays.
    let null_test =
        with(&|r| r["edges"][7]["when"] = json!({"path": "approve.output.ok", "equals": null}));
    let (members, _) = members();
    let checked = Definition::check(&null_test, &members).unwrap();
    assert_eq!(
        serde_json::to_value(&checked).unwrap()["edges"][7]["when"]["equals"],
        Value::Null
    );
    let two = with(&|r| {
        r["edges"][7]["when"] = json!({"path": "approve.output.ok", "equals": null, "exists": true})
    });
    refused(&two, "definition.edges[7].when");
    refused(
        &with(&|r| r["edges"][0]["when"] = json!({"path": "input.topic", "exists": true})),
        "definition.edges[0].when",
    );
    // Fan-out only through parallel or condition nodes; fan-in only through joins.
    refused(
        &with(&|r| {
            r["edges"]
                .as_array_mut()
                .unwrap()
                .push(json!({"from": "draft", "to": "check"}));
        }),
        "definition.nodes[0]",
    );
}

#[test]
fn node_rules_name_the_field() {
    let (_, reviewer) = members();
    let base = good(reviewer);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut raw = base.clone();
        f(&mut raw);
        raw
    };
    refused(
        &with(&|r| r["nodes"][0]["role"] = json!("intern")),
        "definition.nodes[0].role",
    );
    refused(
        &with(&|r| r["nodes"][2]["assistant_id"] = json!(AssistantId::generate())),
        "definition.nodes[2].assistant_id",
    );
    refused(
        &with(&|r| r["nodes"][0]["instructions"] = json!("  ")),
        "definition.nodes[0].instructions",
    );
    refused(
        &with(&|r| {
            r["nodes"][5]
                .as_object_mut()
                .unwrap()
                .remove("decision_schema");
        }),
        "definition.nodes[5].decision_schema",
    );
    refused(
        &with(&|r| r["nodes"][5]["timeout_decision"] = json!({"ok": "maybe"})),
        "definition.nodes[5].timeout_decision",
    );
    refused(
        &with(&|r| r["nodes"][5]["decision_schema"] = json!({"type": "objekt"})),
        "definition.nodes[5].decision_schema",
    );
    refused(
        &with(&|r| r["nodes"][1]["role"] = json!("writer")),
        "definition.nodes[1].role",
    );
    refused(
        &with(&|r| r["nodes"][0]["colour"] = json!("red")),
        "definition.nodes[0]",
    );
    refused(
        &with(&|r| r["edges"][7]["when"]["path"] = json!("redo.output.ok")),
        "definition.edges[7].when.path",
    );
    refused(
        &with(&|r| r["input_schema"] = json!({"type": "string"})),
        "definition.input_schema",
    );
    // Schemas the meta-schema accepts but that do not compile are problems, not panics.
    for broken in [
        json!({"type": "object", "$ref": "#/$defs/missing"}),
        json!({"type": "object", "properties": {"x": {"type": "string", "pattern": "("}}}),
    ] {
        refused(
            &with(&|r| r["nodes"][5]["decision_schema"] = broken.clone()),
            "definition.nodes[5].decision_schema",
        );
        refused(
            &with(&|r| r["input_schema"] = broken.clone()),
            "definition.input_schema",
        );
    }
}

#[test]
fn limits_hold_at_the_limit_and_fail_one_past_it() {
    let (members, _) = members();
    let chain = |n: usize| {
        let nodes: Vec<Value> = (0..n)
            .map(|i| json!({"id": format!("n{i}"), "type": "agent", "role": "writer", "instructions": "go"}))
            .collect();
        let edges: Vec<Value> = (1..n)
            .map(|i| json!({"from": format!("n{}", i - 1), "to": format!("n{i}")}))
            .collect();
        json!({"nodes": nodes, "edges": edges})
    };
    assert!(Definition::check(&chain(Definition::NODES_MAX), &members).is_ok());
    refused(&chain(Definition::NODES_MAX + 1), "definition.nodes");
    refused(&chain(10_000), "definition.nodes");
    // Nesting, in a schema at the depth limit and one past it.
    let nested = |depth: usize| {
        let mut schema = json!({"type": "object"});
        // The definition and `input_schema` are two levels already.
        for _ in 0..depth - 2 {
            schema = json!({"type": "object", "properties": {"x": schema}});
        }
        let mut raw = chain(1);
        raw["input_schema"] = schema;
        raw
    };
    let depth_of = |v: &Value| super::check::depth(v);
    let at = nested(Definition::DEPTH_MAX / 2 + 1);
    assert!(depth_of(&at) <= Definition::DEPTH_MAX, "{}", depth_of(&at));
    assert!(Definition::check(&at, &members).is_ok());
    refused(&nested(Definition::DEPTH_MAX), "definition");
    let mut nul = chain(2);
    nul["nodes"][1]["instructions"] = json!("a\u{0}b");
    refused(&nul, "definition.nodes[1].instructions");
    let mut big = chain(1);
    big["nodes"][0]["instructions"] = json!("x".repeat(20_000));
    assert!(Definition::check(&big, &members).is_ok());
    big["nodes"][0]["instructions"] = json!("x".repeat(20_001));
    refused(&big, "definition.nodes[0].instructions");
    // Past the size limit, however the bytes are spread.
    let mut heavy = chain(15);
    for i in 0..15 {
        heavy["nodes"][i]["instructions"] = json!("x".repeat(18_000));
    }
    let found = fields(&heavy);
    assert_eq!(
        found,
        [format!(
            "definition: must be at most {} bytes",
            Definition::BYTES_MAX
        )]
    );
}

#[test]
fn the_example_of_the_api_guide_is_a_valid_definition() {
    let guide = include_str!("../../../../../docs/api.md");
    let start = guide.find("A complete example").unwrap();
    let block = &guide[start..];
    let json = &block[block.find("```json\n").unwrap() + 8..];
    let json = &json[..json.find("```").unwrap()];
    let raw: Value = serde_json::from_str(json).unwrap();
    let (members, _) = members();
    let checked = Definition::check(&raw, &members).unwrap();
    assert_eq!(checked.nodes.len(), 9);
}
