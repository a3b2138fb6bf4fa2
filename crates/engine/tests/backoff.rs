//! A failed attempt waits out its backoff, on tokio's paused time: the worker
//! sleeps until the retry falls due (not a poll later, and never sooner), and a
//! one-minute backoff passes in no real time. The work queue is an in-memory
//! double with the store's contract for one task, so nothing but timers can
//! move time on.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use agentry_domain::clock::Clock;
use agentry_domain::id::{ProjectId, TaskId};
use agentry_domain::planning::{
    Claim, ClaimRequest, ModelClient, ModelReply, ModelRequest, OnDelta, PlanDraft, PlannedTask,
    Settlement, WorkQueue,
};
use agentry_domain::registry::{MockAssistantRepo, MockRevisionRepo};
use agentry_domain::tracker::{Task, TaskStatus};
use agentry_domain::{Error, Limits, Ports, Result, Services};
use agentry_engine::{Backoff, Engine, EngineConfig, NoTools};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::Notify;

const BACKOFF: Duration = Duration::from_secs(60);

/// Wall time as tokio's clock moves it.
struct TokioClock {
    start: tokio::time::Instant,
    at: DateTime<Utc>,
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        self.at + TimeDelta::from_std(self.start.elapsed()).unwrap_or_default()
    }
}

/// One task, claimable while pending or once its retry is due.
struct OneTask {
    state: Mutex<State>,
    wake: Notify,
}

struct State {
    task: Task,
    fence: i64,
    due: Option<DateTime<Utc>>,
    claims: Vec<DateTime<Utc>>,
    settled: Vec<Settlement>,
}

