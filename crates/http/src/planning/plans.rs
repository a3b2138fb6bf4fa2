//! Plans: submit a goal with its task graph, read and list plans, abort one,
//! retry or skip a task, delete a plan, and read its usage.

use agentry_domain::Services;
use agentry_domain::id::{AssistantThreadId, PlanId, ProjectId, TaskId};
use agentry_domain::planning::PlanStatus;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::{
    CreatePlanIn, GeneratePlanIn, PlanOut, PlanPageOut, PlanSummaryOut, PlanUsageOut,
};
use super::script::ScriptOut;
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::paging;
use crate::common::problem::ApiResult;
use crate::common::responses::{Created, NoContent};
use crate::common::wire::Wire;

/// Plans and their tasks.
#[derive(Debug)]
pub struct PlansApi {
    pub services: Services,
    /// Why agent tasks wait, when this server runs no engine.
    pub engine_note: Option<String>,
}

impl PlansApi {
    fn out(&self, view: &agentry_domain::planning::PlanView) -> Json<PlanOut> {
        Json(PlanOut::new(view, self.engine_note.as_deref()))
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Plans")]
impl PlansApi {
    /// Submits a plan: its tasks join the project's tracker as `pending` and
    /// the engine runs each once its dependencies are done. Records
    /// `plan_created` and each task's `task_created`.
    #[oai(path = "/plans", method = "post", operation_id = "create_plan")]
    async fn create(
        &self,
        caller: Caller,
        body: Json<CreatePlanIn>,
    ) -> ApiResult<Created<PlanOut>> {
        let project = ProjectId(body.0.project_id);
        let view = self
            .services
            .plans
            .create(&caller.0, project, body.0.into())
            .await?;
        Ok(Created::Created(self.out(&view)))
    }

    /// Plans a goal: the project's secretary assistant (the active one with
    /// `is_secretary`) proposes the tasks as structured output, for the
    /// active assistants it is told of. The proposal is checked as a
    /// submitted plan is, and each `agent_type` must name one of those
    /// assistants; a proposal that fails is sent back with what is wrong, up
    /// to 3 answers in all, then 422 says what was wrong with each. The plan
    /// is stored as `POST /plans` stores one, with each answer a
    /// `turn.completed` under its `plan_created` (counted in its usage).
    /// 409 without a model provider, a secretary, or assistants to plan for;
    /// 503 when the provider cannot answer.
    #[oai(
        path = "/plans/generate",
        method = "post",
        operation_id = "generate_plan"
    )]
    async fn generate(
        &self,
        caller: Caller,
        body: Json<GeneratePlanIn>,
    ) -> ApiResult<Created<PlanOut>> {
        let body = body.0;
        let view = self
            .services
            .plans
            .generate(
                &caller.0,
                ProjectId(body.project_id),
                body.goal.0,
                body.session_id.map(AssistantThreadId),
            )
            .await?;
        Ok(Created::Created(self.out(&view)))
    }

    #[oai(path = "/plans/:plan_id", method = "get", operation_id = "get_plan")]
    async fn get(&self, caller: Caller, plan_id: Path<Uuid>) -> ApiResult<Json<PlanOut>> {
        let view = self
            .services
            .plans
            .get(&caller.0, PlanId(plan_id.0))
            .await?;
        Ok(self.out(&view))
    }

