//! Plans from a goal: the active secretary assistant proposes the plan as
//! structured output; the proposal is checked as a user's plan is (and each
//! `agent_type` must name an active assistant), and a proposal that fails is sent
//! back with what is wrong, up to [`GENERATE_ATTEMPTS`] times. Each answer is a
//! `turn.completed` under the plan's `plan_created`, so the plan's usage counts
//! what planning it cost.

use std::time::Instant;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{PlanView, Plans};
use crate::caller::Principal;
use crate::id::{AssistantThreadId, ProjectId};
use crate::planning::{
    Hosted, ModelMessage, ModelRequest, OutputSchema, PlanDraft, PlannedTask, Role, TurnCompleted,
    recorded_text,
};
use crate::registry::{Assistant, AssistantKind, AssistantQuery, AssistantThread};
use crate::tracker::Priority;
use crate::vocabulary::Vocabulary as _;
use crate::workspace::access;
use crate::{Error, Result};

/// Proposals asked for before the goal is refused as one the secretary
/// cannot plan.
pub const GENERATE_ATTEMPTS: u32 = 3;

/// How much of an assistant's instructions the secretary is shown.
const ABOUT_MAX: usize = 300;

/// A proposal as the model writes it.
#[derive(Deserialize)]
struct Proposal {
    tasks: Vec<ProposedTask>,
}

#[derive(Deserialize)]
struct ProposedTask {
    id: String,
    title: String,
    #[serde(default)]
    description: String,
    agent_type: String,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default = "yes")]
    can_parallel: bool,
    #[serde(default)]
    priority: Priority,
}

const fn yes() -> bool {
    true
}

impl Plans {
    /// Asks the secretary for a plan of `goal` and stores it as
    /// [`Plans::create`] would.
    ///
    /// # Errors
    /// `NotFound` for a project the caller cannot see; `Validation` for a bad
    /// goal or thread, or a goal the secretary gave no valid plan for (with
    /// what was wrong each time); `Conflict` without a model provider, an
    /// active secretary or assistants to plan for; `Unavailable` when the
    /// provider is.
    pub async fn generate(
        &self,
        who: &Principal,
        project: ProjectId,
        goal: String,
        thread: Option<AssistantThreadId>,
    ) -> Result<PlanView> {
        let scope = access::project(&self.workspace, who, project).await?;
        let goal = crate::text::required("goal", &goal, PlanDraft::GOAL_MAX)?;
        self.check_thread(who, thread).await?;
        let model = self.model.clone().ok_or_else(|| {
            Error::Conflict("no model provider is configured on this server".into())
        })?;
        let (secretary, agents) = self.staff().await?;
        let names: Vec<&str> = agents.iter().map(|a| a.draft.name.as_str()).collect();
        let mut messages = vec![
            ModelMessage::new(Role::System, instructions(&secretary, &agents)),
            ModelMessage::new(Role::User, goal.clone()),
        ];
        let hosted = match (
            secretary.draft.assistant_type,
            &secretary.draft.openai_assistant_id,
        ) {
            (AssistantKind::OpenaiApi, Some(prompt)) => Some(Hosted {
                prompt: prompt.clone(),
                thread: thread.map(AssistantThread::runtime_id),
            }),
            _ => None,
        };
        let mut turns = Vec::new();
        let mut wrong = Vec::new();
        for attempt in 1..=GENERATE_ATTEMPTS {
            let request = ModelRequest {
                assistant: secretary.draft.name.clone(),
                model: secretary.draft.model.clone(),
                messages: messages.clone(),
                output: Some(OutputSchema {
                    name: "plan".into(),
                    schema: schema(&names),
                }),
                hosted: hosted.clone(),
                ..ModelRequest::default()
            };
            let began = Instant::now();
            let reply = model.complete(&request, None).await?;
            turns.push(TurnCompleted {
                turn: attempt,
                model: secretary.draft.model.clone(),
                assistant: secretary.id,
                assistant_name: secretary.draft.name.clone(),
                latency_ms: i64::try_from(began.elapsed().as_millis()).unwrap_or(i64::MAX),
                input_tokens: reply.usage.input_tokens,
                output_tokens: reply.usage.output_tokens,
                content: recorded_text(&reply.content),
                tool_calls: Vec::new(),
            });
            let checked = match draft(&reply.content, &goal, thread, &names) {
                Ok(draft) => self.checked(&scope, project, draft).await,
                Err(e) => Err(e),
            };
            match checked {
                Ok((plan, kinds)) => return self.store(&scope, plan, kinds, &turns).await,
                Err(Error::Validation { field, message }) => {
                    let why = format!("{field}: {message}");
                    messages.push(ModelMessage::new(Role::Assistant, reply.content));
                    messages.push(ModelMessage::new(
                        Role::User,
                        format!(
                            "That plan cannot be accepted ({why}). Answer with the whole \
                             plan again, corrected."
                        ),
                    ));
                    wrong.push(format!("answer {attempt}: {why}"));
                }
                Err(other) => return Err(other),
            }
        }
        Err(Error::validation(
            "goal",
            format!(
                "the secretary proposed no valid plan in {GENERATE_ATTEMPTS} answers: {}",
                wrong.join("; ")
            ),
        ))
    }

