//! Plans: submit, read, list, abort, retry or skip a task, delete, usage.

mod cascade;
mod generate;
mod replay;
#[cfg(test)]
mod tests;
mod turns;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::caller::Principal;
use crate::event::Event;
use crate::id::{AssistantThreadId, EventId, PlanId, ProjectId, TaskId};

use crate::page::{self, Page};
use crate::planning::{
    AgentEvent, ModelClient, NewPlan, Plan, PlanCreated, PlanDeleted, PlanDraft, PlanEvent,
    PlanQuery, PlanStatus, Ports, TurnCompleted,
};
use crate::tracker::TrackerEvent;
use crate::tracker::{Changes, Task, TaskStatus, TaskView};
use crate::workspace;
use crate::workspace::access::{self, ProjectAccess};
use crate::{Error, Result, log};

pub use self::cascade::{downstream, upstream};
pub use self::generate::GENERATE_ATTEMPTS;

/// A plan with its tasks, by number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanView {
    pub plan: Plan,
    pub tasks: Vec<TaskView>,
}

/// Plans: the use cases a caller runs on them.
#[derive(Clone)]
pub struct Plans {
    ports: Ports,
    workspace: workspace::Ports,
    log: log::Ports,
    registry: crate::registry::Ports,
    prices: super::Prices,
    /// The provider plans are generated with; `None` on a server without one.
    model: Option<Arc<dyn ModelClient>>,
}

impl std::fmt::Debug for Plans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plans")
            .field("prices", &self.prices)
            .field("model", &self.model.is_some())
            .finish_non_exhaustive()
    }
}

impl Plans {
    pub(crate) fn new(
        ports: Ports,
        workspace: workspace::Ports,
        log: log::Ports,
        registry: crate::registry::Ports,
        prices: super::Prices,
    ) -> Self {
        Self {
            ports,
            workspace,
            log,
            registry,
            prices,
            model: None,
        }
    }

    /// The same use cases, generating plans with `model`.
    #[must_use]
    pub(crate) fn with_model(mut self, model: Arc<dyn ModelClient>) -> Self {
        self.model = Some(model);
        self
    }

    /// Checks and stores a plan with its tasks, all `pending`.
    ///
    /// # Errors
    /// `NotFound` for a project the caller cannot see; `Validation` naming what
    /// is wrong with the plan (see [`PlanDraft::build`]) or an assignee from
    /// elsewhere.
    pub async fn create(
        &self,
        who: &Principal,
        project: ProjectId,
        draft: PlanDraft,
    ) -> Result<PlanView> {
        let scope = access::project(&self.workspace, who, project).await?;
        self.check_thread(who, draft.thread_id).await?;
        let (plan, kinds) = self.checked(&scope, project, draft).await?;
        self.store(&scope, plan, kinds, &[]).await
    }

    /// Only the caller's own conversation: nobody learns of another's.
    async fn check_thread(&self, who: &Principal, thread: Option<AssistantThreadId>) -> Result<()> {
        let Some(thread) = thread else {
            return Ok(());
        };
        let own = self.registry.threads.list_threads(who.user_id).await?;
        if own.iter().any(|t| t.id == thread) {
            Ok(())
        } else {
            Err(Error::validation(
                "session_id",
                "is not one of your threads",
            ))
        }
    }

    /// The draft as a plan, checked as every plan is (see [`PlanDraft::build`]).
    async fn checked(
        &self,
        scope: &ProjectAccess,
        project: ProjectId,
        draft: PlanDraft,
    ) -> Result<(NewPlan, Vec<Vec<TrackerEvent>>)> {
        let (plan, kinds) = draft.build(project, scope.actor(), self.ports.clock.now())?;
        self.check_assignees(&plan).await?;
        Ok((plan, kinds))
    }

    /// Stores the plan with its events: `plan_created` (which takes the plan's
    /// id, so what belongs to the plan as a whole — the turns that generated
    /// it — is found as its children), the tasks' own, and `turns` under it.
    async fn store(
        &self,
        scope: &ProjectAccess,
        plan: NewPlan,
        kinds: Vec<Vec<TrackerEvent>>,
        turns: &[TurnCompleted],
    ) -> Result<PlanView> {
        let project = plan.plan.project_id;
        let now = plan.plan.created_at;
        let mut events = Vec::with_capacity(plan.tasks.len() * 2 + 1 + turns.len());
        let mut created = Event::in_project(
            project,
            scope.actor(),
            None,
            PlanEvent::PlanCreated(PlanCreated {
                plan: plan.plan.id,
                goal: plan.plan.goal.clone(),
                tasks: u32::try_from(plan.tasks.len()).unwrap_or(u32::MAX),
            }),
            now,
        )?;
        created.id = plan_event(plan.plan.id);
        events.push(created);
        for turn in turns {
            let mut event = Event::in_project(
                project,
                None,
                None,
                AgentEvent::TurnCompleted(turn.clone()),
                now,
            )?;
            event.parent_id = Some(plan_event(plan.plan.id));
            events.push(event);
        }
        for (task, kinds) in plan.tasks.iter().zip(kinds) {
            for kind in kinds {
                events.push(Event::in_project(
                    project,
                    scope.actor(),
                    Some(task.id()),
                    kind,
                    now,
                )?);
            }
        }
        let tasks = self.ports.plans.create_plan(&plan, &events).await?;
        Ok(view(scope, plan.plan, tasks))
    }

