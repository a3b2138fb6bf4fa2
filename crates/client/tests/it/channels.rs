//! An inbound channel through the generated client: bind it, receive an
//! update (201), the same update again (200, the same message), a refused
//! update, and the offset the bridge resumes from.

use agentry_client::types;

use crate::server::{Server, project, status_of};

agentry_store::on_each_database!(crate::server::with_server; a_bridge_posts_updates_once_through_the_generated_client);

fn update(update_id: i64, text: &str) -> types::UpdateIn {
    types::UpdateIn {
        update_id,
        sender: types::SenderIn {
            id: "tg:1".into(),
            name: Some("Bob".into()),
        },
        text: text.into(),
    }
}

async fn a_bridge_posts_updates_once_through_the_generated_client(server: Server) {
    let ada = server.user("Ada").await;
    let (project, _) = project(&ada).await;
    let channel = ada
        .create_channel()
        .body(types::CreateChannel {
            project_id: project.id,
            name: "Telegram".into(),
            kind: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(channel.kind, types::ChannelKind::Telegram);
    assert_eq!(channel.offset, 0);
    let first = ada
        .receive_update()
        .channel_id(channel.id)
        .body(update(7, "hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    let first = first.into_inner();
    assert!(!first.duplicate);
    let again = ada
        .receive_update()
        .channel_id(channel.id)
        .body(update(7, "hello?"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let again = again.into_inner();
    assert!(again.duplicate && again.message.is_some());
    assert_eq!(
        again.message.as_ref().map(|m| m.id),
        first.message.as_ref().map(|m| m.id)
    );
    let bad = ada
        .receive_update()
        .channel_id(channel.id)
        .body(update(-1, "x"))
        .send()
        .await;
    assert_eq!(status_of(bad).await, 422);
    let shown = ada
        .get_channel()
        .channel_id(channel.id)
        .send()
        .await
        .unwrap();
    assert_eq!(shown.offset, 8);
    let listed = ada
        .list_channels()
        .project_id(project.id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|c| c.offset).collect::<Vec<_>>(), [8]);
}
