//! Plans' request and response bodies: a plan's tasks are named by the ids their
//! author gave them, beside each task's id in the tracker.

use std::collections::HashMap;

use agentry_domain::id::{AssistantThreadId, MemberId, TaskId};
use agentry_domain::planning::{
    Plan, PlanDraft, PlanStatus, PlanUsage, PlanView, PlannedTask, UsageLine, UsageTotals,
};
use agentry_domain::tracker::{Priority, TaskResult, TaskStatus};
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use crate::common::text::Text;
use crate::common::wire::Wire;

/// A plan to run: a goal and its tasks, which name each other in `depends_on`
/// by the `id`s given here. Checked as a whole: unknown or duplicate ids and
/// cycles answer 422 naming the problem, and nothing is written.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreatePlanIn {
    pub project_id: Uuid,
    pub goal: Text,
    /// The user–assistant thread the plan came from.
    pub session_id: Option<Uuid>,
    /// 1–1,000 tasks.
    pub tasks: Vec<PlanTaskIn>,
}

/// A goal for the project's secretary assistant to turn into a plan.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct GeneratePlanIn {
    pub project_id: Uuid,
    /// What the plan should achieve (1–10,000 characters).
    pub goal: Text,
    /// The user–assistant thread the goal comes from.
    pub session_id: Option<Uuid>,
}

/// One task of a new plan. It runs once every task it depends on is done,
/// by the agent it is assigned to, else by the registry assistant named by
/// `agent_type`; a task with neither is for people.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PlanTaskIn {
    /// The task's id within the plan (1–64 characters).
    pub id: Text,
    pub title: Text,
    #[oai(default)]
    pub description: Text,
    /// An assistant's name, e.g. `Interview`, `Generation`, `Refinement`,
    /// `Validator`, `Export`.
    pub agent_type: Option<Text>,
    /// A member of the project (an agent member runs the task with its assistant).
    pub assignee_id: Option<Uuid>,
    /// Ids of tasks of this plan (at most 100).
    #[oai(default)]
    pub depends_on: Vec<Text>,
    /// `false`: nothing else of the plan runs while this task does. Default `true`.
    pub can_parallel: Option<bool>,
    /// Failed attempts retried before the task fails: 0–10, 2 by default.
    pub max_retries: Option<u32>,
    pub priority: Option<Wire<Priority>>,
}

impl From<CreatePlanIn> for PlanDraft {
    fn from(body: CreatePlanIn) -> Self {
        Self {
            goal: body.goal.into(),
            thread_id: body.session_id.map(AssistantThreadId),
            tasks: body
                .tasks
                .into_iter()
                .map(|t| PlannedTask {
                    id: t.id.into(),
                    title: t.title.into(),
                    description: t.description.into(),
                    agent_type: t.agent_type.map(Into::into),
                    assignee_id: t.assignee_id.map(MemberId),
                    depends_on: t.depends_on.into_iter().map(Into::into).collect(),
                    can_parallel: t.can_parallel.unwrap_or(true),
                    max_retries: t.max_retries,
                    priority: t.priority.map_or_else(Priority::default, |p| p.0),
                })
                .collect(),
        }
    }
}

/// What a finished task produced.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TaskResultOut {
    pub summary: Option<String>,
    pub output_file: Option<String>,
    pub preview_url: Option<String>,
}

impl From<&TaskResult> for TaskResultOut {
    fn from(r: &TaskResult) -> Self {
        Self {
            summary: r.summary.clone(),
            output_file: r.output_file.clone(),
            preview_url: r.preview_url.clone(),
        }
    }
}

/// A task of a plan, with its place in the tracker.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PlanTaskOut {
    /// The id the plan gave the task.
    pub id: String,
    /// The task in the tracker (`/api/v1/tasks/{task_id}`, its feed, its board card).
    pub task_id: Uuid,
    /// The tracker's key, such as `TE-4`.
    pub key: String,
    pub title: String,
    pub description: String,
    pub agent_type: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub status: Wire<TaskStatus>,
    /// 0–100.
    pub progress: i64,
    /// Ids (as given in the plan) of the tasks this one waits for.
    pub depends_on: Vec<String>,
    pub can_parallel: bool,
    pub retry_count: i64,
    pub max_retries: i64,
    pub error_message: Option<String>,
    pub result: Option<TaskResultOut>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub version: i64,
}

