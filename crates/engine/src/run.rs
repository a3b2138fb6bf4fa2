//! One attempt at a task: the assistant that runs it, its conversation with the
//! model turn by turn, its tool calls (built-in, sub-assistant, or through the
//! tool executor), every step appended to the log under `agent.started`, and
//! the settlement that ends it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentry_domain::event::Event;
use agentry_domain::id::{AssistantId, EventId, MemberId, UserId};
use agentry_domain::log::{DeltaBus, StreamDelta, delta_pieces};
use agentry_domain::planning::{
    AgentEvent, Claim, ModelClient, ModelMessage, ModelReply, ModelRequest, OnDelta, Role,
    ToolExecutor,
};
use agentry_domain::tracker::{Task, TaskResult};
use agentry_domain::{Error, Ports, Principal, Services};
use serde_json::Value;
use tokio::sync::watch;

use crate::EngineConfig;
use crate::dispatch::state::RunSignal;
use crate::slot::Slot;

mod converse;
mod prepare;
mod settle;

pub(crate) use settle::failure;

/// How long a turn's opening events may wait to be written with the turn's
/// end: a model that answers sooner shares one commit with them; one that
/// thinks longer has them written meanwhile, so the log shows the turn running.
const OPENING_EVENTS_WAIT: Duration = Duration::from_millis(5);

/// What every attempt of a worker shares.
pub(crate) struct WorkerContext {
    pub ports: Ports,
    pub services: Services,
    pub model: Arc<dyn ModelClient>,
    pub tools: Arc<dyn ToolExecutor>,
    pub config: EngineConfig,
    pub assistant_names: Mutex<AssistantNames>,
    /// The agent member a project's runs of an assistant act as.
    pub actors: crate::actors::Actors,
    pub settler: crate::settler::Settler,
    /// Where the model's stream goes, for live feeds.
    pub deltas: Option<Arc<dyn DeltaBus>>,
}

impl WorkerContext {
    pub(crate) fn new(
        ports: Ports,
        services: Services,
        model: Arc<dyn ModelClient>,
        tools: Arc<dyn ToolExecutor>,
        config: EngineConfig,
        settler: crate::settler::Settler,
        deltas: Option<Arc<dyn DeltaBus>>,
    ) -> Self {
        Self {
            ports,
            services,
            model,
            tools,
            config,
            assistant_names: Mutex::new(AssistantNames {
                revision: i64::MIN,
                ids: HashMap::new(),
            }),
            actors: crate::actors::Actors::default(),
            settler,
            deltas,
        }
    }
}

/// The active assistants' ids by name, as of a registry revision: a task's
/// `agent_type` names its assistant, and the names change only with the
/// registry.
pub(crate) struct AssistantNames {
    pub revision: i64,
    pub ids: HashMap<String, AssistantId>,
}

/// Why an attempt ended without completing.
pub(crate) enum Unfinished {
    /// The attempt failed; the task fails or retries.
    Failed(String),
    /// The lease is gone (aborted, or expired and taken over): write nothing more.
    LeaseLost,
    /// The worker stops: the task goes back to wait for another.
    Released,
}

/// Whose conversation: the task's own assistant's, or a sub-assistant's
/// that a tool call delegated to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Conversation {
    /// The task's assistant: it may call `complete_task`, and its last
    /// turn is written with the task's settlement.
    Task,
    /// A sub-assistant answering the tool call `tool_call`: its reply is that
    /// call's output.
    Delegated { tool_call: EventId },
}

/// A tool call's answer, as the model reads it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ToolAnswer {
    Output(Value),
    /// The tool refused or failed: the model is told why and may try again.
    Error(String),
}

impl From<Result<Value, String>> for ToolAnswer {
    fn from(answer: Result<Value, String>) -> Self {
        match answer {
            Ok(output) => Self::Output(output),
            Err(message) => Self::Error(message),
        }
    }
}

impl From<Error> for Unfinished {
    fn from(e: Error) -> Self {
        Self::Failed(e.to_string())
    }
}

/// A turn's tokens and latency, by model, for `/metrics`.
fn record_turn(model: &str, reply: &ModelReply, took: Duration) {
    let tokens = |n: i64| u64::try_from(n).unwrap_or(0);
    metrics::counter!("agentry_model_tokens_total", "model" => model.to_owned(), "kind" => "input")
        .increment(tokens(reply.usage.input_tokens));
    metrics::counter!("agentry_model_tokens_total", "model" => model.to_owned(), "kind" => "output")
        .increment(tokens(reply.usage.output_tokens));
    metrics::histogram!("agentry_model_latency_seconds", "model" => model.to_owned())
        .record(took.as_secs_f64());
}

/// Why a model call failed, as the task records it: a provider's own words
/// (its status and message) tell the project what went wrong, unlike the
/// database's, which stay in the log.
fn model_failed(error: Error) -> Unfinished {
    match error {
        Error::Unavailable(why) => {
            Unfinished::Failed(format!("the model provider is unavailable: {why}"))
        }
        other => Unfinished::Failed(format!("the model provider refused: {other}")),
    }
}

/// The engine acts with an admin's reach: it reads the registry for any
/// task and joins an assistant to the project it acts in.
fn engine_principal() -> Principal {
    Principal {
        user_id: UserId(uuid::Uuid::nil()),
        is_admin: true,
    }
}

