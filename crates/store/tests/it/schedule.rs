//! The claim against the scheduling rule it implements: on random sets of
//! tasks (plans of dependent tasks in every status, retries due or not, run by
//! an agent type, an agent member, a person or nobody, some that must run
//! alone, some already running), the store's claim takes exactly what
//! `schedule::claim` chooses from the same facts, and so does a second claim
//! after it. With more tasks ready than the claim's window, which of them the
//! window holds is the database's: the claim is then the rule's choice among
//! the tasks it took, all of them ready.

use std::collections::HashMap;

use agentry_domain::clock::utc_now;
use agentry_domain::event::Event;
use agentry_domain::id::{AssistantId, MemberId, TaskId};
use agentry_domain::planning::schedule::{self, AssigneeFacts, Candidate, Running, TaskFacts};
use agentry_domain::planning::{
    Claim, ClaimRequest, PlanDraft, PlanRepo as _, PlannedTask, Settlement, WorkQueue as _,
};
use agentry_domain::registry::{Assistant, AssistantDraft, AssistantKind, AssistantRepo as _};
use agentry_domain::tracker::{TaskRepo as _, TaskResult, TaskStatus};
use agentry_domain::workspace::{Member, MemberKind, NewMember, Project, ProjectRepo as _};
use agentry_store::Store;
use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sea_orm::ConnectionTrait as _;
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Query};

use crate::helpers::{contract, new_task, project};

contract!(the_store_claims_what_the_scheduling_rule_chooses);

/// Enough to meet every rule many times over, few enough for a few seconds
/// per database.
const CASES: u32 = 96;

/// Who runs a generated task.
#[derive(Clone, Copy, Debug)]
enum Runner {
    AgentType,
    AgentMember,
    /// An agent member with no assistant: a service account.
    AccountMember,
    Person,
    Nobody,
}

/// When a generated task may start.
#[derive(Clone, Copy, Debug)]
enum Due {
    Anytime,
    Past,
    Now,
    Later,
}

#[derive(Clone, Debug)]
struct Spec {
    status: TaskStatus,
    /// Which earlier tasks of its plan it depends on.
    depends_on: Vec<prop::sample::Index>,
    due: Due,
    runner: Runner,
    can_parallel: bool,
}

#[derive(Clone, Debug)]
struct Case {
    plans: Vec<Vec<Spec>>,
    /// Tasks outside any plan, which the engine never runs.
    loose: Vec<Spec>,
    limits: (usize, usize),
}

