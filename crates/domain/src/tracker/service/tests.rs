//! Task use-case tests over mockall doubles of the ports.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::doubles::{Doubles, principal, project, task};
use crate::tracker::{TaskPatch, TaskStatus};
use crate::{Error, Limits, Services};

#[tokio::test]
async fn an_unconditional_update_retries_on_fresh_state_after_losing_a_race() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    let stored = Arc::new(AtomicI64::new(1));
    let base = task(&project, 1);
    let reads = Arc::clone(&stored);
    doubles.tasks.expect_get_task().returning(move |_| {
        Ok(Some(crate::tracker::Task::restore(
            crate::tracker::TaskRecord {
                version: reads.load(Ordering::SeqCst),
                ..base.record().clone()
            },
        )))
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
            assert_eq!((expected, task.version()), (2, 3));
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
    assert_eq!((view.key.as_str(), view.task.version()), ("TE-4", 3));
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
async fn a_label_named_many_times_is_looked_up_once() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    let label = crate::tracker::Label::new(project.id, "bug", None, project.created_at).unwrap();
    let stored = label.clone();
    doubles
        .labels
        .expect_get_label()
        .times(1)
        .returning(move |_| Ok(Some(stored.clone())));
    doubles
        .tasks
        .expect_create_task()
        .returning(|new, _| Ok(new.clone().numbered(1)));
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let draft = crate::tracker::TaskDraft {
        title: "t".into(),
        labels: vec![label.id; 100_000],
        ..crate::tracker::TaskDraft::default()
    };
    let view = services
        .tasks
        .create(&who, project.id, draft)
        .await
        .unwrap();
    assert_eq!(view.task.record().labels, [label.id]);
}
