//! A squad of two assistants, a workflow from a built-in template, a second
//! version and both read back, through the generated client.

use agentry_client::types;
use serde_json::json;

use crate::server::{Server, status_of};

agentry_store::on_each_database!(crate::server::with_server; a_squad_saves_versions_through_the_generated_client);

async fn assistant(server: &Server, name: &str) -> types::AssistantOut {
    server
        .admin()
        .create_assistant()
        .body_map(|b| {
            b.name(name)
                .model("gpt-4o")
                .assistant_type(types::AssistantKind::Llm)
        })
        .send()
        .await
        .unwrap()
        .into_inner()
}

async fn a_squad_saves_versions_through_the_generated_client(server: Server) {
    let ada = server.user("Ada").await;
    let (writer, reviewer) = (
        assistant(&server, "Writer").await,
        assistant(&server, "Reviewer").await,
    );
    let squad = ada
        .create_squad()
        .body_map(|b| {
            b.name("Editorial")
                .status(Some(types::SquadStatus::Active))
                .price_per_execution("0.25")
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(squad.price_per_execution, "0.250000");
    for (assistant, role) in [(&writer, "writer"), (&reviewer, "reviewer")] {
        let member = ada
            .add_squad_member()
            .id(squad.id)
            .body_map(|b| b.assistant_id(assistant.id).role(Some(role.into())))
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(member.role, role);
    }
    let templates = ada
        .list_workflow_templates()
        .category("review")
        .is_builtin(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    let review = &templates.templates[0];
    let made = ada
        .create_workflow()
        .id(squad.id)
        .body_map(|b| b.name("Essay").template_id(Some(review.id)))
        .send()
        .await
        .unwrap();
    let etag = made.headers()["etag"].to_str().unwrap().to_owned();
    let made = made.into_inner();
    assert_eq!(
        (made.current.version, &made.current.definition),
        (1, &review.definition)
    );

    let mut second = made.current.definition.clone();
    second.nodes[0].instructions = Some("A shorter draft of {{input.brief}}".parse().unwrap());
    let saved = ada
        .save_workflow_definition()
        .id(made.workflow.id)
        .if_match(&etag)
        .body_map(|b| b.definition(second.clone()))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(saved.current.version, 2);
    let stale = ada
        .save_workflow_definition()
        .id(made.workflow.id)
        .if_match(&etag)
        .body_map(|b| b.definition(second.clone()))
        .send()
        .await;
    assert_eq!(status_of(stale).await, 412);
    for (number, definition) in [(1, &review.definition), (2, &second)] {
        let version = ada
            .get_workflow_version()
            .id(made.workflow.id)
            .number(number)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(&version.definition, definition);
    }
    let versions = ada
        .list_workflow_versions()
        .id(made.workflow.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        versions
            .versions
            .iter()
            .map(|v| v.version)
            .collect::<Vec<_>>(),
        [2, 1]
    );
    // A definition with problems: 422 naming each.
    let broken: types::WorkflowDefinition = serde_json::from_value(json!({
        "nodes": [{"id": "a", "type": "agent", "role": "intern", "instructions": "x"}],
        "edges": [{"from": "a", "to": "ghost"}]
    }))
    .unwrap();
    let refused = ada
        .save_workflow_definition()
        .id(made.workflow.id)
        .body_map(|b| b.definition(broken))
        .send()
        .await;
    assert_eq!(status_of(refused).await, 422);
    let members = ada
        .list_squad_members()
        .id(squad.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(members.members.len(), 2);
    let mine = ada
        .list_squads()
        .mine(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.squads.len(), 1);
}
