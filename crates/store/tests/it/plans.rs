//! The plans' storage contract: the work queue's claims, leases and fences
//! (`queue`); a plan's graph, derived status, cascades, abort and delete
//! (`lifecycle`). Here: the builders both use.

mod lifecycle;
mod queue;

use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::planning::{
    Claim, NewPlan, PlanDraft, PlanRepo as _, PlanStatus, PlannedTask, Settlement, WorkQueue as _,
};
use agentry_domain::tracker::{Changes, Task, TaskResult};
use agentry_domain::workspace::Project;
use agentry_store::Store;
use chrono::{DateTime, TimeDelta, Utc};

fn planned(id: &str, deps: &[&str]) -> PlannedTask {
    PlannedTask {
        id: id.into(),
        title: format!("task {id}"),
        agent_type: Some("Worker".into()),
        depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
        max_retries: Some(0),
        ..PlannedTask::default()
    }
}

/// Stores a plan of `tasks` in `project`, with its creation events.
async fn submit(store: &Store, project: &Project, tasks: Vec<PlannedTask>) -> (NewPlan, Vec<Task>) {
    let now = utc_now();
    let (plan, kinds) = PlanDraft {
        goal: "reach the goal".into(),
        thread_id: None,
        tasks,
    }
    .build(project.id, None, now)
    .unwrap();
    let mut events = Vec::new();
    for (task, kinds) in plan.tasks.iter().zip(kinds) {
        for kind in kinds {
            events.push(Event::in_project(project.id, None, Some(task.id()), kind, now).unwrap());
        }
    }
    let stored = store.create_plan(&plan, &events).await.unwrap();
    (plan, stored)
}

/// a → (b, c) → d.
fn diamond() -> Vec<PlannedTask> {
    vec![
        planned("a", &[]),
        planned("b", &["a"]),
        planned("c", &["a"]),
        planned("d", &["b", "c"]),
    ]
}

fn names(claims: &[Claim]) -> Vec<String> {
    let mut names: Vec<String> = claims
        .iter()
        .map(|c| c.task.execution().unwrap().client_id.clone())
        .collect();
    names.sort();
    names
}

fn lease(now: DateTime<Utc>) -> DateTime<Utc> {
    now + TimeDelta::seconds(30)
}

async fn claim(store: &Store, limit: usize) -> Vec<Claim> {
    let now = utc_now();
    store.claim("w1", limit, now, lease(now)).await.unwrap()
}

/// Settles the claim as done; whether it was written.
async fn complete(store: &Store, claim: &Claim) -> bool {
    settle(store, claim, |task, now| {
        task.complete(TaskResult::default(), now).unwrap()
    })
    .await
}

/// Settles the claim as a failed attempt (for good, with no retries left);
/// whether it was written.
async fn fail(store: &Store, claim: &Claim) -> bool {
    settle(store, claim, |task, now| {
        task.fail_attempt("broken", now).unwrap().0
    })
    .await
}

/// Settles the claim with the move `decide` makes and its events.
async fn settle(
    store: &Store,
    claim: &Claim,
    decide: impl FnOnce(&mut Task, DateTime<Utc>) -> Changes,
) -> bool {
    let now = utc_now();
    let settlement = settlement(claim, now, decide);
    store.settle(&[settlement], now).await.unwrap()[0]
}

/// The claim's task done, as its holder writes it.
fn completed(claim: &Claim, now: DateTime<Utc>) -> Settlement {
    settlement(claim, now, |task, now| {
        task.complete(TaskResult::default(), now).unwrap()
    })
}

fn settlement(
    claim: &Claim,
    now: DateTime<Utc>,
    decide: impl FnOnce(&mut Task, DateTime<Utc>) -> Changes,
) -> Settlement {
    let mut task = claim.task.clone();
    let events = decide(&mut task, now)
        .events
        .into_iter()
        .map(|k| Event::in_project(task.project_id(), None, Some(task.id()), k, now).unwrap())
        .collect();
    Settlement {
        task,
        fence: claim.fence,
        events,
        retry_at: None,
        expired: false,
    }
}

async fn plan_status(store: &Store, plan: &NewPlan) -> PlanStatus {
    store.get_plan(plan.plan.id).await.unwrap().unwrap().status
}