    async fn check_assignees(&self, plan: &NewPlan) -> Result<()> {
        let mut seen = HashMap::new();
        for (i, task) in plan.tasks.iter().enumerate() {
            let Some(assignee) = task.record().assignee_id else {
                continue;
            };
            if seen.insert(assignee, ()).is_some() {
                continue;
            }
            let member = self.workspace.projects.get_member(assignee).await?;
            if member.is_none_or(|m| m.project_id != plan.plan.project_id) {
                return Err(Error::validation(
                    format!("tasks[{i}].assignee_id"),
                    "is not a member of this project",
                ));
            }
        }
        Ok(())
    }

    /// The plan with its tasks.
    ///
    /// # Errors
    /// `NotFound` for a plan the caller cannot see.
    pub async fn get(&self, who: &Principal, id: PlanId) -> Result<PlanView> {
        let (plan, scope) = self.load(who, id).await?;
        let tasks = self.ports.plans.plan_tasks(id).await?;
        Ok(view(&scope, plan, tasks))
    }

    /// A page of the project's plans, newest first.
    ///
    /// # Errors
    /// `NotFound` for a project the caller cannot see.
    pub async fn list(
        &self,
        who: &Principal,
        project: ProjectId,
        status: Option<PlanStatus>,
        request: page::PageRequest<PlanId>,
    ) -> Result<Page<Plan, PlanId>> {
        access::project(&self.workspace, who, project).await?;
        page::read(
            request.limit,
            |p: &Plan| p.id,
            |limit| {
                let query = PlanQuery {
                    project_id: project,
                    status,
                    before: request.after,
                    limit,
                };
                async move { self.ports.plans.list_plans(&query).await }
            },
        )
        .await
    }

    /// Aborts the plan: every open task is cancelled (each with its event), a
    /// running one included (its worker loses its lease and stops), and the
    /// plan stays `aborted`.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` for a plan that is over already.
    pub async fn abort(&self, who: &Principal, id: PlanId) -> Result<PlanView> {
        self.change(who, id, true, |plan, tasks, now| {
            if plan.status.is_final() {
                return Err(Error::Conflict(format!(
                    "the plan is {} already",
                    plan.status
                )));
            }
            Ok(tasks
                .iter_mut()
                .map(|t| (t.version(), t.cancel_open(now)))
                .collect())
        })
        .await
    }

    /// Gives a failed, skipped or cancelled task another run, with what it
    /// needs: every task upstream of it that ended without being done, and
    /// the tasks downstream of those that were skipped because of them (so
    /// nothing reopened waits on a task that will never run).
    ///
    /// # Errors
    /// `NotFound`; `InvalidTransition` for a task that is not over;
    /// `Conflict` for an aborted plan.
    pub async fn retry_task(&self, who: &Principal, id: PlanId, task: TaskId) -> Result<PlanView> {
        self.change(who, id, false, |plan, tasks, now| {
            if plan.aborted {
                return Err(Error::Conflict("the plan was aborted".into()));
            }
            let root = position(tasks, task)?;
            let status = tasks[root].record().status;
            if !matches!(
                status,
                TaskStatus::Failed | TaskStatus::Skipped | TaskStatus::Cancelled
            ) {
                return Err(Error::InvalidTransition {
                    from: status.as_str().into(),
                    to: "pending".into(),
                });
            }
            let ended = |t: &Task| {
                matches!(
                    t.record().status,
                    TaskStatus::Failed | TaskStatus::Skipped | TaskStatus::Cancelled
                )
            };
            // To a fixed point: what is reopened needs its upstream, and frees
            // what was skipped downstream of it.
            let mut reopen = vec![false; tasks.len()];
            reopen[root] = true;
            let mut queue = vec![root];
            while let Some(i) = queue.pop() {
                let id = tasks[i].id();
                let needed = upstream(tasks, id)
                    .into_iter()
                    .filter(|&u| ended(&tasks[u]));
                let freed = downstream(tasks, id)
                    .into_iter()
                    .filter(|&d| tasks[d].record().status == TaskStatus::Skipped);
                for j in needed.chain(freed).collect::<Vec<_>>() {
                    if !reopen[j] {
                        reopen[j] = true;
                        queue.push(j);
                    }
                }
            }
            let mut changed = vec![(0, Changes::default()); tasks.len()];
            for i in (0..tasks.len()).filter(|&i| reopen[i]) {
                let version = tasks[i].version();
                changed[i] = (version, tasks[i].reopen(now)?);
            }
            Ok(changed)
        })
        .await
    }