/// One attempt at a task, under the lease `fence`.
pub(crate) struct Attempt<'a> {
    pub context: &'a WorkerContext,
    pub task: Task,
    pub fence: i64,
    /// The member the attempt acts as: every event it writes names it.
    pub actor: Option<MemberId>,
    pub signal: watch::Receiver<RunSignal>,
    /// The task's own conversation's `agent.started`: the parent of the
    /// attempt's outcome events.
    pub agent: Option<EventId>,
    /// Set by `complete_task`.
    pub result: Option<TaskResult>,
    pub attempt: u32,
    /// The last turn's `turn.completed`, written with the settlement it leads to
    /// (one commit fewer per task; nobody could see it any earlier).
    pub last_turn: Option<Event>,
    /// Events built but not yet written: they go first in the next write, so
    /// an event is always written with or before those naming it as parent.
    pub unwritten: Vec<Event>,
    /// The slot this attempt holds; its final settlement passes it on.
    pub slot: Option<Slot>,
}

/// Runs the claimed task to its settlement (or until its lease is lost).
pub(crate) async fn attempt(
    context: &WorkerContext,
    claim: Claim,
    slot: Slot,
    signal: watch::Receiver<RunSignal>,
) {
    let task_id = claim.task.id();
    let mut run = Attempt {
        context,
        attempt: claim.task.execution().map_or(1, |e| e.retry_count + 1),
        task: claim.task,
        fence: claim.fence,
        actor: None,
        signal,
        agent: None,
        result: None,
        last_turn: None,
        unwritten: Vec::new(),
        slot: Some(slot),
    };
    let outcome = run.work().await;
    let settled = match outcome {
        Ok(content) => run.settle_done(content).await,
        Err(Unfinished::Failed(error)) => run.settle_failed(&error).await,
        Err(Unfinished::LeaseLost) => Ok(()),
        Err(Unfinished::Released) => run.settle_released().await,
    };
    if let Err(e) = settled {
        tracing::warn!(task = %task_id.0, error = %e, "could not settle a task; its lease will expire");
    }
}

impl Attempt<'_> {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.context.ports.planning.clock.now()
    }

    pub(crate) fn event(&self, parent: Option<EventId>, kind: AgentEvent) -> Result<Event, Error> {
        Event::build(
            Some(self.task.project_id()),
            self.actor,
            Some(self.task.id()),
            parent,
            kind,
            self.now(),
        )
    }

    /// Writes what is unwritten, then `events`.
    pub(crate) async fn append(&mut self, events: &[Event]) -> Result<(), Unfinished> {
        self.check_held()?;
        let mut batch = std::mem::take(&mut self.unwritten);
        batch.extend_from_slice(events);
        if !batch.is_empty() {
            self.context.ports.log.events.append(&batch).await?;
        }
        Ok(())
    }

    /// The model's answer to `request` (turn `turn` of the run `agent`),
    /// its stream passed on as deltas; unwritten events are written while it
    /// thinks, once it has taken longer than [`OPENING_EVENTS_WAIT`].
    async fn ask(
        &mut self,
        request: &ModelRequest,
        turn: u32,
        agent: EventId,
    ) -> Result<ModelReply, Unfinished> {
        let context = self.context;
        let (project_id, task_id) = (self.task.project_id(), self.task.id());
        let on_delta = context.deltas.clone().map(|bus| {
            let index = AtomicU32::new(0);
            move |text: &str| {
                for piece in delta_pieces(text) {
                    bus.publish(StreamDelta {
                        project_id,
                        task_id,
                        agent_event_id: agent,
                        turn,
                        index: index.fetch_add(1, Ordering::Relaxed),
                        text: piece.to_owned(),
                    });
                }
            }
        });
        let call = context
            .model
            .complete(request, on_delta.as_ref().map(|f| f as &OnDelta));
        tokio::pin!(call);
        if !self.unwritten.is_empty() {
            tokio::select! {
                reply = &mut call => return reply.map_err(model_failed),
                stop = self.stopped() => return Err(stop),
                () = tokio::time::sleep(OPENING_EVENTS_WAIT) => {}
            }
            self.append(&[]).await?;
        }
        tokio::select! {
            reply = &mut call => reply.map_err(model_failed),
            stop = self.stopped() => Err(stop),
        }
    }

    pub(crate) fn check_held(&self) -> Result<(), Unfinished> {
        unfinished_by(*self.signal.borrow()).map_or(Ok(()), Err)
    }

    /// Waits until the dispatcher says stop; why.
    async fn stopped(&self) -> Unfinished {
        let mut signal = self.signal.clone();
        let signal = signal
            .wait_for(|s| *s != RunSignal::Run)
            .await
            .map_or(RunSignal::LeaseLost, |s| *s);
        unfinished_by(signal).unwrap_or(Unfinished::LeaseLost)
    }

    /// Finds the assistant, runs the conversation; the final answer.
    async fn work(&mut self) -> Result<String, Unfinished> {
        let (assistant, actor) = self.runner().await?;
        self.actor = Some(actor);
        let resolved = self
            .context
            .services
            .registry
            .resolve(&engine_principal(), assistant)
            .await?;
        let messages = vec![
            ModelMessage::new(Role::System, resolved.assistant.draft.instructions.clone()),
            ModelMessage::new(Role::User, self.brief().await?),
        ];
        self.converse(&resolved, Conversation::Task, messages).await
    }
}

fn unfinished_by(signal: RunSignal) -> Option<Unfinished> {
    match signal {
        RunSignal::Run => None,
        RunSignal::LeaseLost => Some(Unfinished::LeaseLost),
        RunSignal::WorkerStopping => Some(Unfinished::Released),
    }
}
