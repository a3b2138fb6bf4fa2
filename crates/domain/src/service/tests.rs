//! Use-case tests over mockall doubles of the ports.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::Services;
use super::doubles::{Doubles, principal, project, task};
use crate::Error;
use crate::log::EventFilter;
use crate::service::{Limits, PostEvent};
use crate::tracker::{TaskPatch, TaskStatus};

#[tokio::test]
async fn an_unconditional_update_retries_on_fresh_state_after_losing_a_race() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    let stored = Arc::new(AtomicI64::new(1));
    let base = task(&project, 1);
    let reads = Arc::clone(&stored);
    doubles.tasks.expect_get_task().returning(move |_| {
        Ok(Some(crate::tracker::Task {
            version: reads.load(Ordering::SeqCst),
            ..base.clone()
        }))
    });
    let writes = Arc::clone(&stored);
    let mut calls = 0;
    doubles
        .tasks
        .expect_update_task()
        .times(2)
        .returning(move |task, expected, _, events| {
            calls += 1;
            assert_eq!(events.len(), 1);
            if calls == 1 {
                writes.store(2, Ordering::SeqCst); // someone else wrote first
                return Err(Error::StaleVersion {
                    expected,
                    actual: 2,
                });
            }
            assert_eq!((expected, task.version), (2, 3));
            Ok(())
        });
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let patch = TaskPatch {
        status: Some(TaskStatus::Pending),
        ..TaskPatch::default()
    };
    let view = services
        .tasks
        .update(&who, crate::id::TaskId::generate(), patch, None)
        .await
        .unwrap();
    assert_eq!((view.key.as_str(), view.task.version), ("TE-4", 3));
}

#[tokio::test]
async fn a_conditional_update_with_an_old_version_writes_nothing() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    let current = task(&project, 5);
    doubles
        .tasks
        .expect_get_task()
        .returning(move |_| Ok(Some(current.clone())));
    doubles.tasks.expect_update_task().never();
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let patch = TaskPatch {
        title: Some("new".into()),
        ..TaskPatch::default()
    };
    let err = services
        .tasks
        .update(&who, crate::id::TaskId::generate(), patch, Some(4))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::StaleVersion {
                expected: 4,
                actual: 5
            }
        ),
        "{err:?}"
    );
}

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
async fn a_stranger_is_told_the_project_does_not_exist() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    let known = project.clone();
    doubles
        .projects
        .expect_get_project()
        .returning(move |_| Ok(Some(known.clone())));
    doubles
        .projects
        .expect_member_for_user()
        .returning(|_, _| Ok(None));
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let err = services.projects.get(&who, project.id).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { entity: "project" }));
}

#[tokio::test]
async fn an_unknown_or_malformed_token_is_unauthenticated() {
    let mut doubles = Doubles::default();
    doubles.users.expect_authenticate().returning(|_| Ok(None));
    let services = Services::new(&doubles.into_ports(), Limits::default());
    for presented in ["agt_0123456789abcdefgh", "short"] {
        assert!(matches!(
            services.accounts.authenticate(presented).await,
            Err(Error::Unauthenticated)
        ));
    }
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
    let filter = EventFilter::parse(None, Some(task), None, None, None, None).unwrap();
    let page = services.events.list(&who, filter).await.unwrap();
    assert!(page.events.is_empty() && page.next_cursor.is_none());
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
    let filter = EventFilter::parse(None, Some(unknown), None, None, None, None).unwrap();
    let err = services.events.list(&who, filter).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { entity: "task" }), "{err:?}");
    let elsewhere = crate::id::ProjectId::generate();
    let filter = EventFilter::parse(Some(elsewhere), Some(known), None, None, None, None).unwrap();
    let err = services.events.list(&who, filter).await.unwrap_err();
    assert!(matches!(err, Error::Validation { field, .. } if field == "task_id"));
}
