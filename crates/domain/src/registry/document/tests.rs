//! Import plans: a sound document, every problem with its path, loops.

use chrono::Utc;
use serde_json::json;

use super::{RegistrySnapshot, plan_import};

fn document() -> serde_json::Value {
    json!({
        "format": "agentry.registry/1",
        "assistants": [
            {"name": "Secretary", "is_secretary": true, "model": "gpt-4o", "assistant_type": "llm",
             "tools": ["get_weather", "ask_planner"]},
            {"name": "Planner", "model": "gpt-4o", "assistant_type": "llm", "tools": ["get_weather"]}
        ],
        "tools": [
            {"name": "get_weather", "tool_type": "weather", "input_schema": {"type": "object"}},
            {"name": "ask_planner", "tool_type": "sub_assistant", "sub_assistant": "Planner",
             "input_schema": {"type": "object"}}
        ]
    })
}

#[test]
fn a_sound_document_plans_every_record_and_link() {
    let plan = plan_import(&document(), &RegistrySnapshot::default(), Utc::now()).unwrap();
    assert_eq!(
        (
            plan.create_assistants.len(),
            plan.create_tools.len(),
            plan.add_links.len()
        ),
        (2, 2, 3)
    );
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let mut doc = document();
    doc["assistants"][1]["model"] = json!("");
    doc["assistants"][0]["tools"][1] = json!("ask_nobody");
    doc["tools"][0]["input_schema"] = json!({"type": "objekt"});
    doc["tools"][1]["sub_assistant"] = json!("Ghost");
    doc["assistants"].as_array_mut().unwrap().push(json!(
        {"name": "Secretary", "model": "m", "assistant_type": "llm"}));
    let problems = plan_import(&doc, &RegistrySnapshot::default(), Utc::now()).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    for expected in [
        "$.assistants[1].model",
        "$.assistants[2].name",
        "$.tools[0].input_schema",
        "$.tools[1].sub_assistant",
        "$.assistants[0].tools[1]",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} missing from {problems:?}"
        );
    }
}

#[test]
fn a_loop_between_assistants_is_a_problem() {
    let mut doc = document();
    doc["tools"].as_array_mut().unwrap().push(json!(
        {"name": "ask_secretary", "tool_type": "sub_assistant", "sub_assistant": "Secretary",
         "input_schema": {"type": "object"}}));
    doc["assistants"][1]["tools"] = json!(["ask_secretary"]);
    let problems = plan_import(&doc, &RegistrySnapshot::default(), Utc::now()).unwrap_err();
    assert!(
        problems.iter().any(|p| p.message.contains("loop")),
        "{problems:?}"
    );
}
