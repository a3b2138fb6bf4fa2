//! The tracker's request and response bodies.

use agentry_domain::id::{LabelId, MemberId};
use agentry_domain::tracker::{
    Label, LinkKind, Priority, TaskDraft, TaskLink, TaskPatch, TaskStatus, TaskView,
};
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use uuid::Uuid;

use crate::common::nullable::Nullable;
use crate::common::text::Text;
use crate::common::wire::Wire;

/// A task. `status` and `priority` are of `TaskStatus` and `Priority`.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TaskOut {
    pub id: Uuid,
    pub project_id: Uuid,
    /// The human-readable key, such as `TE-4`.
    pub key: String,
    pub number: i64,
    pub title: String,
    pub description: String,
    pub status: Wire<TaskStatus>,
    pub priority: Wire<Priority>,
    /// Absent while nobody has the task.
    pub assignee_id: Option<Uuid>,
    pub labels: Vec<Uuid>,
    /// The plan the task belongs to (`/api/v1/plans/{plan_id}` has its execution
    /// state); absent for a task outside any plan.
    pub plan_id: Option<Uuid>,
    /// Bumped by every change; also sent as the `ETag`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&TaskView> for TaskOut {
    fn from(v: &TaskView) -> Self {
        let t = v.task.record();
        Self {
            id: t.id.0,
            project_id: t.project_id.0,
            key: v.key.clone(),
            number: t.number,
            title: t.title.clone(),
            description: t.description.clone(),
            status: t.status.into(),
            priority: t.priority.into(),
            assignee_id: t.assignee_id.map(|a| a.0),
            labels: t.labels.iter().map(|l| l.0).collect(),
            plan_id: t.execution.as_ref().map(|e| e.plan_id.0),
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// One page of a project's tasks, by number.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TaskPageOut {
    pub tasks: Vec<TaskOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A new task. `status` is `backlog` (default), `pending` or `in_progress`;
/// `priority` is `medium` by default.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateTaskIn {
    pub title: Text,
    #[oai(default)]
    pub description: Text,
    pub status: Option<Wire<TaskStatus>>,
    pub priority: Option<Wire<Priority>>,
    /// A member of the project.
    pub assignee_id: Option<Uuid>,
    /// Labels of the project.
    #[oai(default)]
    pub labels: Vec<Uuid>,
}

impl From<CreateTaskIn> for TaskDraft {
    fn from(body: CreateTaskIn) -> Self {
        let defaults = TaskDraft::default();
        Self {
            title: body.title.into(),
            description: body.description.into(),
            status: body.status.map_or(defaults.status, |s| s.0),
            priority: body.priority.map_or(defaults.priority, |p| p.0),
            assignee_id: body.assignee_id.map(MemberId),
            labels: body.labels.into_iter().map(LabelId).collect(),
        }
    }
}

/// The fields to change; absent fields stay as they are. A `status` must be an
/// allowed move from the current one (409 `invalid-transition` otherwise).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PatchTaskIn {
    pub title: Option<Text>,
    pub description: Option<Text>,
    pub status: Option<Wire<TaskStatus>>,
    pub priority: Option<Wire<Priority>>,
    /// A member of the project, or `null` to unassign.
    pub assignee_id: Nullable<Uuid>,
}

impl From<PatchTaskIn> for TaskPatch {
    fn from(body: PatchTaskIn) -> Self {
        Self {
            title: body.title.map(Into::into),
            description: body.description.map(Into::into),
            status: body.status.map(|s| s.0),
            priority: body.priority.map(|p| p.0),
            assignee: match body.assignee_id.0 {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(id) => Some(Some(MemberId(id))),
            },
        }
    }
}

#[derive(Debug, Object)]
pub struct LinkOut {
    pub id: Uuid,
    pub source_task_id: Uuid,
    pub target_task_id: Uuid,
    pub kind: Wire<LinkKind>,
    pub created_at: DateTime<Utc>,
}

impl From<&TaskLink> for LinkOut {
    fn from(l: &TaskLink) -> Self {
        Self {
            id: l.id.0,
            source_task_id: l.source_id.0,
            target_task_id: l.target_id.0,
            kind: l.kind.into(),
            created_at: l.created_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct LinksOut {
    /// Links from this task to others.
    pub outgoing: Vec<LinkOut>,
    /// Links from other tasks to this one.
    pub incoming: Vec<LinkOut>,
}

/// A link to another task of the same project.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateLinkIn {
    pub target_task_id: Uuid,
    pub kind: Wire<LinkKind>,
}

#[derive(Debug, Object)]
pub struct LabelOut {
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Label> for LabelOut {
    fn from(l: &Label) -> Self {
        Self {
            id: l.id.0,
            project_id: l.project_id.0,
            name: l.name.clone(),
            color: l.color.clone(),
            created_at: l.created_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateLabel {
    /// Unique in the project, ignoring case.
    pub name: Text,
    /// `#rrggbb`; grey by default.
    pub color: Option<Text>,
}
