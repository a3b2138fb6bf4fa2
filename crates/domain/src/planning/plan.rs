//! A plan: a goal, the conversation it came from, and its derived status.

use chrono::{DateTime, Utc};

use super::PlanStatus;
use crate::id::{AssistantThreadId, MemberId, PlanId, ProjectId};
use crate::tracker::NewTask;

/// A plan as stored. Its status is derived from its tasks (see
/// [`PlanStatus::derive`]) and rewritten with every change to them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub id: PlanId,
    pub project_id: ProjectId,
    /// The user–assistant thread the plan came from, when it came from one
    /// (`session_id` over HTTP).
    pub thread_id: Option<AssistantThreadId>,
    pub goal: String,
    pub status: PlanStatus,
    /// Set once the plan is aborted; the derived status then stays `aborted`.
    pub aborted: bool,
    /// The member who submitted it; `None` for an admin outside the project.
    pub created_by: Option<MemberId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A checked plan with its tasks in dependency order (every task after the
/// ones it depends on), ready to be stored with its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPlan {
    pub plan: Plan,
    pub tasks: Vec<NewTask>,
}