/// A plan with its tasks; `status` is derived from theirs and changes with them.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PlanOut {
    pub id: Uuid,
    pub project_id: Uuid,
    /// The thread the plan came from; absent for a plan submitted directly.
    pub session_id: Option<Uuid>,
    pub goal: String,
    pub status: Wire<PlanStatus>,
    /// The member who submitted it; absent for an admin outside the project.
    pub created_by: Option<Uuid>,
    /// Why agent tasks are not running, when this server knows they cannot.
    pub waiting_reason: Option<String>,
    /// In dependency order (each task after those it depends on).
    pub tasks: Vec<PlanTaskOut>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PlanOut {
    pub fn new(view: &PlanView, engine_note: Option<&str>) -> Self {
        let names: HashMap<TaskId, String> = view
            .tasks
            .iter()
            .filter_map(|t| Some((t.task.id(), t.task.execution()?.client_id.clone())))
            .collect();
        let tasks: Vec<PlanTaskOut> = view
            .tasks
            .iter()
            .filter_map(|v| {
                let t = v.task.record();
                let e = t.execution.as_ref()?;
                Some(PlanTaskOut {
                    id: e.client_id.clone(),
                    task_id: t.id.0,
                    key: v.key.clone(),
                    title: t.title.clone(),
                    description: t.description.clone(),
                    agent_type: e.agent_type.clone(),
                    assignee_id: t.assignee_id.map(|a| a.0),
                    status: t.status.into(),
                    progress: i64::from(e.progress),
                    depends_on: e
                        .depends_on
                        .iter()
                        .filter_map(|d| names.get(d).cloned())
                        .collect(),
                    can_parallel: e.can_parallel,
                    retry_count: i64::from(e.retry_count),
                    max_retries: i64::from(e.max_retries),
                    error_message: e.error_message.clone(),
                    result: e.result.as_ref().map(TaskResultOut::from),
                    started_at: e.started_at,
                    completed_at: e.completed_at,
                    version: t.version,
                })
            })
            .collect();
        let waiting = !view.plan.status.is_final()
            && view.tasks.iter().any(|t| {
                matches!(
                    t.task.record().status,
                    TaskStatus::Pending | TaskStatus::Retrying
                )
            });
        let p = &view.plan;
        Self {
            id: p.id.0,
            project_id: p.project_id.0,
            session_id: p.thread_id.map(|t| t.0),
            goal: p.goal.clone(),
            status: p.status.into(),
            created_by: p.created_by.map(|m| m.0),
            waiting_reason: engine_note.filter(|_| waiting).map(str::to_owned),
            tasks,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A plan without its tasks, as listed.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PlanSummaryOut {
    pub id: Uuid,
    pub project_id: Uuid,
    pub session_id: Option<Uuid>,
    pub goal: String,
    pub status: Wire<PlanStatus>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Plan> for PlanSummaryOut {
    fn from(p: Plan) -> Self {
        Self {
            id: p.id.0,
            project_id: p.project_id.0,
            session_id: p.thread_id.map(|t| t.0),
            goal: p.goal,
            status: p.status.into(),
            created_by: p.created_by.map(|m| m.0),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A page of a project's plans, newest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PlanPageOut {
    pub plans: Vec<PlanSummaryOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Tokens summed over some model turns.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UsageTotalsOut {
    pub turns: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Estimated cost in US dollars, from the configured per-model prices;
    /// absent when a model of these turns has no price.
    pub cost_usd: Option<f64>,
}

impl From<&UsageTotals> for UsageTotalsOut {
    fn from(t: &UsageTotals) -> Self {
        Self {
            turns: t.turns,
            input_tokens: t.input_tokens,
            output_tokens: t.output_tokens,
            cost_usd: t.cost_usd,
        }
    }
}

/// One line of a breakdown.
#[derive(Debug, Object)]
pub struct UsageLineOut {
    /// A model, a task key (`TE-4`) or an assistant's name.
    pub key: String,
    pub totals: UsageTotalsOut,
}

fn lines(lines: &[UsageLine]) -> Vec<UsageLineOut> {
    lines
        .iter()
        .map(|l| UsageLineOut {
            key: l.key.clone(),
            totals: (&l.totals).into(),
        })
        .collect()
}

/// A plan's usage, summed from its `turn.completed` events.
#[derive(Debug, Object)]
pub struct PlanUsageOut {
    pub totals: UsageTotalsOut,
    pub by_model: Vec<UsageLineOut>,
    pub by_task: Vec<UsageLineOut>,
    /// Sub-assistants under their own names.
    pub by_assistant: Vec<UsageLineOut>,
}

impl From<&PlanUsage> for PlanUsageOut {
    fn from(u: &PlanUsage) -> Self {
        Self {
            totals: (&u.totals).into(),
            by_model: lines(&u.by_model),
            by_task: lines(&u.by_task),
            by_assistant: lines(&u.by_assistant),
        }
    }
}
