//! Plan use-case tests over mockall doubles of the ports.

use chrono::Utc;

use crate::doubles::{Doubles, principal, project};
use crate::event::Event;
use crate::planning::{
    AgentEvent, NewPlan, Plan, PlanDraft, PlanStatus, PlannedTask, Prices, TurnCompleted,
};
use crate::tracker::{Task, TaskStatus};
use crate::workspace::Project;
use crate::{Error, Limits, Services};

fn planned(id: &str, deps: &[&str]) -> PlannedTask {
    PlannedTask {
        id: id.into(),
        title: id.into(),
        agent_type: Some("W".into()),
        depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
        ..PlannedTask::default()
    }
}

/// A stored plan of `project` with the tasks of `tasks`, numbered from 1.
fn stored(project: &Project, tasks: Vec<PlannedTask>, status: PlanStatus) -> (Plan, Vec<Task>) {
    let (NewPlan { mut plan, tasks }, _) = PlanDraft {
        goal: "g".into(),
        thread_id: None,
        tasks,
    }
    .build(project.id, None, Utc::now())
    .unwrap();
    plan.status = status;
    let tasks = tasks
        .into_iter()
        .zip(1..)
        .map(|(t, n)| t.numbered(n))
        .collect();
    (plan, tasks)
}

fn with_plan(doubles: &mut Doubles, plan: &Plan, tasks: &[Task]) {
    let (p, t) = (plan.clone(), tasks.to_vec());
    doubles
        .plans
        .expect_get_plan()
        .returning(move |_| Ok(Some(p.clone())));
    doubles
        .plans
        .expect_plan_tasks()
        .returning(move |_| Ok(t.clone()));
}

#[tokio::test]
async fn an_outsider_submits_nothing() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    let p = project.clone();
    doubles
        .projects
        .expect_get_project()
        .returning(move |_| Ok(Some(p.clone())));
    doubles
        .projects
        .expect_member_for_user()
        .returning(|_, _| Ok(None));
    doubles.plans.expect_create_plan().never();
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let draft = PlanDraft {
        goal: "g".into(),
        thread_id: None,
        tasks: vec![planned("a", &[])],
    };
    let err = services
        .plans
        .create(&who, project.id, draft)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { entity: "project" }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_submitted_plan_is_written_with_one_event_per_task_and_one_for_the_plan() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    doubles
        .plans
        .expect_create_plan()
        .times(1)
        .returning(|plan, events| {
            let types: Vec<&str> = events.iter().map(|e| e.kind.type_name()).collect();
            assert_eq!(types, ["plan_created", "task_created", "task_created"]);
            assert!(events[1..].iter().all(|e| e.task_id.is_some()));
            Ok(plan
                .tasks
                .iter()
                .zip(1..)
                .map(|(t, n)| t.clone().numbered(n))
                .collect())
        });
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let draft = PlanDraft {
        goal: "g".into(),
        thread_id: None,
        tasks: vec![planned("b", &["a"]), planned("a", &[])],
    };
    let view = services
        .plans
        .create(&who, project.id, draft)
        .await
        .unwrap();
    let keys: Vec<&str> = view.tasks.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["TE-1", "TE-2"]);
    assert_eq!(view.tasks[0].task.execution().unwrap().client_id, "a");
}

#[tokio::test]
async fn skipping_a_task_skips_what_lies_downstream_and_nothing_else() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    let (plan, tasks) = stored(
        &project,
        vec![
            planned("a", &[]),
            planned("b", &["a"]),
            planned("c", &["b"]),
            planned("x", &[]),
        ],
        PlanStatus::Pending,
    );
    with_plan(&mut doubles, &plan, &tasks);
    let root = tasks[0].id();
    doubles
        .plans
        .expect_update_plan_tasks()
        .times(1)
        .returning(|_, changed, abort, events| {
            assert!(!abort);
            let names: Vec<&str> = changed
                .iter()
                .map(|(t, _)| t.execution().unwrap().client_id.as_str())
                .collect();
            assert_eq!(names, ["a", "b", "c"]);
            assert!(
                changed
                    .iter()
                    .all(|(t, v)| t.record().status == TaskStatus::Skipped && *v == 1)
            );
            assert_eq!(events.len(), 3);
            Ok(())
        });
    let services = Services::new(&doubles.into_ports(), Limits::default());
    services.plans.skip_task(&who, plan.id, root).await.unwrap();
}

