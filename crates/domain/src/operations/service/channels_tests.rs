//! Channel use-case tests over mockall doubles of the ports.

use crate::doubles::{Doubles, principal, project};
use crate::id::ChannelId;
use crate::log::ChatEvent;
use crate::operations::{Channel, ChannelKind, InboundUpdate, Received};
use crate::{Error, Limits, Services};

fn update(update_id: i64, text: &str) -> InboundUpdate {
    InboundUpdate {
        update_id,
        sender_id: "tg:42".into(),
        sender_name: "Ada".into(),
        text: text.into(),
    }
}

#[tokio::test]
async fn an_update_becomes_a_chat_message_by_the_bridge_saying_who_sent_it_outside() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    let bridge = doubles.member_of(&project, &who);
    let channel = Channel {
        id: ChannelId::generate(),
        project_id: project.id,
        name: "telegram".into(),
        kind: ChannelKind::Telegram,
        created_at: project.created_at,
    };
    let stored = channel.clone();
    doubles
        .channels
        .expect_get_channel()
        .returning(move |_| Ok(Some(stored.clone())));
    doubles
        .channels
        .expect_receive()
        .withf(move |id, update_id, _| *id == channel.id && *update_id == 7)
        .returning(|_, _, message| {
            Ok(Received {
                event: Some(message.clone()),
                duplicate: false,
            })
        });
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let receipt = services
        .channels
        .receive(&who, channel.id, update(7, "  hello  "))
        .await
        .unwrap();
    let message = receipt.message.unwrap();
    assert_eq!(message.project_id, Some(project.id));
    assert_eq!(message.actor_id, Some(bridge.id));
    let Some(Ok(ChatEvent::ChatMessage(chat))) = message.kind.decode::<ChatEvent>() else {
        panic!("a chat message: {message:?}")
    };
    assert_eq!(chat.content, "hello");
    let via = chat.via.unwrap();
    assert_eq!((via.channel_id, via.update_id), (channel.id, 7));
    assert_eq!(
        (via.sender_id.as_str(), via.sender_name.as_str()),
        ("tg:42", "Ada")
    );
    assert!(!receipt.duplicate);
}

#[tokio::test]
async fn a_bad_update_is_refused_before_anything_is_read_or_written() {
    let who = principal();
    let mut doubles = Doubles::default();
    doubles.channels.expect_get_channel().never();
    doubles.channels.expect_receive().never();
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let channel = ChannelId::generate();
    for (bad, field) in [
        (update(-1, "hi"), "update_id"),
        (update(1, "   "), "text"),
        (update(1, &"x".repeat(32_001)), "text"),
        (
            InboundUpdate {
                sender_id: String::new(),
                ..update(1, "hi")
            },
            "sender.id",
        ),
    ] {
        let err = services
            .channels
            .receive(&who, channel, bad)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Validation { field: f, .. } if f == field),
            "{field}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_channel_of_a_project_the_caller_is_not_in_is_not_there() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    let channel = Channel {
        id: ChannelId::generate(),
        project_id: project.id,
        name: "telegram".into(),
        kind: ChannelKind::Telegram,
        created_at: project.created_at,
    };
    let (stored, p) = (channel.clone(), project.clone());
    doubles
        .channels
        .expect_get_channel()
        .returning(move |_| Ok(Some(stored.clone())));
    doubles
        .projects
        .expect_get_project()
        .returning(move |_| Ok(Some(p.clone())));
    doubles
        .projects
        .expect_member_for_user()
        .returning(|_, _| Ok(None));
    doubles.channels.expect_receive().never();
    doubles.channels.expect_offset().never();
    let services = Services::new(&doubles.into_ports(), Limits::default());
    for err in [
        services.channels.get(&who, channel.id).await.unwrap_err(),
        services
            .channels
            .receive(&who, channel.id, update(1, "hi"))
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(err, Error::NotFound { entity: "channel" }),
            "{err:?}"
        );
    }
}
