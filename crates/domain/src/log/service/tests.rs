//! Log use-case tests over mockall doubles of the ports.

use crate::doubles::{Doubles, principal, project};
use crate::log::{EventFilter, PostEvent};
use crate::{Error, Limits, Services};

#[tokio::test]
async fn a_comment_without_a_task_is_refused_before_anything_is_written() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    doubles.events.expect_append().never();
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let input = PostEvent {
        project_id: project.id,
        task_id: None,
        parent_id: None,
        type_name: "task_comment".into(),
        payload: serde_json::json!({"content": "hi"}),
    };
    let err = services.events.post(&who, input).await.unwrap_err();
    assert!(matches!(err, Error::Validation { field, .. } if field == "task_id"));
}

#[tokio::test]
async fn a_task_feed_reads_the_tasks_project_not_the_task() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    let task = crate::id::TaskId::generate();
    let in_project = project.id;
    doubles
        .tasks
        .expect_task_project()
        .returning(move |_| Ok(Some(in_project)));
    doubles.tasks.expect_get_task().never();
    doubles
        .events
        .expect_list_events()
        .withf(move |f| f.task_id == Some(task) && f.project_id == Some(in_project))
        .returning(|_| Ok(vec![]));
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let filter = EventFilter::parse(None, Some(task), None, &[], None, None).unwrap();
    let page = services.events.list(&who, filter).await.unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
}

#[tokio::test]
async fn a_task_feed_of_an_unknown_task_or_under_another_project_reads_nothing() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    let (known, unknown) = (crate::id::TaskId::generate(), crate::id::TaskId::generate());
    let in_project = project.id;
    doubles
        .tasks
        .expect_task_project()
        .returning(move |t| Ok((t == known).then_some(in_project)));
    doubles.events.expect_list_events().never();
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let filter = EventFilter::parse(None, Some(unknown), None, &[], None, None).unwrap();
    let err = services.events.list(&who, filter).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { entity: "task" }), "{err:?}");
    let elsewhere = crate::id::ProjectId::generate();
    let filter = EventFilter::parse(Some(elsewhere), Some(known), None, &[], None, None).unwrap();
    let err = services.events.list(&who, filter).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { entity: "task" }), "{err:?}");
}

/// A database that fails behind a read is an outage, not a missing row: the
/// caller gets a 5xx to retry and the operator a logged error, never a 404.
#[tokio::test]
async fn a_failing_database_behind_an_event_or_attachment_read_is_an_error_not_a_404() {
    use crate::log::{Attachment, ChatEvent, ChatMessage};
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    let event = crate::event::Event::in_project(
        project.id,
        None,
        None,
        ChatEvent::ChatMessage(ChatMessage {
            content: "hi".into(),
            mentions: vec![],
            thinking: None,
            voice_url: None,
            via: None,
        }),
        project.created_at,
    )
    .unwrap();
    let attachment = Attachment {
        id: crate::id::AttachmentId::generate(),
        event_id: event.id,
        project_id: project.id,
        filename: "a.txt".into(),
        content_type: "text/plain".into(),
        size_bytes: 1,
        sha256: String::new(),
        storage_key: "k".into(),
        created_at: project.created_at,
    };
    let (id, found) = (event.id, event.clone());
    doubles
        .events
        .expect_get_event()
        .returning(move |_| Ok(Some(found.clone())));
    doubles
        .attachments
        .expect_get_attachment()
        .returning(move |_| Ok(Some(attachment.clone())));
    doubles
        .projects
        .expect_get_project()
        .returning(|_| Err(Error::internal("connection refused")));
    doubles
        .projects
        .expect_member_for_user()
        .returning(|_, _| Err(Error::internal("connection refused")));
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let err = services.events.get(&who, id).await.unwrap_err();
    assert!(matches!(err, Error::Internal(_)), "{err:?}");
    let err = services.attachments.list(&who, id).await.unwrap_err();
    assert!(matches!(err, Error::Internal(_)), "{err:?}");
    let err = services
        .attachments
        .download(&who, crate::id::AttachmentId::generate())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Internal(_)), "{err:?}");
}
