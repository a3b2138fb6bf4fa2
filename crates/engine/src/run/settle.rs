//! How an attempt ends: done, failed (retried after backoff, or for good), or
//! given back by a stopping worker; each written under the attempt's fence.

use agentry_domain::Error;
use agentry_domain::event::Event;
use agentry_domain::id::{EventId, MemberId, TaskId};
use agentry_domain::planning::{
    AgentCompleted, AgentEvent, AgentFailed, ReplySent, Settlement, recorded_text,
};
use agentry_domain::tracker::{FailedAttempt, Task, TaskResult, TaskStatus, TrackerEvent};
use chrono::{DateTime, Utc};

use super::Attempt;
use crate::Backoff;

/// A failed attempt of `task`: its move (`retrying` with the time the retry
/// falls due, or `failed`) and its events, `task_status` then `agent.failed`
/// (under `agent`, by `actor`). For a run's own failure and for a lease the
/// reaper finds expired alike.
pub(crate) fn failure(
    backoff: &Backoff,
    task: &mut Task,
    error: &str,
    agent: Option<EventId>,
    actor: Option<MemberId>,
    now: DateTime<Utc>,
) -> Result<(Vec<Event>, Option<DateTime<Utc>>), Error> {
    let (changes, outcome) = task.fail_attempt(error, now)?;
    let retry_at = match outcome {
        FailedAttempt::Retry(n) => Some(now + backoff.delay(n)),
        FailedAttempt::GaveUp => None,
    };
    let mut events = task_events(task.project_id(), task.id(), actor, changes.events, now)?;
    events.push(Event::build(
        Some(task.project_id()),
        actor,
        Some(task.id()),
        agent,
        AgentEvent::AgentFailed(AgentFailed {
            error: recorded_text(error),
            retrying: retry_at.is_some(),
        }),
        now,
    )?);
    Ok((events, retry_at))
}

/// The tracker's events of a task's move: by the member whose attempt ended
/// it, or by the system (`None`) when no attempt did (a worker giving its
/// task back as it stops).
fn task_events(
    project: agentry_domain::id::ProjectId,
    task: TaskId,
    actor: Option<MemberId>,
    kinds: Vec<TrackerEvent>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, Error> {
    kinds
        .into_iter()
        .map(|kind| Event::in_project(project, actor, Some(task), kind, now))
        .collect()
}

impl Attempt<'_> {
    pub(super) async fn settle_done(&mut self, content: String) -> Result<(), Error> {
        let now = self.now();
        let result = self.result.take().unwrap_or_else(|| TaskResult {
            summary: Some(recorded_text(&content)),
            ..TaskResult::default()
        });
        let mut events: Vec<Event> = self.last_turn.take().into_iter().collect();
        // A run that ended with `complete_task` may have said nothing besides:
        // its reply is then the completion's summary, and there is no empty
        // reply to write.
        let reply = if content.trim().is_empty() {
            result.summary.clone().unwrap_or_default()
        } else {
            recorded_text(&content)
        };
        if !reply.trim().is_empty() {
            events.push(self.event(
                self.agent,
                AgentEvent::ReplySent(ReplySent { content: reply }),
            )?);
        }
        let changes = self.task.complete(result.clone(), now)?;
        events.extend(task_events(
            self.task.project_id(),
            self.task.id(),
            self.actor,
            changes.events,
            now,
        )?);
        events.push(self.event(
            self.agent,
            AgentEvent::AgentCompleted(AgentCompleted { result }),
        )?);
        self.settle(events, None).await
    }

    /// The worker stops: the task goes back to wait, its attempt not counted.
    pub(super) async fn settle_released(&mut self) -> Result<(), Error> {
        let now = self.now();
        let changes = self.task.release(now)?;
        let mut events = task_events(
            self.task.project_id(),
            self.task.id(),
            None,
            changes.events,
            now,
        )?;
        events.push(self.event(
            self.agent,
            AgentEvent::AgentFailed(AgentFailed {
                error: "the worker stopped; the task waits for another".into(),
                retrying: true,
            }),
        )?);
        self.settle(events, None).await
    }

    pub(super) async fn settle_failed(&mut self, error: &str) -> Result<(), Error> {
        let now = self.now();
        let (events, retry_at) = failure(
            &self.context.config.backoff,
            &mut self.task,
            error,
            self.agent,
            self.actor,
            now,
        )?;
        self.settle(events, retry_at).await
    }

    /// Writes the task as it now stands, under this attempt's fence.
    pub(crate) async fn settle(
        &mut self,
        events: Vec<Event>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), Error> {
        let mut all = std::mem::take(&mut self.unwritten);
        all.extend(events);
        let settlement = Settlement {
            task: self.task.clone(),
            fence: self.fence,
            events: all,
            retry_at,
            expired: false,
        };
        // The settlement that ends the run hands its slot on.
        let slot = if self.task.record().status == TaskStatus::InProgress {
            None
        } else {
            self.slot.take()
        };
        let written = self.context.settler.settle(settlement, slot).await?;
        if !written {
            return Err(Error::Conflict("the task's lease was lost".into()));
        }
        Ok(())
    }
}
