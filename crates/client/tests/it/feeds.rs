//! The frontend's feed queries and task lists, paged through the generated client.

use agentry_client::types;
use serde_json::json;
use uuid::Uuid;

use crate::server::{Server, post, project, status_of};

agentry_store::on_each_database!(crate::server::with_server; the_three_feeds_page_through_the_generated_client);

/// The three feed queries (a project's chat panel, a task's feed, a project's
/// timeline: docs/api.md, "Feeds"), each paged to its end with `next_cursor`.
async fn the_three_feeds_page_through_the_generated_client(server: Server) {
    let ada = server.user("Ada").await;
    let (project, _) = project(&ada).await;
    let task = ada
        .create_task()
        .project_id(project.id)
        .body_map(|b| b.title("t"))
        .send()
        .await
        .unwrap()
        .into_inner();
    for n in 0..5 {
        post(
            &ada,
            project.id,
            Some(task.id),
            None,
            json!({"content": format!("comment {n}")}),
        )
        .await;
    }
    ada.update_task()
        .task_id(task.id)
        .body_map(|b| b.status(Some(types::TaskStatus::Pending)))
        .send()
        .await
        .unwrap();

    let feed = |types: Option<Vec<types::EventType>>, task: Option<Uuid>, project: Option<Uuid>| {
        let ada = &ada;
        async move {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut call = ada.list_events().limit(2);
                if let Some(types) = &types {
                    call = call.types(types.clone());
                }
                if let Some(task) = task {
                    call = call.task_id(task);
                }
                if let Some(project) = project {
                    call = call.project_id(project);
                }
                if let Some(cursor) = &cursor {
                    call = call.cursor(cursor.clone());
                }
                let page = call.send().await.unwrap().into_inner();
                assert!(page.events.len() <= 2);
                seen.extend(page.events.into_iter().map(|e| e.type_));
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => return seen,
                }
            }
        }
    };
    let chat_panel = feed(
        Some(vec![
            types::EventType::ChatMessage,
            types::EventType::TaskCreated,
            types::EventType::TaskStatus,
            types::EventType::TaskAssigned,
            types::EventType::TaskUnassigned,
        ]),
        None,
        Some(project.id),
    )
    .await;
    assert_eq!(chat_panel, ["task_status", "task_created"]);
    let task_feed = feed(None, Some(task.id), None).await;
    assert_eq!(task_feed.len(), 7);
    assert_eq!(task_feed.first().map(String::as_str), Some("task_status"));
    let timeline = feed(None, None, Some(project.id)).await;
    assert_eq!(timeline.len(), 9);
    assert_eq!(timeline.last().map(String::as_str), Some("project_created"));

    let first = ada
        .list_tasks()
        .project_id(project.id)
        .limit(1)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((first.tasks.len(), first.next_cursor), (1, None));
    let bad_limit = ada
        .list_events()
        .project_id(project.id)
        .limit(0)
        .send()
        .await;
    assert_eq!(status_of(bad_limit).await, 422);
}