impl OneTask {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl WorkQueue for OneTask {
    async fn claim(
        &self,
        _worker: &str,
        limit: usize,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<Claim>> {
        let mut state = self.state();
        let waiting = matches!(
            state.task.record().status,
            TaskStatus::Pending | TaskStatus::Retrying
        );
        if limit == 0 || !waiting || state.due.is_some_and(|due| now < due) {
            return Ok(Vec::new());
        }
        let mut task = state.task.clone();
        let _ = task.start(now)?;
        state.task = task.clone();
        state.fence += 1;
        state.claims.push(now);
        Ok(vec![Claim {
            task,
            fence: state.fence,
            lease_until,
        }])
    }

    async fn heartbeat(
        &self,
        _held: &[(TaskId, i64)],
        _now: DateTime<Utc>,
        _lease_until: DateTime<Utc>,
    ) -> Result<Vec<TaskId>> {
        Ok(Vec::new())
    }

    async fn still_held(
        &self,
        _held: &[(TaskId, i64)],
        _now: DateTime<Utc>,
    ) -> Result<Vec<TaskId>> {
        Ok(Vec::new())
    }

    async fn settle(&self, settlements: &[Settlement], _now: DateTime<Utc>) -> Result<Vec<bool>> {
        let mut state = self.state();
        for s in settlements {
            state.task = s.task.clone();
            state.due = s.retry_at;
            state.settled.push(s.clone());
        }
        // As the store does: a scheduled retry wakes the worker, to time it.
        self.wake.notify_one();
        Ok(vec![true; settlements.len()])
    }

    async fn settle_and_claim(
        &self,
        settlements: &[Settlement],
        now: DateTime<Utc>,
        _then: &ClaimRequest,
    ) -> Result<(Vec<bool>, Vec<Claim>)> {
        Ok((self.settle(settlements, now).await?, Vec::new()))
    }

    async fn expired(&self, _now: DateTime<Utc>, _limit: usize) -> Result<Vec<Claim>> {
        Ok(Vec::new())
    }

    async fn wait_for_work(&self, at_most: Duration) {
        let _ = tokio::time::timeout(at_most, self.wake.notified()).await;
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let state = self.state();
        Ok(state
            .due
            .filter(|_| state.task.record().status == TaskStatus::Retrying))
    }
}

/// Never asked: the task's assistant does not exist, so every attempt fails
/// before its first turn.
struct Unreachable;

#[async_trait]
impl ModelClient for Unreachable {
    async fn complete(&self, _: &ModelRequest, _: Option<&OnDelta>) -> Result<ModelReply> {
        Err(Error::internal("no turn was expected"))
    }
}

fn ports(queue: Arc<OneTask>, clock: Arc<dyn Clock>) -> Ports {
    use agentry_domain::{log, operations, planning, registry, squads, tracker, workspace};
    let mut revisions = MockRevisionRepo::new();
    revisions.expect_known_revision().return_const(1_i64);
    let mut assistants = MockAssistantRepo::new();
    assistants
        .expect_list_assistants()
        .returning(|_| Ok(Vec::new()));
    Ports {
        workspace: workspace::Ports {
            users: Arc::new(workspace::MockUserRepo::new()),
            projects: Arc::new(workspace::MockProjectRepo::new()),
            clock: clock.clone(),
        },
        tracker: tracker::Ports {
            tasks: Arc::new(tracker::MockTaskRepo::new()),
            links: Arc::new(tracker::MockTaskLinkRepo::new()),
            labels: Arc::new(tracker::MockLabelRepo::new()),
            clock: clock.clone(),
        },
        log: log::Ports {
            events: Arc::new(log::MockEventRepo::new()),
            attachments: Arc::new(log::MockAttachmentRepo::new()),
            blobs: Arc::new(log::MockBlobStore::new()),
            clock: clock.clone(),
        },
        registry: registry::Ports {
            assistants: Arc::new(assistants),
            tools: Arc::new(registry::MockToolRepo::new()),
            links: Arc::new(registry::MockToolLinkRepo::new()),
            threads: Arc::new(registry::MockThreadRepo::new()),
            snapshots: Arc::new(registry::MockSnapshotRepo::new()),
            revisions: Arc::new(revisions),
            clock: clock.clone(),
        },
        planning: planning::Ports {
            plans: Arc::new(planning::MockPlanRepo::new()),
            queue,
            clock: clock.clone(),
        },
        operations: operations::Ports {
            channels: Arc::new(operations::MockChannelRepo::new()),
            retention: Arc::new(operations::MockRetentionRepo::new()),
            clock: clock.clone(),
        },
        squads: squads::Ports {
            squads: Arc::new(squads::MockSquadRepo::new()),
            workflows: Arc::new(squads::MockWorkflowRepo::new()),
            sealed: Arc::new(squads::MockSealedRepo::new()),
            templates: Arc::new(squads::MockTemplateRepo::new()),
            sealer: Arc::new(squads::Unkeyed),
            clock,
        },
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_attempt_is_retried_when_its_backoff_falls_due() {
    let clock = Arc::new(TokioClock {
        start: tokio::time::Instant::now(),
        at: agentry_domain::clock::utc_now(),
    });
    let (plan, _) = PlanDraft {
        goal: "retry".into(),
        thread_id: None,
        tasks: vec![PlannedTask {
            id: "a".into(),
            title: "Task a".into(),
            agent_type: Some("Missing".into()),
            max_retries: Some(1),
            ..PlannedTask::default()
        }],
    }
    .build(ProjectId::generate(), None, clock.now())
    .unwrap();
    let task = plan.tasks[0].clone().numbered(1);
    let queue = Arc::new(OneTask {
        state: Mutex::new(State {
            task,
            fence: 0,
            due: None,
            claims: Vec::new(),
            settled: Vec::new(),
        }),
        wake: Notify::new(),
    });
    let ports = ports(queue.clone(), clock.clone());
    let services = Services::new(&ports, Limits::default());
    let config = EngineConfig {
        backoff: Backoff {
            base: BACKOFF,
            max: BACKOFF * 10,
        },
        ..EngineConfig::default()
    };
    let engine = Engine::new(
        ports,
        services,
        Arc::new(Unreachable),
        Arc::new(NoTools),
        config,
        None,
    )
    .start();
    let real = std::time::Instant::now();
    while queue.state().settled.len() < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(
            real.elapsed() < Duration::from_secs(10),
            "the task did not end"
        );
    }
    engine.stop().await;
    let state = queue.state();
    let (first, last) = (&state.settled[0], &state.settled[1]);
    assert_eq!(first.task.record().status, TaskStatus::Retrying);
    assert_eq!(
        last.task.record().status,
        TaskStatus::Failed,
        "no retry left"
    );
    assert!(last.retry_at.is_none());
    assert_eq!(state.claims.len(), 2, "one claim per attempt");
    let due = first.retry_at.expect("a retry has its time");
    let backoff = (due - state.claims[0]).to_std().unwrap();
    assert!(
        (BACKOFF / 2..=BACKOFF + Duration::from_millis(5)).contains(&backoff),
        "backoff {backoff:?}: a point in the upper half of the first step"
    );
    let late = (state.claims[1] - due)
        .to_std()
        .expect("never before it is due");
    assert!(
        late < Duration::from_millis(50),
        "the retry was claimed {late:?} after it fell due"
    );
    assert!(
        real.elapsed() < BACKOFF / 10,
        "the backoff passed in virtual time"
    );
}
