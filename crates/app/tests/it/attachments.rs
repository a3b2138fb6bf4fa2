//! Files attached to events: upload, list, download, the size limit and who may
//! read them.

use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, api_test, assert_problem, id};

api_test!(
    an_attachment_round_trips_through_the_blob_store,
    an_oversized_or_misplaced_upload_is_refused
);

async fn message(app: &TestApp, token: &str) -> String {
    let (project, _) = app.project(token, "TE").await;
    let reply = app.post("/api/v1/events", token, json!({"project_id": project, "type": "chat_message", "payload": {"content": "see file"}})).await;
    id(&reply.body)
}

async fn an_attachment_round_trips_through_the_blob_store(app: TestApp) {
    let ada = app.user("Ada").await;
    let event = message(&app, &ada).await;
    let bytes = b"\x89PNG not really".to_vec();
    let path =
        format!("/api/v1/events/{event}/attachments?filename=shot.png&content_type=image/png");
    let reply = app
        .send(
            Method::POST,
            &path,
            Some(&ada),
            Some(("application/octet-stream", bytes.clone())),
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    assert_eq!(reply.body["size_bytes"], bytes.len());
    let attachment = id(&reply.body);
    let listed = app
        .get(&format!("/api/v1/events/{event}/attachments"), &ada)
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let download = app
        .get(&format!("/api/v1/attachments/{attachment}"), &ada)
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.bytes, bytes);
    assert_eq!(download.headers.get("x-content-type").unwrap(), "image/png");
    assert!(
        download
            .headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("shot.png")
    );
    let bob = app.user("Bob").await;
    assert_problem(
        &app.get(&format!("/api/v1/attachments/{attachment}"), &bob)
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
}

async fn an_oversized_or_misplaced_upload_is_refused(app: TestApp) {
    let ada = app.user("Ada").await;
    let event = message(&app, &ada).await;
    let upload = |filename: String, bytes: Vec<u8>| {
        let (app, ada, event) = (&app, &ada, &event);
        async move {
            let path = format!("/api/v1/events/{event}/attachments?filename={filename}");
            let body = Some(("application/octet-stream", bytes));
            app.send(Method::POST, &path, Some(ada), body, &[]).await
        }
    };
    // The test app's attachment limit is 1024 bytes; a filename holds 255 characters.
    let at = upload("a".repeat(255), vec![0; 1024]).await;
    assert_eq!(at.status, StatusCode::CREATED, "{at:?}");
    let long_name = upload("b".repeat(256), vec![1]).await;
    assert_problem(&long_name, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(long_name.body["field"], "filename");
    let path = format!("/api/v1/events/{event}/attachments?filename=big.bin");
    let big = app
        .send(
            Method::POST,
            &path,
            Some(&ada),
            Some(("application/octet-stream", vec![0; 1025])),
            &[],
        )
        .await;
    assert_problem(&big, StatusCode::PAYLOAD_TOO_LARGE, "too-large");
    let sneaky = format!("/api/v1/events/{event}/attachments?filename=../../etc/passwd");
    let reply = app
        .send(
            Method::POST,
            &sneaky,
            Some(&ada),
            Some(("application/octet-stream", vec![1])),
            &[],
        )
        .await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let listed = app
        .get(&format!("/api/v1/events/{event}/attachments"), &ada)
        .await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        1,
        "only the one at the limit"
    );
}
