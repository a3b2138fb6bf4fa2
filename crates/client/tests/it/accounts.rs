//! Tokens, threads and attachments through the generated client.

use agentry_client::types;
use serde_json::json;

use crate::server::{Server, post, project, status_of};

agentry_store::on_each_database!(crate::server::with_server; tokens_threads_and_attachments_work_through_the_generated_client);

async fn tokens_threads_and_attachments_work_through_the_generated_client(server: Server) {
    let ada = server.user("Ada").await;
    let issued = ada
        .create_token()
        .body(types::CreateToken {
            name: "laptop".parse().unwrap(),
            user_id: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let laptop = server.client(&issued.secret);
    let me = laptop.get_me().send().await.unwrap().into_inner();
    assert!(!me.is_admin);
    let revoked = ada
        .revoke_token()
        .id(issued.token.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(status_of(laptop.get_me().send().await).await, 401);
    let tokens = ada.list_tokens().send().await.unwrap().into_inner();
    assert_eq!(tokens.len(), 2);
    let first = server
        .admin()
        .list_users()
        .limit(1)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(first.users[0].is_admin);
    let rest = server
        .admin()
        .list_users()
        .cursor(first.next_cursor.unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = rest.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!((names, rest.next_cursor), (vec!["Ada"], None));

    let helper = server
        .admin()
        .create_assistant()
        .body_map(|b| {
            b.name("Helper")
                .model("m")
                .assistant_type(types::AssistantKind::Llm)
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let thread = ada
        .assistant_thread()
        .id(helper.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let touched = ada
        .touch_thread()
        .id(thread.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(touched.thread_id, thread.thread_id);
    assert_eq!(ada.list_threads().send().await.unwrap().len(), 1);

    let (project, _) = project(&ada).await;
    let chat = post(&ada, project.id, None, None, json!({"content": "the log"})).await;
    let attachment = ada
        .create_attachment()
        .event_id(chat.id)
        .filename("run.log")
        .content_type("text/plain")
        .body(b"line one\n".to_vec())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(attachment.size_bytes, 9);
    let listed = ada
        .list_attachments()
        .event_id(chat.id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.into_inner(), std::slice::from_ref(&attachment));
    let download = ada
        .download_attachment()
        .attachment_id(attachment.id)
        .send()
        .await
        .unwrap();
    assert_eq!(download.headers()["x-content-type"], "text/plain");
}