#[tokio::test]
async fn a_plan_that_is_over_cannot_be_aborted_and_nothing_is_written() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    let (plan, tasks) = stored(&project, vec![planned("a", &[])], PlanStatus::Done);
    with_plan(&mut doubles, &plan, &tasks);
    doubles.plans.expect_update_plan_tasks().never();
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let err = services.plans.abort(&who, plan.id).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn a_running_plan_is_not_deleted() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    let (plan, mut tasks) = stored(&project, vec![planned("a", &[])], PlanStatus::InProgress);
    let _ = tasks[0].start(Utc::now()).unwrap();
    with_plan(&mut doubles, &plan, &tasks);
    doubles.plans.expect_delete_plan().never();
    let services = Services::new(&doubles.into_ports(), Limits::default());
    let err = services.plans.delete(&who, plan.id).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn usage_sums_turns_per_model_task_and_assistant_and_prices_known_models() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    let (plan, tasks) = stored(
        &project,
        vec![planned("a", &[]), planned("b", &[])],
        PlanStatus::Done,
    );
    with_plan(&mut doubles, &plan, &tasks);
    let turn = |task: &Task, model: &str, assistant: &str, input: i64| {
        Event::in_project(
            project.id,
            None,
            Some(task.id()),
            AgentEvent::TurnCompleted(TurnCompleted {
                turn: 1,
                model: model.into(),
                assistant: crate::id::AssistantId::generate(),
                assistant_name: assistant.into(),
                latency_ms: 5,
                input_tokens: input,
                output_tokens: 10,
                content: String::new(),
                tool_calls: Vec::new(),
            }),
            Utc::now(),
        )
        .unwrap()
    };
    let (a, b) = (tasks[0].clone(), tasks[1].clone());
    let by_task = [
        (
            a.id(),
            vec![
                turn(&a, "big", "Writer", 100),
                turn(&a, "small", "Expert", 20),
            ],
        ),
        (b.id(), vec![turn(&b, "big", "Writer", 300)]),
    ];
    doubles
        .events
        .expect_list_events()
        .returning(move |filter| {
            if filter.types == ["usage.snapshot"] {
                return Ok(Vec::new()); // retention pruned none of its turns
            }
            assert_eq!(filter.types, ["turn.completed"]);
            Ok(by_task
                .iter()
                .find(|(t, _)| Some(*t) == filter.task_id)
                .map(|(_, e)| e.clone())
                .unwrap_or_default())
        });
    let ports = doubles.into_ports();
    let prices: Prices = [("big".to_owned(), (1.0, 2.0))].into_iter().collect();
    let services = Services::new(&ports, Limits::default()).with_prices(&ports, prices);
    let usage = services.plans.usage(&who, plan.id).await.unwrap();
    assert_eq!(
        (
            usage.totals.turns,
            usage.totals.input_tokens,
            usage.totals.output_tokens
        ),
        (3, 420, 30)
    );
    assert_eq!(usage.totals.cost_usd, None, "a model without a price");
    let big = usage.by_model.iter().find(|l| l.key == "big").unwrap();
    assert_eq!(big.totals.input_tokens, 400);
    let cost = big.totals.cost_usd.unwrap();
    assert!((cost - (400.0 + 20.0 * 2.0) / 1e6).abs() < 1e-12, "{cost}");
    let keys: Vec<&str> = usage.by_task.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(keys, ["TE-1", "TE-2"]);
    let assistants: Vec<&str> = usage.by_assistant.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(assistants, ["Expert", "Writer"]);
}

#[tokio::test]
async fn a_retry_reopens_what_the_task_needs_and_what_was_skipped_for_it() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    // a and x failed; d needs both; b was skipped behind a, d behind both.
    let (plan, mut tasks) = stored(
        &project,
        vec![
            planned("a", &[]),
            planned("x", &[]),
            planned("b", &["a"]),
            planned("d", &["b", "x"]),
            planned("ok", &[]),
        ],
        PlanStatus::Failed,
    );
    let now = Utc::now();
    let at = |tasks: &[Task], name: &str| {
        tasks
            .iter()
            .position(|t| t.execution().unwrap().client_id == name)
            .unwrap()
    };
    for (name, status) in [
        ("a", "failed"),
        ("x", "failed"),
        ("b", "skipped"),
        ("d", "skipped"),
        ("ok", "done"),
    ] {
        let i = at(&tasks, name);
        let t = &mut tasks[i];
        let _ = t.start(now).unwrap();
        match status {
            "failed" => {
                // Every retry spent.
                while t.fail_attempt("boom", now).unwrap().1
                    != crate::tracker::FailedAttempt::GaveUp
                {
                    let _ = t.start(now).unwrap();
                }
            }
            "done" => {
                let _ = t
                    .complete(crate::tracker::TaskResult::default(), now)
                    .unwrap();
            }
            _ => {
                let _ = t.release(now).unwrap();
                let _ = t.skip(now).unwrap();
            }
        }
    }
    let d = tasks[at(&tasks, "d")].id();
    with_plan(&mut doubles, &plan, &tasks);
    doubles
        .plans
        .expect_update_plan_tasks()
        .times(1)
        .returning(|_, changed, _, _| {
            let mut names: Vec<&str> = changed
                .iter()
                .map(|(t, _)| t.execution().unwrap().client_id.as_str())
                .collect();
            names.sort_unstable();
            assert_eq!(names, ["a", "b", "d", "x"], "ok stays done");
            assert!(
                changed
                    .iter()
                    .all(|(t, _)| t.record().status == TaskStatus::Pending)
            );
            Ok(())
        });
    let services = Services::new(&doubles.into_ports(), Limits::default());
    services.plans.retry_task(&who, plan.id, d).await.unwrap();
}

#[tokio::test]
async fn a_session_must_be_one_of_the_callers_threads() {
    let (who, project) = (principal(), project());
    let mut doubles = Doubles::default();
    doubles.member_of(&project, &who);
    doubles.plans.expect_create_plan().never();
    let mut threads = crate::registry::MockThreadRepo::new();
    threads.expect_list_threads().returning(|_| Ok(Vec::new()));
    let mut ports = doubles.into_ports();
    ports.registry.threads = std::sync::Arc::new(threads);
    let services = Services::new(&ports, Limits::default());
    let draft = PlanDraft {
        goal: "g".into(),
        thread_id: Some(crate::id::AssistantThreadId::generate()),
        tasks: vec![planned("a", &[])],
    };
    let err = services
        .plans
        .create(&who, project.id, draft)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "session_id"),
        "{err:?}"
    );
}
