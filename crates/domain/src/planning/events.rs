//! What plans and their runs record. Plans: created, status derived, deleted.
//! Runs: every step of an agent working a task, threaded by `parent_id` under its
//! `agent.started`:
//!
//! ```text
//! agent.started                      (parent: none, or the tool.called of a delegation)
//! ├─ turn.started
//! ├─ turn.completed {model, latency_ms, input_tokens, output_tokens, content, tool_calls}
//! ├─ tool.called {tool_name, input}
//! │  └─ tool.result {tool_name, input, output}   (parent: its tool.called)
//! ├─ agent.progress {progress}
//! ├─ reply.sent {content}
//! └─ agent.completed | agent.failed
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::{PlanStatus, UsageSnapshot};
use crate::event::event_kinds;
use crate::id::{AssistantId, PlanId};
use crate::shape::described_struct;
use crate::tracker::TaskResult;

event_kinds! {
    /// What happens to plans.
    pub enum PlanEvent {
        /// A plan was submitted with its tasks (each also has its `task_created`).
        PlanCreated(PlanCreated) = "plan_created" in Project,
        /// A plan's derived status changed with a change to its tasks.
        PlanStatus(PlanStatusChanged) = "plan_status" in Project,
        /// A plan was deleted, with its tasks and their events.
        PlanDeleted(PlanDeleted) = "plan_deleted" in Project,
        /// Retention pruned turns of the finished plan: what they used,
        /// summed with the previous snapshot, under its `plan_created`.
        UsageSnapshot(UsageSnapshot) = "usage.snapshot" in Project,
    }
}

event_kinds! {
    /// What an agent does while it works a task (docs/engine.md, "An agent turn
    /// and its events").
    pub enum AgentEvent {
        /// An attempt at a task began (or a sub-assistant was delegated to).
        AgentStarted(AgentStarted) = "agent.started" in Project,
        /// A model call began.
        TurnStarted(TurnStarted) = "turn.started" in Project,
        /// A model call ended: what it cost and what the model answered.
        TurnCompleted(TurnCompleted) = "turn.completed" in Project,
        /// The agent called a tool.
        ToolCalled(ToolCalled) = "tool.called" in Project,
        /// A tool answered (or failed; the model sees the error).
        ToolResult(ToolResult) = "tool.result" in Project,
        /// The agent reported how far it is.
        AgentProgress(AgentProgress) = "agent.progress" in Project,
        /// The agent's final answer.
        ReplySent(ReplySent) = "reply.sent" in Project,
        /// The attempt succeeded; the task is done.
        AgentCompleted(AgentCompleted) = "agent.completed" in Project,
        /// The attempt failed (an error, a lost lease, an abort).
        AgentFailed(AgentFailed) = "agent.failed" in Project,
    }
}

described_struct! {
    /// `plan_created`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct PlanCreated as "PlanCreatedPayload" {
        pub plan: PlanId,
        pub goal: String,
        pub tasks: u32,
    }
}

described_struct! {
    /// `plan_status`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct PlanStatusChanged as "PlanStatusPayload" {
        pub plan: PlanId,
        pub from: PlanStatus,
        pub to: PlanStatus,
    }
}

described_struct! {
    /// `plan_deleted`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct PlanDeleted as "PlanDeletedPayload" {
        pub plan: PlanId,
        pub goal: String,
        pub tasks: u32,
    }
}

described_struct! {
    /// `agent.started`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AgentStarted as "AgentStartedPayload" {
        pub assistant: AssistantId,
        pub assistant_name: String,
        /// 1 for the first attempt at the task; delegations carry their task's.
        pub attempt: u32,
        /// The lease's fencing token.
        pub fence: i64,
        pub worker: String,
    }
}

described_struct! {
    /// `turn.started`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TurnStarted as "TurnStartedPayload" {
        pub turn: u32,
        pub model: String,
    }
}

described_struct! {
    /// `turn.completed`: usage is summed from these (no side table).
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TurnCompleted as "TurnCompletedPayload" {
        pub turn: u32,
        pub model: String,
        pub assistant: AssistantId,
        pub assistant_name: String,
        pub latency_ms: i64,
        pub input_tokens: i64,
        pub output_tokens: i64,
        /// What the model said, clipped to 16 KiB.
        #[serde(default)]
        pub content: String,
        /// The calls it asked for: `[{id, name, arguments}]`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub tool_calls: Vec<Value>,
    }
}

described_struct! {
    /// `tool.called`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ToolCalled as "ToolCalledPayload" {
        pub tool_name: String,
        pub call_id: String,
        pub input: Value,
    }
}

described_struct! {
    /// `tool.result`; an `output` over 16 KiB is recorded as `{sha256, bytes}`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ToolResult as "ToolResultPayload" {
        pub tool_name: String,
        pub call_id: String,
        pub input: Value,
        pub output: Value,
        pub is_error: bool,
    }
}

described_struct! {
    /// `agent.progress`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AgentProgress as "AgentProgressPayload" {
        pub progress: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub message: Option<String>,
    }
}

described_struct! {
    /// `reply.sent`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ReplySent as "ReplySentPayload" {
        pub content: String,
    }
}

described_struct! {
    /// `agent.completed`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AgentCompleted as "AgentCompletedPayload" {
        pub result: TaskResult,
    }
}

described_struct! {
    /// `agent.failed`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AgentFailed as "AgentFailedPayload" {
        pub error: String,
        /// Whether the task waits for another attempt.
        pub retrying: bool,
    }
}

/// The type name usage is summed from.
pub const TURN_COMPLETED: &str = "turn.completed";

/// The type name of a plan's usage snapshot.
pub const USAGE_SNAPSHOT: &str = "usage.snapshot";

/// The longest model answer kept in `turn.completed` and `reply.sent`.
pub const RECORDED_TEXT_MAX: usize = 16 * 1024;

/// `text` as an event keeps it: without NULs, clipped to
/// [`RECORDED_TEXT_MAX`] bytes at a character's boundary.
#[must_use]
pub fn recorded_text(text: &str) -> String {
    let mut end = text.len().min(RECORDED_TEXT_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].replace('\0', "")
}

/// The largest tool input, output or answer an event keeps as it is.
pub const RECORDED_JSON_MAX: usize = 16 * 1024;

/// `value` if it serializes to at most [`RECORDED_JSON_MAX`] bytes, else its
/// digest and size, so an event stays under the log's payload limit.
#[must_use]
pub fn bounded_json(value: Value) -> Value {
    let bytes = serde_json::to_vec(&value).unwrap_or_default();
    if bytes.len() <= RECORDED_JSON_MAX && !crate::text::json_has_nul(&value) {
        return value;
    }
    json!({"sha256": hex::encode(Sha256::digest(&bytes)), "bytes": bytes.len()})
}

#[cfg(test)]
mod tests {
    use crate::event::Kinds as _;

    #[test]
    fn usage_reads_the_declared_kind() {
        assert!(
            super::AgentEvent::SPECS
                .iter()
                .any(|k| k.type_name == super::TURN_COMPLETED)
        );
    }
}
