//! The ports an agent turn goes through: the model client (an OpenAI-compatible
//! endpoint, or the offline script) and tool executors (for tools that are not
//! built in and not a sub-assistant).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Result;

/// Who said a message of a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

/// One message of the conversation a model continues.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelMessage {
    pub role: Role,
    pub content: String,
    /// The calls an assistant message asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The call a tool message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl ModelMessage {
    #[must_use]
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

/// A function call a model asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments, as the JSON object the model wrote.
    pub arguments: Value,
}

/// A tool a model may call, as function-calling describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments.
    pub parameters: Value,
}

/// What a model is asked: continue `messages` as `assistant` on `model`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelRequest {
    /// The registry assistant's name (providers are chosen by it; the offline
    /// script keys replies by it).
    pub assistant: String,
    pub model: String,
    pub messages: Vec<ModelMessage>,
    pub tools: Vec<ToolSpec>,
    /// Structured output: the answer's content must be JSON of this schema.
    pub output: Option<OutputSchema>,
    /// The plan task's id as its author gave it (stable from run to run: the
    /// offline script keys a replayed plan's replies by it).
    pub task: Option<String>,
    /// Set for an assistant of type `openai_api`: it runs on the provider.
    pub hosted: Option<Hosted>,
}

/// A JSON Schema an answer must follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputSchema {
    /// Names the format to the provider (`[a-zA-Z0-9_-]`).
    pub name: String,
    pub schema: Value,
}

/// An assistant that lives on the provider (type `openai_api`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hosted {
    /// Its `openai_assistant_id`: the stored prompt the provider runs.
    pub prompt: String,
    /// The user's thread the work belongs to, which the provider keeps as a
    /// conversation.
    pub thread: Option<String>,
}

/// Tokens a call consumed, as the provider reported them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: i64,
    pub output_tokens: i64,
}

/// What a model answered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelReply {
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default)]
    pub usage: Usage,
}

/// Receives an answer's text as it streams.
pub type OnDelta = dyn Fn(&str) + Send + Sync;

/// A model provider. `on_delta`, when given, receives the answer's text as it
/// streams; the reply returned is always the whole answer. (No mockall double:
/// the offline script of `agentry-llm` is the test provider.)
#[async_trait]
pub trait ModelClient: Send + Sync {
    /// # Errors
    /// `Unavailable` for a provider that cannot answer now (the attempt fails
    /// and is retried), `Validation` for a request it refuses.
    async fn complete(
        &self,
        request: &ModelRequest,
        on_delta: Option<&OnDelta>,
    ) -> Result<ModelReply>;
}

/// Runs tools of kinds Agentry does not run itself.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ToolExecutor: Send + Sync {
    /// The tool's answer, or an error message the model is shown.
    async fn call(&self, tool: &str, input: &Value) -> std::result::Result<Value, String>;
}
