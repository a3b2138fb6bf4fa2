//! What a caller submits as a plan, and the checks that make it a graph the engine
//! can run: known, distinct ids and no cycle.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{NewPlan, Plan, PlanStatus};
use crate::id::{AssistantThreadId, MemberId, ProjectId, TaskId};
use crate::tracker::{Execution, Priority, Task, TaskDraft, TaskStatus, TrackerEvent};
use crate::{Error, Result};

/// A plan as submitted: a goal and tasks naming each other by the caller's ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanDraft {
    pub goal: String,
    pub thread_id: Option<AssistantThreadId>,
    pub tasks: Vec<PlannedTask>,
}

/// One task of a submitted plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedTask {
    /// The caller's id for the task, unique in the plan.
    pub id: String,
    pub title: String,
    pub description: String,
    pub agent_type: Option<String>,
    pub assignee_id: Option<MemberId>,
    pub depends_on: Vec<String>,
    pub can_parallel: bool,
    pub max_retries: Option<u32>,
    pub priority: Priority,
}

impl Default for PlannedTask {
    fn default() -> Self {
        Self {
            id: String::new(),
            title: String::new(),
            description: String::new(),
            agent_type: None,
            assignee_id: None,
            depends_on: Vec::new(),
            can_parallel: true,
            max_retries: None,
            priority: Priority::default(),
        }
    }
}

impl PlanDraft {
    pub const GOAL_MAX: usize = 10_000;
    /// The most tasks a plan holds.
    pub const TASKS_MAX: usize = 1_000;
    /// The most dependencies one task names.
    pub const DEPENDS_ON_MAX: usize = 100;
    pub const ID_MAX: usize = 64;
    pub const AGENT_TYPE_MAX: usize = 255;
    /// Retries when a task names none.
    pub const DEFAULT_RETRIES: u32 = 2;
    pub const RETRIES_MAX: u32 = 10;

    /// Checks the plan and builds it: its tasks (pending, in dependency order)
    /// and the events of its creation, `plan_created` then each `task_created`.
    ///
    /// # Errors
    /// `Validation` naming the problem: an empty goal or plan, too many tasks, a
    /// duplicate or unknown id, a task depending on itself, a cycle (its
    /// members, in order) or a bad field of a task.
    pub fn build(
        self,
        project_id: ProjectId,
        created_by: Option<MemberId>,
        now: DateTime<Utc>,
    ) -> Result<(NewPlan, Vec<Vec<TrackerEvent>>)> {
        let goal = crate::text::required("goal", &self.goal, Self::GOAL_MAX)?;
        if self.tasks.is_empty() {
            return Err(Error::validation("tasks", "a plan needs at least one task"));
        }
        if self.tasks.len() > Self::TASKS_MAX {
            return Err(Error::validation(
                "tasks",
                format!("a plan holds at most {} tasks", Self::TASKS_MAX),
            ));
        }
        let order = graph_order(&self.tasks)?;
        let plan = Plan {
            id: crate::id::PlanId::generate(),
            project_id,
            thread_id: self.thread_id,
            goal,
            status: PlanStatus::Pending,
            aborted: false,
            created_by,
            created_at: now,
            updated_at: now,
        };
        let ids: Vec<TaskId> = self.tasks.iter().map(|_| TaskId::generate()).collect();
        let index: HashMap<&str, usize> = self
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), i))
            .collect();
        let mut tasks = Vec::with_capacity(order.len());
        let mut events = Vec::with_capacity(order.len());
        for i in order {
            let planned = &self.tasks[i];
            let field = |name: &str| format!("tasks[{i}].{name}");
            let agent_type = planned
                .agent_type
                .as_deref()
                .map(|a| crate::text::required(&field("agent_type"), a, Self::AGENT_TYPE_MAX))
                .transpose()?;
            let max_retries = planned.max_retries.unwrap_or(Self::DEFAULT_RETRIES);
            if max_retries > Self::RETRIES_MAX {
                return Err(Error::validation(
                    field("max_retries"),
                    format!("must be at most {}", Self::RETRIES_MAX),
                ));
            }
            let draft = TaskDraft {
                title: planned.title.clone(),
                description: planned.description.clone(),
                status: TaskStatus::Pending,
                priority: planned.priority,
                assignee_id: planned.assignee_id,
                labels: Vec::new(),
            };
            let mut depends_on: Vec<TaskId> = planned
                .depends_on
                .iter()
                .map(|d| ids[index[d.as_str()]])
                .collect();
            depends_on.sort();
            depends_on.dedup();
            let execution = Execution {
                plan_id: plan.id,
                client_id: planned.id.clone(),
                agent_type,
                depends_on,
                can_parallel: planned.can_parallel,
                progress: 0,
                retry_count: 0,
                max_retries,
                error_message: None,
                result: None,
                started_at: None,
                completed_at: None,
            };
            let (task, kinds) = Task::create_planned(project_id, ids[i], draft, execution, now)
                .map_err(|e| e.within(&format!("tasks[{i}]")))?;
            tasks.push(task);
            events.push(kinds);
        }
        Ok((NewPlan { plan, tasks }, events))
    }
}

/// The tasks' indexes in an order where each follows its dependencies.
fn graph_order(tasks: &[PlannedTask]) -> Result<Vec<usize>> {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(tasks.len());
    for (i, task) in tasks.iter().enumerate() {
        let id = task.id.trim();
        if id.is_empty() || id.len() > PlanDraft::ID_MAX || id.contains('\0') {
            return Err(Error::validation(
                format!("tasks[{i}].id"),
                format!("must be 1-{} characters", PlanDraft::ID_MAX),
            ));
        }
        if index.insert(task.id.as_str(), i).is_some() {
            return Err(Error::validation(
                format!("tasks[{i}].id"),
                format!("duplicate task id '{}'", task.id),
            ));
        }
    }
    let mut edges = Vec::new();
    for (i, task) in tasks.iter().enumerate() {
        if task.depends_on.len() > PlanDraft::DEPENDS_ON_MAX {
            return Err(Error::validation(
                format!("tasks[{i}].depends_on"),
                format!("names at most {} tasks", PlanDraft::DEPENDS_ON_MAX),
            ));
        }
        for dep in &task.depends_on {
            let Some(&d) = index.get(dep.as_str()) else {
                return Err(Error::validation(
                    format!("tasks[{i}].depends_on"),
                    format!("unknown task id '{dep}'"),
                ));
            };
            if d == i {
                return Err(Error::validation(
                    format!("tasks[{i}].depends_on"),
                    format!("task '{dep}' depends on itself"),
                ));
            }
            edges.push((d, i));
        }
    }
    crate::graph::order(tasks.len(), &edges).map_err(|mut cycle| {
        // The graph's edges run from a dependency to its dependent.
        cycle.reverse();
        let names: Vec<&str> = cycle.iter().map(|&i| tasks[i].id.as_str()).collect();
        Error::validation(
            "tasks",
            format!(
                "the dependencies form a cycle (each depends on the next): {} -> {}",
                names.join(" -> "),
                names[0]
            ),
        )
    })
}

#[cfg(test)]
mod tests;
