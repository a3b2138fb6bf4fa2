//! The task's rules: what each change decides, and that a refused change leaves
//! the task as it was.

use chrono::Utc;

use super::{Task, TaskChange, TaskDraft, TaskPatch};
use crate::Error;
use crate::event::{FieldChange, Kinds as _};
use crate::id::{LabelId, MemberId, ProjectId};
use crate::tracker::events::{TaskUnassigned, TrackerEvent};
use crate::tracker::{Priority, TaskStatus};

fn task() -> Task {
    let draft = TaskDraft {
        title: "Write the spec".into(),
        ..TaskDraft::default()
    };
    let (new, _) = Task::create(ProjectId::generate(), draft, Utc::now()).unwrap();
    new.numbered(1)
}

#[test]
fn a_new_task_is_version_one_and_records_its_creation_and_labels() {
    let labels = [LabelId::generate(), LabelId::generate()];
    let draft = TaskDraft {
        title: "  Ship it ".into(),
        labels: vec![labels[1], labels[0], labels[1]],
        ..TaskDraft::default()
    };
    let (new, events) = Task::create(ProjectId::generate(), draft, Utc::now()).unwrap();
    let task = new.numbered(7);
    let record = task.record();
    assert_eq!((record.number, record.version), (7, 1));
    assert_eq!(record.title, "Ship it");
    let mut sorted = labels.to_vec();
    sorted.sort();
    assert_eq!(record.labels, sorted);
    let types: Vec<_> = events.iter().map(|e| e.type_name()).collect();
    assert_eq!(types, ["task_created", "task_label_add", "task_label_add"]);
}

#[test]
fn a_patch_emits_one_event_per_changed_field() {
    let mut task = task();
    let changes = task
        .apply(
            TaskPatch {
                title: Some("Write the real spec".into()),
                description: Some("with examples".into()),
                priority: Some(Priority::High),
                status: Some(TaskStatus::InProgress),
                assignee: Some(Some(MemberId::generate())),
            },
            Utc::now(),
        )
        .unwrap();
    let types: Vec<_> = changes.events.iter().map(|e| e.type_name()).collect();
    assert_eq!(
        types,
        [
            "task_updated",
            "task_updated",
            "task_updated",
            "task_status",
            "task_assigned"
        ]
    );
    assert!(
        matches!(&changes.events[0], TrackerEvent::TaskUpdated(FieldChange { field, .. }) if field == "title")
    );
    assert_eq!(task.version(), 2);
}

#[test]
fn a_patch_that_changes_nothing_emits_nothing_and_keeps_the_version() {
    let mut task = task();
    let same = TaskPatch {
        title: Some(task.record().title.clone()),
        status: Some(task.record().status),
        assignee: Some(None),
        ..TaskPatch::default()
    };
    assert!(task.apply(same, Utc::now()).unwrap().is_empty());
    assert_eq!(task.version(), 1);
}

#[test]
fn a_forbidden_transition_leaves_the_task_untouched() {
    let mut task = task();
    let before = task.clone();
    let patch = TaskPatch {
        title: Some("changed".into()),
        status: Some(TaskStatus::Done),
        ..TaskPatch::default()
    };
    let err = task.apply(patch, Utc::now()).unwrap_err();
    assert!(matches!(err, Error::InvalidTransition { .. }));
    assert_eq!(task, before);
}

#[test]
fn unassigning_names_the_previous_assignee() {
    let mut task = task();
    let member = MemberId::generate();
    let assign = TaskPatch {
        assignee: Some(Some(member)),
        ..TaskPatch::default()
    };
    let _ = task.apply(assign, Utc::now()).unwrap();
    let unassign = TaskPatch {
        assignee: Some(None),
        ..TaskPatch::default()
    };
    let changes = task.apply(unassign, Utc::now()).unwrap();
    assert_eq!(
        changes.events,
        [TrackerEvent::TaskUnassigned(TaskUnassigned {
            previous: member
        })]
    );
}

#[test]
fn a_new_task_cannot_start_finished() {
    let draft = TaskDraft {
        title: "t".into(),
        status: TaskStatus::Done,
        ..TaskDraft::default()
    };
    let result = Task::create(ProjectId::generate(), draft, Utc::now());
    assert!(matches!(result, Err(Error::Validation { .. })));
}

#[test]
fn a_label_change_is_a_row_an_event_and_a_version_and_a_repeat_is_nothing() {
    let mut task = task();
    let label = LabelId::generate();
    let changes = task.set_label(label, true, Utc::now()).unwrap();
    assert_eq!(changes.rows, [TaskChange::AddLabel(label)]);
    assert_eq!(changes.events.len(), 1);
    assert_eq!(
        (task.version(), task.record().labels.clone()),
        (2, vec![label])
    );
    assert!(task.set_label(label, true, Utc::now()).unwrap().is_empty());
    assert_eq!(task.version(), 2);
    let changes = task.set_label(label, false, Utc::now()).unwrap();
    assert_eq!(changes.rows, [TaskChange::RemoveLabel(label)]);
    assert!(task.record().labels.is_empty());
}

