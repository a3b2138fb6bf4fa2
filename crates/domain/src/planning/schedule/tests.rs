//! The scheduling rule on small pictures, one rule each.

use chrono::{DateTime, TimeDelta, Utc};

use super::{AssigneeFacts, Candidate, Running, TaskFacts, choose, claim, is_ready};
use crate::id::{PlanId, TaskId};
use crate::tracker::TaskStatus;
use crate::workspace::MemberKind;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

/// A pending task of `plan` that an `agent_type` runs and that may run in
/// parallel: ready unless a test changes it.
fn task(plan: PlanId) -> TaskFacts {
    TaskFacts {
        id: TaskId::generate(),
        plan: Some(plan),
        status: TaskStatus::Pending,
        open_dependencies: 0,
        not_before: None,
        agent_type: true,
        assignee: None,
        can_parallel: true,
    }
}

fn alone(plan: PlanId) -> TaskFacts {
    TaskFacts {
        can_parallel: false,
        ..task(plan)
    }
}

fn ready(task: &TaskFacts) -> bool {
    is_ready(task, Running::default(), now())
}

#[test]
fn a_pending_plan_task_an_agent_runs_is_ready() {
    assert!(ready(&task(PlanId::generate())));
}

#[test]
fn a_task_outside_a_plan_is_never_ready() {
    let outside = TaskFacts {
        plan: None,
        ..task(PlanId::generate())
    };
    assert!(!ready(&outside));
}

#[test]
fn an_open_dependency_keeps_a_task_waiting() {
    let waiting = TaskFacts {
        open_dependencies: 1,
        ..task(PlanId::generate())
    };
    assert!(!ready(&waiting));
}

#[test]
fn only_pending_and_retrying_tasks_are_ready() {
    let plan = PlanId::generate();
    let ready_in: Vec<TaskStatus> = TaskStatus::ALL
        .iter()
        .copied()
        .filter(|&status| {
            ready(&TaskFacts {
                status,
                ..task(plan)
            })
        })
        .collect();
    assert_eq!(ready_in, [TaskStatus::Pending, TaskStatus::Retrying]);
}

#[test]
fn a_retry_is_ready_once_its_backoff_is_over() {
    let retry = |at| TaskFacts {
        status: TaskStatus::Retrying,
        not_before: Some(at),
        ..task(PlanId::generate())
    };
    assert!(!ready(&retry(now() + TimeDelta::milliseconds(1))));
    assert!(ready(&retry(now())));
    assert!(ready(&retry(now() - TimeDelta::seconds(5))));
}

#[test]
fn an_agent_member_with_an_assistant_runs_a_task_and_nobody_else_does() {
    let assigned = |kind, has_assistant| TaskFacts {
        agent_type: false,
        assignee: Some(AssigneeFacts {
            kind,
            has_assistant,
        }),
        ..task(PlanId::generate())
    };
    assert!(ready(&assigned(MemberKind::Agent, true)));
    assert!(!ready(&assigned(MemberKind::Agent, false)));
    assert!(!ready(&assigned(MemberKind::Human, false)));
    let for_people = TaskFacts {
        agent_type: false,
        ..task(PlanId::generate())
    };
    assert!(!ready(&for_people));
}

#[test]
fn a_task_running_alone_holds_its_plan_and_only_its_plan() {
    let plan = PlanId::generate();
    let mut running = alone(plan);
    running.claim();
    let (sibling, serial_sibling) = (task(plan), alone(plan));
    let elsewhere = task(PlanId::generate());
    let tasks = [running, sibling, serial_sibling, elsewhere.clone()];
    assert_eq!(claim(&tasks, now(), 10), [elsewhere.id]);
}

#[test]
fn a_task_that_must_run_alone_waits_for_what_runs_in_its_plan() {
    let plan = PlanId::generate();
    let mut running = task(plan);
    running.claim();
    let (serial, parallel) = (alone(plan), task(plan));
    let tasks = [running, serial, parallel.clone()];
    assert_eq!(claim(&tasks, now(), 10), [parallel.id]);
}

#[test]
fn within_one_claim_a_task_taken_alone_passes_over_the_rest_of_its_plan() {
    let plan = PlanId::generate();
    let first = alone(plan);
    let (second, third) = (task(plan), alone(plan));
    let other = task(PlanId::generate());
    let tasks = [first.clone(), second, third, other.clone()];
    assert_eq!(claim(&tasks, now(), 10), [first.id, other.id]);
}

#[test]
fn within_one_claim_a_task_that_must_run_alone_yields_to_one_taken_before_it() {
    let plan = PlanId::generate();
    let (first, serial, last) = (task(plan), alone(plan), task(plan));
    let tasks = [first.clone(), serial, last.clone()];
    assert_eq!(claim(&tasks, now(), 10), [first.id, last.id]);
}

#[test]
fn a_claim_takes_the_oldest_ready_tasks_up_to_its_limit() {
    let tasks: Vec<TaskFacts> = (0..5).map(|_| task(PlanId::generate())).collect();
    let mut shuffled = tasks.clone();
    shuffled.reverse();
    assert_eq!(claim(&shuffled, now(), 2), [tasks[0].id, tasks[1].id]);
    assert!(claim(&tasks, now(), 0).is_empty());
}

#[test]
fn the_choice_within_a_window_does_not_depend_on_the_order_it_was_read_in() {
    let plan = PlanId::generate();
    let tasks = [alone(plan), task(plan), task(PlanId::generate())];
    let candidates: Vec<Candidate> = tasks
        .iter()
        .map(|t| Candidate {
            id: t.id,
            plan: t.plan.unwrap(),
            can_parallel: t.can_parallel,
        })
        .collect();
    let expected = [tasks[0].id, tasks[2].id];
    assert_eq!(choose(&candidates, 5), expected);
    let reversed: Vec<Candidate> = candidates.iter().rev().copied().collect();
    assert_eq!(choose(&reversed, 5), expected);
}

#[test]
fn a_claimed_task_is_in_progress_with_no_wait_left() {
    let mut retried = TaskFacts {
        status: TaskStatus::Retrying,
        not_before: Some(now()),
        ..task(PlanId::generate())
    };
    retried.claim();
    assert_eq!(
        (retried.status, retried.not_before),
        (TaskStatus::InProgress, None)
    );
    assert!(claim(&[retried], now(), 1).is_empty());
}