    /// A page of the project's plans, newest first.
    #[oai(
        path = "/projects/:project_id/plans",
        method = "get",
        operation_id = "list_plans"
    )]
    async fn list(
        &self,
        caller: Caller,
        project_id: Path<Uuid>,
        status: Query<Option<Wire<PlanStatus>>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200, 50 by default.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<PlanPageOut>> {
        let page = paging::request::<PlanId>(cursor.0.as_deref(), limit.0)?;
        let found = self
            .services
            .plans
            .list(
                &caller.0,
                ProjectId(project_id.0),
                status.0.map(|s| s.0),
                page,
            )
            .await?;
        let (plans, next_cursor) = paging::items(found, PlanSummaryOut::from);
        Ok(Json(PlanPageOut { plans, next_cursor }))
    }

    /// Aborts the plan: every open task becomes `cancelled` (a running turn
    /// stops within about a second) and the plan `aborted`. 409 for a plan
    /// that is over.
    #[oai(
        path = "/plans/:plan_id/abort",
        method = "post",
        operation_id = "abort_plan"
    )]
    async fn abort(&self, caller: Caller, plan_id: Path<Uuid>) -> ApiResult<Json<PlanOut>> {
        let view = self
            .services
            .plans
            .abort(&caller.0, PlanId(plan_id.0))
            .await?;
        Ok(self.out(&view))
    }

    /// Runs a `failed`, `skipped` or `cancelled` task again (retries reset),
    /// with the tasks downstream of it that were skipped because of it.
    #[oai(
        path = "/plans/:plan_id/tasks/:task_id/retry",
        method = "post",
        operation_id = "retry_plan_task"
    )]
    async fn retry(
        &self,
        caller: Caller,
        plan_id: Path<Uuid>,
        /// The task's id in the tracker (`task_id` of the plan's task).
        task_id: Path<Uuid>,
    ) -> ApiResult<Json<PlanOut>> {
        let view = self
            .services
            .plans
            .retry_task(&caller.0, PlanId(plan_id.0), TaskId(task_id.0))
            .await?;
        Ok(self.out(&view))
    }

    /// Skips a task that has not run, and every task downstream of it.
    #[oai(
        path = "/plans/:plan_id/tasks/:task_id/skip",
        method = "post",
        operation_id = "skip_plan_task"
    )]
    async fn skip(
        &self,
        caller: Caller,
        plan_id: Path<Uuid>,
        /// The task's id in the tracker (`task_id` of the plan's task).
        task_id: Path<Uuid>,
    ) -> ApiResult<Json<PlanOut>> {
        let view = self
            .services
            .plans
            .skip_task(&caller.0, PlanId(plan_id.0), TaskId(task_id.0))
            .await?;
        Ok(self.out(&view))
    }

    /// Deletes the plan with its tasks and their events; `plan_deleted`
    /// records it. 409 while a task of it runs (abort it first).
    #[oai(
        path = "/plans/:plan_id",
        method = "delete",
        operation_id = "delete_plan"
    )]
    async fn delete(&self, caller: Caller, plan_id: Path<Uuid>) -> ApiResult<NoContent> {
        self.services
            .plans
            .delete(&caller.0, PlanId(plan_id.0))
            .await?;
        Ok(NoContent::NoContent)
    }

    /// Tokens per model, task and assistant (and cost, with prices
    /// configured), summed from the plan's `turn.completed` events.
    #[oai(
        path = "/plans/:plan_id/usage",
        method = "get",
        operation_id = "get_plan_usage"
    )]
    async fn usage(&self, caller: Caller, plan_id: Path<Uuid>) -> ApiResult<Json<PlanUsageOut>> {
        let usage = self
            .services
            .plans
            .usage(&caller.0, PlanId(plan_id.0))
            .await?;
        Ok(Json(PlanUsageOut::from(&usage)))
    }

    /// What every model call of the plan answered, as a script for the
    /// offline provider (`--model-script`): running the plan again with it
    /// (`POST /plans/generate` with the same goal, or `POST /plans` with the
    /// same tasks) replays the answers with no network and gives the same
    /// tree of events. A task retried keeps its last attempt's answers.
    #[oai(
        path = "/plans/:plan_id/script",
        method = "get",
        operation_id = "get_plan_script"
    )]
    async fn script(&self, caller: Caller, plan_id: Path<Uuid>) -> ApiResult<Json<ScriptOut>> {
        let script = self
            .services
            .plans
            .script(&caller.0, PlanId(plan_id.0))
            .await?;
        Ok(Json(script.into()))
    }
}
