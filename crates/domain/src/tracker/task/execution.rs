//! A plan task's execution state and the engine's moves: start, report progress,
//! complete, fail an attempt (retry or give up), skip, cancel, reopen. Each move
//! checks the status machine and returns the `task_status` events it implies; the
//! agent events around it are the planning context's.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::super::TaskStatus;
use super::super::events::{TaskStatusChanged, TrackerEvent};
use super::{Changes, Task};
use crate::id::{PlanId, TaskId};
use crate::shape::described_struct;
use crate::{Error, Result};

/// What a plan task holds beside the tracker's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    pub plan_id: PlanId,
    /// The id the plan's author gave the task (`depends_on` names these).
    pub client_id: String,
    /// The registry assistant that runs the task when no agent is assigned.
    pub agent_type: Option<String>,
    pub depends_on: Vec<TaskId>,
    /// `false`: nothing else of the plan runs while this task does.
    pub can_parallel: bool,
    /// 0–100.
    pub progress: u8,
    /// Attempts that failed and were retried.
    pub retry_count: u32,
    pub max_retries: u32,
    pub error_message: Option<String>,
    pub result: Option<TaskResult>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

described_struct! {
    /// What a finished task produced.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TaskResult as "TaskResult" {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub summary: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub output_file: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub preview_url: Option<String>,
    }
}

impl TaskResult {
    const FIELD_MAX: usize = 4_000;

    /// Trims each field and bounds it.
    ///
    /// # Errors
    /// `Validation` naming an overlong field.
    pub fn check(self) -> Result<Self> {
        let field = |name, v: Option<String>| {
            v.map(|v| crate::text::bounded(name, &v, Self::FIELD_MAX))
                .transpose()
        };
        Ok(Self {
            summary: field("result.summary", self.summary)?,
            output_file: field("result.output_file", self.output_file)?,
            preview_url: field("result.preview_url", self.preview_url)?,
        })
    }
}

/// How a failed attempt ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailedAttempt {
    /// The task waits in `retrying` for its next attempt (the `n`-th retry).
    Retry(u32),
    /// Retries are spent: the task is `failed`.
    GaveUp,
}

impl Task {
    /// A new task of a plan, under the id its plan gave it, starting `pending`.
    ///
    /// # Errors
    /// As [`Task::create`].
    pub fn create_planned(
        project_id: crate::id::ProjectId,
        id: TaskId,
        draft: super::TaskDraft,
        execution: Execution,
        now: DateTime<Utc>,
    ) -> Result<(super::NewTask, Vec<TrackerEvent>)> {
        let (mut task, events) = Self::create(project_id, draft, now)?;
        task.0.id = id;
        task.0.execution = Some(execution);
        Ok((task, events))
    }

    /// The execution state, for a task of a plan.
    #[must_use]
    pub fn execution(&self) -> Option<&Execution> {
        self.0.execution.as_ref()
    }

    fn execution_mut(&mut self) -> Result<&mut Execution> {
        self.0
            .execution
            .as_mut()
            .ok_or_else(|| Error::validation("task", "belongs to no plan"))
    }

    /// Moves to `to` through the state machine, as one `task_status` event.
    fn move_to(&mut self, to: TaskStatus, events: &mut Vec<TrackerEvent>) -> Result<()> {
        let from = self.0.status;
        from.check_transition(to)?;
        self.0.status = to;
        events.push(TrackerEvent::TaskStatus(TaskStatusChanged { from, to }));
        Ok(())
    }

    fn finish(&mut self, events: Vec<TrackerEvent>, now: DateTime<Utc>) -> Changes {
        self.touch(
            Changes {
                events,
                rows: Vec::new(),
            },
            now,
        )
    }

    /// An attempt begins: `pending` or `retrying` → `in_progress`.
    ///
    /// # Errors
    /// `InvalidTransition` from any other status; `Validation` outside a plan.
    pub fn start(&mut self, now: DateTime<Utc>) -> Result<Changes> {
        let mut events = Vec::new();
        self.execution_mut()?;
        self.move_to(TaskStatus::InProgress, &mut events)?;
        let execution = self.execution_mut()?;
        execution.started_at.get_or_insert(now);
        execution.error_message = None;
        Ok(self.finish(events, now))
    }

