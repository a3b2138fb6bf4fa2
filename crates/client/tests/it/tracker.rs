//! Projects, members, labels, tasks, links and chat through the generated client.

use agentry_client::types;
use serde_json::json;

use crate::server::{Server, post, project, status_of};

agentry_store::on_each_database!(crate::server::with_server; projects_members_tasks_and_chat_work_through_the_generated_client);

async fn projects_members_tasks_and_chat_work_through_the_generated_client(server: Server) {
    let ada = server.user("Ada").await;
    let (project, me) = project(&ada).await;
    let coder = ada
        .add_member()
        .project_id(project.id)
        .body(types::AddMember {
            kind: types::MemberKind::Agent,
            handle: "@coder".into(),
            user_id: None,
            display_name: None,
            assistant_id: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((coder.handle.as_str(), coder.user_id), ("coder", None));
    let members = ada
        .list_members()
        .project_id(project.id)
        .limit(1)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(members.members.len(), 1);
    let rest = ada
        .list_members()
        .project_id(project.id)
        .cursor(members.next_cursor.unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (rest.members, rest.next_cursor),
        (vec![coder.clone()], None)
    );
    let bug = ada
        .create_label()
        .project_id(project.id)
        .body(types::CreateLabel {
            name: "bug".into(),
            color: Some("#d73a4a".into()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();

    let task = ada
        .create_task()
        .project_id(project.id)
        .body_map(|b| b.title("Write the guide").labels(vec![bug.id]))
        .send()
        .await
        .unwrap();
    assert_eq!(task.headers()["etag"], "\"1\"");
    let task = task.into_inner();
    assert_eq!(
        (task.key.as_str(), task.status),
        ("TE-1", types::TaskStatus::Backlog)
    );
    assert_eq!(task.assignee_id, None);

    let moved = ada
        .update_task()
        .task_id(task.id)
        .if_match("\"1\"")
        .body_map(|b| {
            b.status(Some(types::TaskStatus::InProgress))
                .assignee_id(Some(coder.id))
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((moved.version, moved.assignee_id), (2, Some(coder.id)));
    let stale = ada
        .update_task()
        .task_id(task.id)
        .if_match("\"1\"")
        .body_map(|b| b.title(Some("lost".into())))
        .send()
        .await;
    assert_eq!(status_of(stale).await, 412);
    let forbidden_move = ada
        .update_task()
        .task_id(task.id)
        .body_map(|b| b.status(Some(types::TaskStatus::Backlog)))
        .send()
        .await;
    assert_eq!(status_of(forbidden_move).await, 409);

    let other = ada
        .create_task()
        .project_id(project.id)
        .body_map(|b| b.title("Review the guide"))
        .send()
        .await
        .unwrap()
        .into_inner();
    ada.create_task_link()
        .task_id(task.id)
        .body(types::CreateLinkIn {
            target_task_id: other.id,
            kind: types::LinkKind::Blocks,
        })
        .send()
        .await
        .unwrap();
    let links = ada
        .list_task_links()
        .task_id(other.id)
        .send()
        .await
        .unwrap();
    assert_eq!(links.incoming.len(), 1);

    let chat = post(
        &ada,
        project.id,
        None,
        None,
        json!({"content": "@coder see TE-1"}),
    )
    .await;
    assert_eq!(
        (chat.type_.as_str(), chat.actor_id),
        ("chat_message", Some(me.id))
    );
    let mentions = serde_json::to_value(&chat.payload).unwrap()["mentions"].clone();
    assert_eq!(
        mentions,
        json!([{"member_id": coder.id, "handle": "coder"}])
    );
    let comment = post(
        &ada,
        project.id,
        Some(task.id),
        Some(chat.id),
        json!({"content": "on it", "tool_log": {"calls": []}}),
    )
    .await;
    let read = ada.get_event().event_id(comment.id).send().await.unwrap();
    assert_eq!(read.into_inner(), comment);
    let projects = ada.list_projects().send().await.unwrap().into_inner();
    assert_eq!(
        projects.projects.iter().map(|p| p.id).collect::<Vec<_>>(),
        [project.id]
    );
    assert_eq!(projects.next_cursor, None);
}