    /// Skips a task that has not run, and the tasks downstream of it (a task
    /// runs only when all it depends on is done).
    ///
    /// # Errors
    /// `NotFound`; `InvalidTransition` for a running or finished task.
    pub async fn skip_task(&self, who: &Principal, id: PlanId, task: TaskId) -> Result<PlanView> {
        self.change(who, id, false, |_, tasks, now| {
            let root = position(tasks, task)?;
            let mut changed = vec![(0, Changes::default()); tasks.len()];
            let version = tasks[root].version();
            changed[root] = (version, tasks[root].skip(now)?);
            for i in downstream(tasks, tasks[root].id()) {
                if !tasks[i].record().status.is_terminal() {
                    let version = tasks[i].version();
                    changed[i] = (version, tasks[i].skip(now)?);
                }
            }
            Ok(changed)
        })
        .await
    }

    /// Deletes the plan with its tasks and their events; one `plan_deleted`
    /// records it.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` while a task of it is running (abort it first).
    pub async fn delete(&self, who: &Principal, id: PlanId) -> Result<()> {
        let (plan, scope) = self.load(who, id).await?;
        let tasks = self.ports.plans.plan_tasks(id).await?;
        if tasks
            .iter()
            .any(|t| t.record().status == TaskStatus::InProgress)
        {
            return Err(Error::Conflict(
                "a task of the plan is running; abort the plan first".into(),
            ));
        }
        let event = Event::in_project(
            plan.project_id,
            scope.actor(),
            None,
            PlanEvent::PlanDeleted(PlanDeleted {
                plan: id,
                goal: plan.goal,
                tasks: u32::try_from(tasks.len()).unwrap_or(u32::MAX),
            }),
            self.ports.clock.now(),
        )?;
        self.ports.plans.delete_plan(id, &[event]).await
    }

    pub(super) async fn load(&self, who: &Principal, id: PlanId) -> Result<(Plan, ProjectAccess)> {
        let plan = self
            .ports
            .plans
            .get_plan(id)
            .await?
            .ok_or(Error::NotFound { entity: "plan" })?;
        let scope = access::project_of(&self.workspace, who, plan.project_id, "plan").await?;
        Ok((plan, scope))
    }

    /// Reads the plan's tasks, lets `decide` change them (returning each task's
    /// version before and its changes, indexed like the tasks) and writes the
    /// changed ones with their events.
    async fn change(
        &self,
        who: &Principal,
        id: PlanId,
        abort: bool,
        decide: impl Fn(&Plan, &mut [Task], DateTime<Utc>) -> Result<Vec<(i64, Changes)>>,
    ) -> Result<PlanView> {
        // A claim, a progress report or a settlement may move a task between
        // the read and the write: decide again on fresh state, as every write
        // without `If-Match` does.
        crate::optimistic::retry(None, || self.change_once(who, id, abort, &decide)).await?;
        self.get(who, id).await
    }

    async fn change_once(
        &self,
        who: &Principal,
        id: PlanId,
        abort: bool,
        decide: &impl Fn(&Plan, &mut [Task], DateTime<Utc>) -> Result<Vec<(i64, Changes)>>,
    ) -> Result<()> {
        let (plan, scope) = self.load(who, id).await?;
        let mut tasks = self.ports.plans.plan_tasks(id).await?;
        let now = self.ports.clock.now();
        let decided = decide(&plan, &mut tasks, now)?;
        let mut written = Vec::new();
        let mut events = Vec::new();
        for (task, (version, changes)) in tasks.iter().zip(decided) {
            if changes.is_empty() {
                continue;
            }
            for kind in changes.events {
                events.push(Event::in_project(
                    plan.project_id,
                    scope.actor(),
                    Some(task.id()),
                    kind,
                    now,
                )?);
            }
            written.push((task.clone(), version));
        }
        self.ports
            .plans
            .update_plan_tasks(id, &written, abort, &events)
            .await
    }
}

fn position(tasks: &[Task], id: TaskId) -> Result<usize> {
    tasks
        .iter()
        .position(|t| t.id() == id)
        .ok_or(Error::NotFound { entity: "task" })
}

fn view(scope: &ProjectAccess, plan: Plan, tasks: Vec<Task>) -> PlanView {
    PlanView {
        tasks: tasks
            .into_iter()
            .map(|task| TaskView {
                key: scope.project.task_key(task.record().number),
                task,
            })
            .collect(),
        plan,
    }
}

/// The id of a plan's `plan_created` event: the plan's own.
fn plan_event(plan: PlanId) -> EventId {
    EventId(plan.0)
}