    /// The active secretary and the active assistants it may plan for.
    async fn staff(&self) -> Result<(Assistant, Vec<Assistant>)> {
        let mut active = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .registry
                .assistants
                .list_assistants(&AssistantQuery {
                    is_active: Some(true),
                    after_name: after.clone(),
                    limit: crate::page::MAX_LIMIT,
                    ..AssistantQuery::default()
                })
                .await?;
            let full = page.len() == crate::page::MAX_LIMIT as usize;
            after = page.last().map(|a| a.draft.name.clone());
            active.extend(page);
            if !full {
                break;
            }
        }
        let (secretaries, agents): (Vec<_>, Vec<_>) =
            active.into_iter().partition(Assistant::is_active_secretary);
        let secretary = secretaries.into_iter().next().ok_or_else(|| {
            Error::Conflict(
                "no active secretary assistant plans goals: mark one with is_secretary".into(),
            )
        })?;
        if agents.is_empty() {
            return Err(Error::Conflict(
                "no active assistant besides the secretary could run a plan's tasks".into(),
            ));
        }
        Ok((secretary, agents))
    }
}

/// The secretary's own instructions, then how to plan and for whom.
fn instructions(secretary: &Assistant, agents: &[Assistant]) -> String {
    let mut text = secretary.draft.instructions.clone();
    text.push_str(
        "\n\nPlan the user's goal as tasks for the assistants listed below. Answer with \
         the plan as JSON only: {\"tasks\": [...]}, each task with a short unique id, a \
         title, a description of what to do and deliver, the agent_type (the assistant) \
         that does it, depends_on (the ids of tasks that must finish first; no cycles), \
         can_parallel (false when nothing else of the plan may run meanwhile) and a \
         priority.\n\nAssistants:\n",
    );
    for agent in agents {
        let about: String = agent
            .draft
            .instructions
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(ABOUT_MAX)
            .collect();
        text.push_str(&format!("- {}: {about}\n", agent.draft.name));
    }
    text
}

/// The JSON Schema of a proposal (strict: every property required, no others).
fn schema(agents: &[&str]) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["tasks"],
        "properties": {"tasks": {
            "type": "array",
            "minItems": 1,
            "maxItems": PlanDraft::TASKS_MAX,
            "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "title", "description", "agent_type", "depends_on",
                             "can_parallel", "priority"],
                "properties": {
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "agent_type": {"type": "string", "enum": agents},
                    "depends_on": {"type": "array", "items": {"type": "string"}},
                    "can_parallel": {"type": "boolean"},
                    "priority": {"type": "string", "enum": Priority::NAMES},
                },
            },
        }},
    })
}

/// The answer as a plan draft, or what is wrong with it.
fn draft(
    answer: &str,
    goal: &str,
    thread: Option<AssistantThreadId>,
    agents: &[&str],
) -> Result<PlanDraft> {
    let proposal: Proposal = serde_json::from_str(answer.trim())
        .map_err(|e| Error::validation("plan", format!("the answer is not a plan: {e}")))?;
    for (i, task) in proposal.tasks.iter().enumerate() {
        if !agents.contains(&task.agent_type.as_str()) {
            return Err(Error::validation(
                format!("tasks[{i}].agent_type"),
                format!(
                    "{:?} is not one of the assistants: {}",
                    task.agent_type,
                    agents.join(", ")
                ),
            ));
        }
    }
    Ok(PlanDraft {
        goal: goal.to_owned(),
        thread_id: thread,
        tasks: proposal
            .tasks
            .into_iter()
            .map(|t| PlannedTask {
                id: t.id,
                title: t.title,
                description: t.description,
                agent_type: Some(t.agent_type),
                depends_on: t.depends_on,
                can_parallel: t.can_parallel,
                priority: t.priority,
                ..PlannedTask::default()
            })
            .collect(),
    })
}
