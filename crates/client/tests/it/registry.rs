//! Assistants, tools, links and resolution through the generated client.

use agentry_client::types;
use serde_json::json;

use crate::server::{Server, status_of};

agentry_store::on_each_database!(crate::server::with_server; the_registry_works_through_the_generated_client);

async fn the_registry_works_through_the_generated_client(server: Server) {
    let admin = server.admin();
    let secretary = admin
        .create_assistant()
        .body_map(|b| {
            b.name("Secretary")
                .is_secretary(true)
                .model("gpt-4o")
                .instructions("Plan the day.")
                .assistant_type(types::AssistantKind::Llm)
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(secretary.openai_assistant_id, None);
    let weather = admin
        .create_tool()
        .body_map(|b| {
            b.name("get_weather")
                .tool_type(types::ToolKind::Weather)
                .description("Weather for a city")
                .input_schema(json!({"type": "object",
                    "properties": {"city": {"type": "string"}}, "required": ["city"]}))
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let link = admin
        .link_tool()
        .id(secretary.id)
        .tool_id(weather.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((link.tool_id, link.sub_assistant_id), (weather.id, None));
    let resolved = admin
        .resolve_assistant()
        .id(secretary.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resolved.tools.len(), 1);
    assert!(resolved.tools[0].sub_assistant.is_none());
    let openai = admin
        .assistant_openai_tools()
        .id(secretary.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(openai.tools[0]["function"]["name"], "get_weather");

    let renamed = admin
        .update_assistant()
        .id(secretary.id)
        .body_map(|b| b.model(Some("gpt-5".into())))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((renamed.model.as_str(), renamed.revision), ("gpt-5", 2));
    let stale = admin
        .update_assistant()
        .id(secretary.id)
        .if_match("\"1\"")
        .body_map(|b| b.model(Some("gpt-4o".into())))
        .send()
        .await;
    assert_eq!(status_of(stale).await, 412);
    let page = admin
        .list_assistants()
        .limit(1)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((page.assistants.len(), page.next_cursor), (1, None));
    let tools = admin
        .list_tools()
        .tool_type(types::ToolKind::Weather)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tools.tools.len(), 1);
    let revision = admin.registry_revision().send().await.unwrap().into_inner();
    assert_eq!(revision.revision, 4);
    let changes = admin
        .list_events()
        .types(vec![
            types::EventType::AssistantCreated,
            types::EventType::AssistantUpdated,
            types::EventType::ToolCreated,
            types::EventType::ToolLinked,
        ])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changes.events.len(), 4);

    let reader = server.user("Bob").await;
    let refused = reader
        .create_assistant()
        .body_map(|b| {
            b.name("Mine")
                .model("m")
                .assistant_type(types::AssistantKind::Llm)
        })
        .send()
        .await;
    assert_eq!(status_of(refused).await, 403);
}
