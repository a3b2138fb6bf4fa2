//! Inbound channels through the API: a member binds one, a bridge posts its
//! updates (201 new, 200 again with the same message), the offset follows;
//! bad input is a problem that changes nothing; outsiders see nothing.

use poem::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, api_test, assert_problem, id};

api_test!(
    a_member_binds_a_channel_and_each_update_becomes_one_chat_message,
    bad_channels_and_updates_are_refused_and_change_nothing,
);

async fn a_member_binds_a_channel_and_each_update_becomes_one_chat_message(app: TestApp) {
    let ada = app.user("Ada").await;
    let (project, member) = app.project(&ada, "TG").await;
    let created = app
        .post(
            "/api/v1/channels",
            &ada,
            json!({"project_id": project, "name": "Telegram group"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.body["kind"], "telegram");
    assert_eq!(created.body["offset"], 0);
    let channel = id(&created.body);
    let update = |update_id: i64, text: &str| json!({"update_id": update_id, "sender": {"id": "tg:7", "name": "Bob"}, "text": text});
    let path = format!("/api/v1/channels/{channel}/updates");
    let first = app.post(&path, &ada, update(41, "hello")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    assert_eq!(first.body["duplicate"], false);
    let message = &first.body["message"];
    assert_eq!(message["type"], "chat_message");
    assert_eq!(message["project_id"], project.as_str());
    assert_eq!(
        message["actor_id"],
        member.as_str(),
        "posted by the bridge's member"
    );
    assert_eq!(message["payload"]["via"]["sender_name"], "Bob");
    let again = app.post(&path, &ada, update(41, "hello, again")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["duplicate"], true);
    assert_eq!(again.body["message"], first.body["message"]);
    let shown = app.get(&format!("/api/v1/channels/{channel}"), &ada).await;
    assert_eq!(shown.body["offset"], 42);
    let listed = app
        .get(&format!("/api/v1/channels?project_id={project}"), &ada)
        .await;
    assert_eq!(listed.body[0]["offset"], 42);
    assert_eq!(
        app.feed_types(&ada, &format!("project_id={project}")).await,
        [
            "chat_message",
            "channel_created",
            "member_added",
            "project_created"
        ]
    );
}

async fn bad_channels_and_updates_are_refused_and_change_nothing(app: TestApp) {
    let ada = app.user("Ada").await;
    let eve = app.user("Eve").await;
    let (project, _) = app.project(&ada, "TB").await;
    let channel = id(&app
        .post(
            "/api/v1/channels",
            &ada,
            json!({"project_id": project, "name": "tg"}),
        )
        .await
        .body);
    let twin = app
        .post(
            "/api/v1/channels",
            &ada,
            json!({"project_id": project, "name": "tg"}),
        )
        .await;
    assert_problem(&twin, StatusCode::CONFLICT, "conflict");
    let path = format!("/api/v1/channels/{channel}/updates");
    let sender = json!({"id": "tg:1"});
    for (body, status, slug) in [
        (
            json!({"update_id": -1, "sender": sender, "text": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            json!({"update_id": 1, "sender": sender, "text": "  "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            json!({"update_id": 1, "sender": {"id": ""}, "text": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            json!({"update_id": 1, "sender": sender, "text": 5}),
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
        (
            json!({"update_id": "1", "sender": sender, "text": "x"}),
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
        (
            json!({"update_id": 1, "sender": sender, "text": "x", "extra": 1}),
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
    ] {
        let reply = app.post(&path, &ada, body.clone()).await;
        assert_problem(&reply, status, slug);
    }
    let outsider = app
        .post(
            &path,
            &eve,
            json!({"update_id": 1, "sender": sender, "text": "x"}),
        )
        .await;
    assert_problem(&outsider, StatusCode::NOT_FOUND, "not-found");
    assert_problem(
        &app.get(&format!("/api/v1/channels/{channel}"), &eve).await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
    let unbound = app
        .post(
            "/api/v1/channels",
            &eve,
            json!({"project_id": project, "name": "mine"}),
        )
        .await;
    assert_problem(&unbound, StatusCode::NOT_FOUND, "not-found");
    let shown = app.get(&format!("/api/v1/channels/{channel}"), &ada).await;
    assert_eq!(shown.body["offset"], 0, "nothing was received");
    assert_eq!(
        app.feed_types(&ada, &format!("project_id={project}&types=chat_message"))
            .await,
        Vec::<String>::new()
    );
}