#[test]
fn a_task_carries_at_most_fifty_labels() {
    let labels: Vec<LabelId> = (0..TaskDraft::LABELS_MAX)
        .map(|_| LabelId::generate())
        .collect();
    let draft = |labels: Vec<LabelId>| TaskDraft {
        title: "t".into(),
        labels,
        ..TaskDraft::default()
    };
    let (new, _) = Task::create(ProjectId::generate(), draft(labels.clone()), Utc::now()).unwrap();
    let mut full = new.numbered(1);
    let err = full
        .set_label(LabelId::generate(), true, Utc::now())
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    let mut past = labels;
    past.push(LabelId::generate());
    assert!(Task::create(ProjectId::generate(), draft(past), Utc::now()).is_err());
}

mod execution {
    use chrono::Utc;

    use crate::id::{PlanId, ProjectId, TaskId};
    use crate::tracker::{
        Execution, FailedAttempt, Task, TaskDraft, TaskResult, TaskStatus, TrackerEvent,
    };

    fn planned(max_retries: u32) -> Task {
        let execution = Execution {
            plan_id: PlanId::generate(),
            client_id: "a".into(),
            agent_type: Some("Generation".into()),
            depends_on: Vec::new(),
            can_parallel: true,
            progress: 0,
            retry_count: 0,
            max_retries,
            error_message: None,
            result: None,
            started_at: None,
            completed_at: None,
        };
        let draft = TaskDraft {
            title: "t".into(),
            status: TaskStatus::Pending,
            ..TaskDraft::default()
        };
        let (task, _) = Task::create_planned(
            ProjectId::generate(),
            TaskId::generate(),
            draft,
            execution,
            Utc::now(),
        )
        .unwrap();
        task.numbered(1)
    }

    fn statuses(changes: &crate::tracker::Changes) -> Vec<(TaskStatus, TaskStatus)> {
        changes
            .events
            .iter()
            .filter_map(|e| match e {
                TrackerEvent::TaskStatus(s) => Some((s.from, s.to)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_attempt_retries_until_its_retries_are_spent_then_fails() {
        let mut task = planned(2);
        let now = Utc::now();
        for n in 1..=2 {
            let _ = task.start(now).unwrap();
            let (changes, outcome) = task.fail_attempt("boom", now).unwrap();
            assert_eq!(outcome, FailedAttempt::Retry(n));
            assert_eq!(
                statuses(&changes),
                [(TaskStatus::InProgress, TaskStatus::Retrying)]
            );
        }
        let _ = task.start(now).unwrap();
        let (changes, outcome) = task.fail_attempt("boom\0again", now).unwrap();
        assert_eq!(outcome, FailedAttempt::GaveUp);
        assert_eq!(
            statuses(&changes),
            [(TaskStatus::InProgress, TaskStatus::Failed)]
        );
        let execution = task.execution().unwrap();
        assert_eq!(execution.retry_count, 2);
        assert_eq!(execution.error_message.as_deref(), Some("boomagain"));
        assert!(execution.completed_at.is_some());
    }

    #[test]
    fn completing_records_the_result_and_full_progress() {
        let mut task = planned(0);
        let now = Utc::now();
        let version = task.version();
        let _ = task.start(now).unwrap();
        let _ = task.report_progress(140, now).unwrap();
        assert_eq!(task.execution().unwrap().progress, 100);
        let result = TaskResult {
            summary: Some("ok".into()),
            ..TaskResult::default()
        };
        let changes = task.complete(result.clone(), now).unwrap();
        assert_eq!(
            statuses(&changes),
            [(TaskStatus::InProgress, TaskStatus::Done)]
        );
        assert_eq!(task.execution().unwrap().result, Some(result));
        assert_eq!(task.version(), version + 3);
        // A finished task cannot complete again, nor be skipped.
        assert!(task.complete(TaskResult::default(), now).is_err());
        assert!(task.skip(now).is_err());
    }

    #[test]
    fn cancel_leaves_finished_tasks_alone_and_reopen_resets_retries() {
        let now = Utc::now();
        let mut done = planned(0);
        let _ = done.start(now).unwrap();
        let _ = done.complete(TaskResult::default(), now).unwrap();
        assert!(done.cancel_open(now).is_empty());
        let mut running = planned(3);
        let _ = running.start(now).unwrap();
        let _ = running.fail_attempt("x", now).unwrap();
        let changes = running.cancel_open(now);
        assert_eq!(
            statuses(&changes),
            [(TaskStatus::Retrying, TaskStatus::Cancelled)]
        );
        let _ = running.reopen(now).unwrap();
        assert_eq!(running.record().status, TaskStatus::Pending);
        assert_eq!(running.execution().unwrap().retry_count, 0);
    }

    #[test]
    fn a_task_outside_a_plan_has_no_engine_moves() {
        let (task, _) = Task::create(
            ProjectId::generate(),
            TaskDraft {
                title: "t".into(),
                status: TaskStatus::Pending,
                ..TaskDraft::default()
            },
            Utc::now(),
        )
        .unwrap();
        let mut task = task.numbered(1);
        assert!(task.start(Utc::now()).is_err());
    }
}