    /// The running attempt reports how far it is (clamped to 0–100).
    ///
    /// # Errors
    /// `Validation` unless the task is in progress.
    pub fn report_progress(&mut self, progress: i64, now: DateTime<Utc>) -> Result<Changes> {
        if self.0.status != TaskStatus::InProgress {
            return Err(Error::validation("task", "is not running"));
        }
        let progress = u8::try_from(progress.clamp(0, 100)).unwrap_or(100);
        self.execution_mut()?.progress = progress;
        self.0.version += 1;
        self.0.updated_at = now;
        Ok(Changes::default())
    }

    /// The attempt succeeded: `in_progress` → `done`, with its result.
    ///
    /// # Errors
    /// `InvalidTransition` unless the task is in progress.
    pub fn complete(&mut self, result: TaskResult, now: DateTime<Utc>) -> Result<Changes> {
        let mut events = Vec::new();
        self.execution_mut()?;
        self.move_to(TaskStatus::Done, &mut events)?;
        let execution = self.execution_mut()?;
        execution.progress = 100;
        execution.result = Some(result);
        execution.error_message = None;
        execution.completed_at = Some(now);
        Ok(self.finish(events, now))
    }

    /// The attempt is given back unfinished (its worker stops): `in_progress`
    /// → `pending`, no retry spent.
    ///
    /// # Errors
    /// `InvalidTransition` unless the task is in progress.
    pub fn release(&mut self, now: DateTime<Utc>) -> Result<Changes> {
        let mut events = Vec::new();
        self.execution_mut()?;
        self.move_to(TaskStatus::Pending, &mut events)?;
        Ok(self.finish(events, now))
    }

    /// The attempt failed: `retrying` while retries remain, else `failed`.
    ///
    /// # Errors
    /// `InvalidTransition` unless the task is in progress.
    pub fn fail_attempt(
        &mut self,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(Changes, FailedAttempt)> {
        let execution = self.execution_mut()?;
        let outcome = if execution.retry_count < execution.max_retries {
            FailedAttempt::Retry(execution.retry_count + 1)
        } else {
            FailedAttempt::GaveUp
        };
        let mut events = Vec::new();
        match outcome {
            FailedAttempt::Retry(n) => {
                self.move_to(TaskStatus::Retrying, &mut events)?;
                self.execution_mut()?.retry_count = n;
            }
            FailedAttempt::GaveUp => {
                self.move_to(TaskStatus::Failed, &mut events)?;
                self.execution_mut()?.completed_at = Some(now);
            }
        }
        self.execution_mut()?.error_message = Some(clip(error, 2_000));
        Ok((self.finish(events, now), outcome))
    }

    /// The task will not run (a dependency failed, or someone skipped it).
    ///
    /// # Errors
    /// `InvalidTransition` from a status that cannot be skipped.
    pub fn skip(&mut self, now: DateTime<Utc>) -> Result<Changes> {
        let mut events = Vec::new();
        if self.0.status == TaskStatus::Retrying {
            self.move_to(TaskStatus::Pending, &mut events)?;
        }
        self.move_to(TaskStatus::Skipped, &mut events)?;
        Ok(self.finish(events, now))
    }

    /// The plan was aborted: any open status → `cancelled`; a finished task stays.
    pub fn cancel_open(&mut self, now: DateTime<Utc>) -> Changes {
        let mut events = Vec::new();
        if !self.0.status.is_terminal() && self.move_to(TaskStatus::Cancelled, &mut events).is_ok()
        {
            return self.finish(events, now);
        }
        Changes::default()
    }

    /// A failed, skipped or cancelled task gets another chance: back to `pending`
    /// with its retries reset.
    ///
    /// # Errors
    /// `InvalidTransition` from a status that cannot reopen.
    pub fn reopen(&mut self, now: DateTime<Utc>) -> Result<Changes> {
        let mut events = Vec::new();
        self.execution_mut()?;
        self.move_to(TaskStatus::Pending, &mut events)?;
        let execution = self.execution_mut()?;
        execution.retry_count = 0;
        execution.progress = 0;
        execution.error_message = None;
        execution.result = None;
        execution.completed_at = None;
        Ok(self.finish(events, now))
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
/// NUL characters are dropped: no database stores them in text.
pub(crate) fn clip(text: &str, max: usize) -> String {
    let text = text.replace('\0', "");
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