fn spec() -> impl Strategy<Value = Spec> {
    // Mostly waiting, so that claims have something to choose from.
    let status = prop_oneof![
        4 => Just(TaskStatus::Pending),
        2 => Just(TaskStatus::Retrying),
        2 => Just(TaskStatus::InProgress),
        2 => prop::sample::select(TaskStatus::ALL),
    ];
    let due = prop_oneof![
        Just(Due::Anytime),
        Just(Due::Past),
        Just(Due::Now),
        Just(Due::Later)
    ];
    let runner = prop_oneof![
        4 => Just(Runner::AgentType),
        2 => Just(Runner::AgentMember),
        1 => Just(Runner::AccountMember),
        1 => Just(Runner::Person),
        1 => Just(Runner::Nobody),
    ];
    (
        status,
        prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        due,
        runner,
        prop::bool::weighted(0.7),
    )
        .prop_map(|(status, depends_on, due, runner, can_parallel)| Spec {
            status,
            depends_on,
            due,
            runner,
            can_parallel,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(prop::collection::vec(spec(), 1..8), 1..5),
        prop::collection::vec(spec(), 0..3),
        (1..10usize, 1..10usize),
    )
        .prop_map(|(plans, loose, limits)| Case {
            plans,
            loose,
            limits,
        })
}

/// The project's members that may be assigned.
struct Cast {
    agent: MemberId,
    account: MemberId,
    person: MemberId,
}

async fn cast(store: &Store, project: &Project, person: MemberId) -> Cast {
    let now = utc_now();
    let draft = AssistantDraft {
        name: "Worker".into(),
        is_secretary: false,
        model: "gpt-4o".into(),
        instructions: "Work.".into(),
        assistant_type: AssistantKind::Llm,
        openai_assistant_id: None,
        is_active: true,
    };
    let assistant = Assistant::new(AssistantId::generate(), draft, now).unwrap();
    store.create_assistant(&assistant, &[]).await.unwrap();
    let agent = |handle: &str, assistant_id| {
        let input = NewMember {
            kind: MemberKind::Agent,
            user_id: None,
            handle: handle.into(),
            display_name: None,
            assistant_id,
        };
        Member::new(project.id, input, now).unwrap()
    };
    let (with, without) = (agent("worker", Some(assistant.id)), agent("account", None));
    for member in [&with, &without] {
        store.add_member(member, &[]).await.unwrap();
    }
    Cast {
        agent: with.id,
        account: without.id,
        person,
    }
}

async fn the_store_claims_what_the_scheduling_rule_chooses(store: Store) {
    let (project, person, _) = project(&store, "SC").await;
    let cast = cast(&store, &project, person.id).await;
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let runtime = tokio::runtime::Handle::current();
    let exact = std::cell::Cell::new(0_u32);
    let outcome = runner.run(&case(), |case| {
        let run = run(&store, &project, &cast, &case);
        let compared = tokio::task::block_in_place(|| runtime.block_on(run))?;
        exact.set(exact.get() + compared);
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    // Two claims a case: most must have met the rule's full statement.
    assert!(
        exact.get() >= CASES,
        "only {} exact comparisons",
        exact.get()
    );
}

/// One case: its tasks stored as generated, then two claims, each compared
/// with the rule's choice; how many were compared exactly (every ready task
/// within the window).
async fn run(
    store: &Store,
    project: &Project,
    cast: &Cast,
    case: &Case,
) -> Result<u32, TestCaseError> {
    // Earlier cases' tasks (of a failed case too, when shrinking) are over
    // and no longer count: neither ready nor running.
    update(
        store,
        Query::update().value(Alias::new("status"), "cancelled"),
    )
    .await;
    let now = utc_now().duration_trunc(TimeDelta::seconds(1)).unwrap();
    let mut facts = Vec::new();
    let mut waits_for = HashMap::new();
    for specs in &case.plans {
        let (plan_facts, deps) = store_plan(store, project, cast, specs, now).await;
        facts.extend(plan_facts);
        waits_for.extend(deps);
    }
    for spec in &case.loose {
        let (task, _) = new_task(project, "outside any plan");
        store.create_task(&task, &[]).await.unwrap();
        facts.push(store_facts(store, cast, task.id(), None, spec, 0, now).await);
    }
    let mut exact = 0;
    let mut held = Vec::new();
    for limit in [case.limits.0, case.limits.1] {
        let claims = store
            .claim("w1", limit, now, now + TimeDelta::seconds(30))
            .await
            .unwrap();
        held.extend(claims.iter().cloned());
        for claim in &claims {
            prop_assert_eq!(claim.task.record().status, TaskStatus::InProgress);
        }
        let mut claimed: Vec<TaskId> = claims.iter().map(|c| c.task.id()).collect();
        claimed.sort_unstable();
        let ready = ready(&facts, now);
        let mut expected = if ready.len() <= schedule::window(limit) {
            exact += 1;
            schedule::claim(&facts, now, limit)
        } else {
            let took: Vec<Candidate> = ready
                .into_iter()
                .filter(|c| claimed.binary_search(&c.id).is_ok())
                .collect();
            prop_assert!(!claimed.is_empty(), "nothing claimed of what is ready");
            schedule::choose(&took, limit)
        };
        expected.sort_unstable();
        prop_assert_eq!(&claimed, &expected, "limit {}", limit);
        for task in facts.iter_mut().filter(|t| expected.contains(&t.id)) {
            task.claim();
        }
    }
    if let Some(first) = held.iter().min_by_key(|c| c.task.id()) {
        exact +=
            settle_then_claim(store, first, &mut facts, &waits_for, case.limits.0, now).await?;
    }
    Ok(exact)
}

/// A held task done, with the claim its settlement makes within its plan,
/// compared with the rule's choice among that plan's tasks; 1 when compared
/// exactly.
async fn settle_then_claim(
    store: &Store,
    held: &Claim,
    facts: &mut [TaskFacts],
    waits_for: &HashMap<TaskId, Vec<TaskId>>,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<u32, TestCaseError> {
    let mut task = held.task.clone();
    let events = task
        .complete(TaskResult::default(), now)
        .unwrap()
        .events
        .into_iter()
        .map(|k| Event::in_project(task.project_id(), None, Some(task.id()), k, now).unwrap())
        .collect();
    let done = task.id();
    let plan = task.execution().map(|e| e.plan_id);
    let settlement = Settlement {
        task,
        fence: held.fence,
        events,
        retry_at: None,
        expired: false,
    };
    let then = ClaimRequest {
        worker: "w2".into(),
        limit,
        lease_until: now + TimeDelta::seconds(30),
    };
    let (written, claims) = store
        .settle_and_claim(&[settlement], now, &then)
        .await
        .unwrap();
    prop_assert_eq!(written, vec![true]);
    for task in facts.iter_mut() {
        if task.id == done {
            task.status = TaskStatus::Done;
        } else if waits_for
            .get(&task.id)
            .is_some_and(|deps| deps.contains(&done))
        {
            task.open_dependencies -= 1;
        }
    }
    let in_plan: Vec<TaskFacts> = facts.iter().filter(|t| t.plan == plan).cloned().collect();
    let mut claimed: Vec<TaskId> = claims.iter().map(|c| c.task.id()).collect();
    claimed.sort_unstable();
    let ready = ready(&in_plan, now);
    let (mut expected, exact) = if ready.len() <= schedule::window(limit) {
        (schedule::claim(&in_plan, now, limit), 1)
    } else {
        let took: Vec<Candidate> = ready
            .into_iter()
            .filter(|c| claimed.binary_search(&c.id).is_ok())
            .collect();
        (schedule::choose(&took, limit), 0)
    };
    expected.sort_unstable();
    prop_assert_eq!(&claimed, &expected, "settled, then limit {}", limit);
    Ok(exact)
}

/// The tasks the rule finds ready in the picture.
fn ready(facts: &[TaskFacts], now: DateTime<Utc>) -> Vec<Candidate> {
    let running = Running::per_plan(facts);
    facts
        .iter()
        .filter_map(|task| {
            let plan = task.plan?;
            let here = running.get(&plan).copied().unwrap_or_default();
            schedule::is_ready(task, here, now).then_some(Candidate {
                id: task.id,
                plan,
                can_parallel: task.can_parallel,
            })
        })
        .collect()
}

/// Stores a plan of tasks as `specs` generate them; their facts, and what
/// each waits for.
async fn store_plan(
    store: &Store,
    project: &Project,
    cast: &Cast,
    specs: &[Spec],
    now: DateTime<Utc>,
) -> (Vec<TaskFacts>, HashMap<TaskId, Vec<TaskId>>) {
    let name = |i: usize| format!("t{i}");
    // Each task depends on earlier ones only, so the graph has no cycle.
    let depends_on: Vec<Vec<usize>> = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            // The first task has none before it to depend on.
            let mut deps: Vec<usize> = if i == 0 {
                Vec::new()
            } else {
                spec.depends_on.iter().map(|d| d.index(i)).collect()
            };
            deps.sort_unstable();
            deps.dedup();
            deps
        })
        .collect();
    let tasks = depends_on
        .iter()
        .enumerate()
        .map(|(i, deps)| PlannedTask {
            id: name(i),
            title: name(i),
            agent_type: Some("Worker".into()),
            depends_on: deps.iter().map(|&d| name(d)).collect(),
            ..PlannedTask::default()
        })
        .collect();
    let draft = PlanDraft {
        goal: "a random picture".into(),
        thread_id: None,
        tasks,
    };
    let (plan, _) = draft.build(project.id, None, utc_now()).unwrap();
    store.create_plan(&plan, &[]).await.unwrap();
    // The plan holds its tasks in dependency order: find each by its name.
    let ids: Vec<TaskId> = (0..specs.len())
        .map(|i| {
            let named = |t: &&agentry_domain::tracker::NewTask| {
                t.record()
                    .execution
                    .as_ref()
                    .is_some_and(|e| e.client_id == name(i))
            };
            plan.tasks.iter().find(named).unwrap().id()
        })
        .collect();
    let mut facts = Vec::new();
    for ((id, spec), deps) in ids.iter().zip(specs).zip(&depends_on) {
        let open = deps
            .iter()
            .filter(|&&d| specs[d].status != TaskStatus::Done)
            .count();
        let open = u32::try_from(open).unwrap();
        facts.push(store_facts(store, cast, *id, Some(&plan), spec, open, now).await);
    }
    let waits_for = depends_on
        .iter()
        .enumerate()
        .map(|(i, deps)| (ids[i], deps.iter().map(|&d| ids[d]).collect()))
        .collect();
    (facts, waits_for)
}

/// Writes the facts `spec` generates over the stored task's own; those facts.
async fn store_facts(
    store: &Store,
    cast: &Cast,
    id: TaskId,
    plan: Option<&agentry_domain::planning::NewPlan>,
    spec: &Spec,
    open_dependencies: u32,
    now: DateTime<Utc>,
) -> TaskFacts {
    let not_before = match spec.due {
        Due::Anytime => None,
        Due::Past => Some(now - TimeDelta::minutes(5)),
        Due::Now => Some(now),
        Due::Later => Some(now + TimeDelta::minutes(5)),
    };
    let (agent_type, assignee) = match spec.runner {
        Runner::AgentType => (Some("Worker"), None),
        Runner::AgentMember => (None, Some((cast.agent, MemberKind::Agent, true))),
        Runner::AccountMember => (None, Some((cast.account, MemberKind::Agent, false))),
        Runner::Person => (None, Some((cast.person, MemberKind::Human, false))),
        Runner::Nobody => (None, None),
    };
    // Tasks outside plans keep no count of open dependencies.
    let deps_open = plan.map(|_| i32::try_from(open_dependencies).unwrap());
    update(
        store,
        Query::update()
            .value(Alias::new("status"), spec.status.as_str())
            .value(Alias::new("deps_open"), deps_open)
            .value(Alias::new("not_before"), not_before)
            .value(Alias::new("agent_type"), agent_type)
            .value(Alias::new("assignee_id"), assignee.map(|(m, _, _)| m.0))
            .value(Alias::new("can_parallel"), spec.can_parallel)
            .and_where(Expr::col(Alias::new("id")).eq(id.0)),
    )
    .await;
    TaskFacts {
        id,
        plan: plan.map(|p| p.plan.id),
        status: spec.status,
        open_dependencies,
        not_before,
        agent_type: agent_type.is_some(),
        assignee: assignee.map(|(_, kind, has_assistant)| AssigneeFacts {
            kind,
            has_assistant,
        }),
        can_parallel: spec.can_parallel,
    }
}

/// Runs an update of the `tasks` table, as a test arranges a picture no
/// sequence of use cases would reach quickly.
async fn update(store: &Store, statement: &mut sea_orm::sea_query::UpdateStatement) {
    let statement = statement.table(Alias::new("tasks")).to_owned();
    store.connection().execute(&statement).await.unwrap();
}
