//! Inbound channels' storage contract: each update is recorded once, with the
//! chat message it became, however often and however concurrently it comes;
//! the offset is derived from the inbox.

use agentry_domain::Error;
use agentry_domain::clock::utc_now;
use agentry_domain::id::ChannelId;
use agentry_domain::log::{EventFilter, EventRepo as _};
use agentry_domain::operations::{Channel, ChannelKind, ChannelRepo as _};
use agentry_domain::workspace::Project;
use agentry_store::Store;

use crate::helpers::{chat, contract, project};

contract!(
    an_update_is_recorded_once_and_the_offset_follows_the_inbox,
    concurrent_deliveries_of_one_update_record_it_once,
    channel_names_are_unique_per_project,
);

async fn channel(store: &Store, project: &Project, name: &str) -> ChannelId {
    let channel = Channel {
        id: ChannelId::generate(),
        project_id: project.id,
        name: name.into(),
        kind: ChannelKind::Telegram,
        created_at: utc_now(),
    };
    store.create_channel(&channel, &[]).await.unwrap();
    channel.id
}

async fn chat_ids(store: &Store, project: &Project) -> Vec<agentry_domain::id::EventId> {
    let filter = EventFilter {
        project_id: Some(project.id),
        types: vec!["chat_message".into()],
        limit: 200,
        ..EventFilter::default()
    };
    let mut ids: Vec<_> = store
        .list_events(&filter)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    ids.reverse();
    ids
}

async fn an_update_is_recorded_once_and_the_offset_follows_the_inbox(store: Store) {
    let (alpha, member, _) = project(&store, "CH").await;
    let (tg, other) = (
        channel(&store, &alpha, "telegram").await,
        channel(&store, &alpha, "other").await,
    );
    assert_eq!(store.offset(tg).await.unwrap(), 0);
    let first = chat(&alpha, Some(member.id), "first");
    let received = store.receive(tg, 5, &first).await.unwrap();
    assert!(!received.duplicate);
    assert_eq!(received.event.as_ref().unwrap().id, first.id);
    let again = chat(&alpha, Some(member.id), "first, redelivered");
    let received = store.receive(tg, 5, &again).await.unwrap();
    assert!(received.duplicate, "the same update a second time");
    assert_eq!(
        received.event.as_ref().unwrap().id,
        first.id,
        "answers the message it became"
    );
    assert_eq!(received.event.as_ref().unwrap().kind, first.kind);
    assert!(
        store.get_event(again.id).await.unwrap().is_none(),
        "nothing written"
    );
    assert_eq!(store.offset(tg).await.unwrap(), 6);
    // A late update below the offset is still recorded; the offset stays.
    let late = chat(&alpha, Some(member.id), "late");
    assert!(!store.receive(tg, 2, &late).await.unwrap().duplicate);
    assert_eq!(store.offset(tg).await.unwrap(), 6);
    // Update ids are the channel's own: another channel's 5 is another update.
    let elsewhere = chat(&alpha, Some(member.id), "elsewhere");
    assert!(!store.receive(other, 5, &elsewhere).await.unwrap().duplicate);
    assert_eq!(store.offset(other).await.unwrap(), 6);
    assert_eq!(
        chat_ids(&store, &alpha).await,
        [first.id, late.id, elsewhere.id]
    );
}

async fn concurrent_deliveries_of_one_update_record_it_once(store: Store) {
    let (alpha, member, _) = project(&store, "CC").await;
    let tg = channel(&store, &alpha, "telegram").await;
    let deliveries: Vec<_> = (0..8)
        .map(|n| {
            let (store, message) = (
                store.clone(),
                chat(&alpha, Some(member.id), &format!("{n}")),
            );
            tokio::spawn(async move { store.receive(tg, 1, &message).await.unwrap() })
        })
        .collect();
    let mut answers = Vec::new();
    for delivery in deliveries {
        answers.push(delivery.await.unwrap());
    }
    assert_eq!(answers.iter().filter(|r| !r.duplicate).count(), 1);
    let recorded = chat_ids(&store, &alpha).await;
    assert_eq!(recorded.len(), 1, "one message: {recorded:?}");
    assert!(
        answers
            .iter()
            .all(|r| r.event.as_ref().unwrap().id == recorded[0])
    );
    assert_eq!(store.offset(tg).await.unwrap(), 2);
}

async fn channel_names_are_unique_per_project(store: Store) {
    let (alpha, _, _) = project(&store, "CU").await;
    let (beta, _, _) = project(&store, "CV").await;
    channel(&store, &alpha, "telegram").await;
    channel(&store, &beta, "telegram").await;
    let twin = Channel {
        id: ChannelId::generate(),
        project_id: alpha.id,
        name: "telegram".into(),
        kind: ChannelKind::Webhook,
        created_at: utc_now(),
    };
    let err = store.create_channel(&twin, &[]).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(store.list_channels(alpha.id).await.unwrap().len(), 1);
}
