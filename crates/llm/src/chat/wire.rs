//! The chat-completions wire format. A request borrows what it sends from
//! the domain's `ModelRequest`, so nothing large is copied to send it; an
//! answer, whole or streamed, is read into types that ignore fields they do
//! not know (providers add their own) and fail, naming the field, when one
//! the reply needs is missing or of another type.

use agentry_domain::planning::{self, ModelMessage, ModelRequest, Role};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::transport::{JsonText, ProviderError};

/// The body of `POST /chat/completions`.
#[derive(Serialize)]
pub(super) struct Request<'a> {
    model: &'a str,
    messages: Vec<Message<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<Tool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<ResponseFormat<'a>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

impl<'a> Request<'a> {
    pub(super) fn new(request: &'a ModelRequest, stream: bool) -> Self {
        Self {
            model: &request.model,
            messages: request.messages.iter().map(Message::from).collect(),
            tools: request
                .tools
                .iter()
                .map(|t| Tool {
                    kind: "function",
                    function: Function {
                        name: &t.name,
                        description: &t.description,
                        parameters: &t.parameters,
                    },
                })
                .collect(),
            response_format: request.output.as_ref().map(|o| ResponseFormat {
                kind: "json_schema",
                json_schema: JsonSchema {
                    name: &o.name,
                    schema: &o.schema,
                    strict: true,
                },
            }),
            stream,
            // Usage comes in a last chunk only when asked for.
            stream_options: stream.then_some(StreamOptions {
                include_usage: true,
            }),
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
enum Message<'a> {
    System {
        content: &'a str,
    },
    User {
        content: &'a str,
    },
    Assistant {
        /// `null` when the message only calls tools.
        content: Option<&'a str>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<Call<'a>>,
    },
    Tool {
        tool_call_id: Option<&'a str>,
        content: &'a str,
    },
}

impl<'a> From<&'a ModelMessage> for Message<'a> {
    fn from(m: &'a ModelMessage) -> Self {
        let content = m.content.as_str();
        match m.role {
            Role::System => Self::System { content },
            Role::User => Self::User { content },
            Role::Assistant => Self::Assistant {
                content: (m.tool_calls.is_empty() || !content.is_empty()).then_some(content),
                tool_calls: m
                    .tool_calls
                    .iter()
                    .map(|c| Call {
                        id: &c.id,
                        kind: "function",
                        function: CallFunction {
                            name: &c.name,
                            arguments: JsonText(&c.arguments),
                        },
                    })
                    .collect(),
            },
            Role::Tool => Self::Tool {
                tool_call_id: m.tool_call_id.as_deref(),
                content,
            },
        }
    }
}

#[derive(Serialize)]
struct Call<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: CallFunction<'a>,
}

#[derive(Serialize)]
struct CallFunction<'a> {
    name: &'a str,
    arguments: JsonText<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: Function<'a>,
}

#[derive(Serialize)]
struct Function<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

#[derive(Serialize)]
struct ResponseFormat<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    json_schema: JsonSchema<'a>,
}

#[derive(Serialize)]
struct JsonSchema<'a> {
    name: &'a str,
    schema: &'a Value,
    strict: bool,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

/// A whole answer.
#[derive(Deserialize)]
pub(super) struct Completion {
    pub(super) choices: Vec<Choice>,
    pub(super) usage: Option<Usage>,
}

#[derive(Deserialize)]
pub(super) struct Choice {
    pub(super) message: Answer,
}

/// The assistant's message of a whole answer.
#[derive(Deserialize)]
pub(super) struct Answer {
    pub(super) content: Option<String>,
    pub(super) tool_calls: Option<Vec<ToolCall>>,
}

#[derive(Deserialize)]
pub(super) struct ToolCall {
    pub(super) id: String,
    pub(super) function: ToolCallFunction,
}

#[derive(Deserialize)]
pub(super) struct ToolCallFunction {
    pub(super) name: String,
    /// The arguments' JSON as text; `null` when the model wrote none.
    #[serde(default)]
    pub(super) arguments: Value,
}

/// Tokens as chat completions counts them.
#[derive(Deserialize)]
pub(super) struct Usage {
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
}

impl From<Usage> for planning::Usage {
    fn from(usage: Usage) -> Self {
        Self {
            input_tokens: usage.prompt_tokens.unwrap_or(0),
            output_tokens: usage.completion_tokens.unwrap_or(0),
        }
    }
}

/// One streamed chunk. Every part may be absent or `null`: the last chunk
/// of some servers has usage and no choices; a first one, a role only.
#[derive(Deserialize)]
pub(super) struct Chunk {
    pub(super) choices: Option<Vec<ChunkChoice>>,
    pub(super) usage: Option<Usage>,
    /// A failure the provider reports mid-stream (before it ends the stream
    /// as if all went well).
    pub(super) error: Option<ProviderError>,
}

#[derive(Deserialize)]
pub(super) struct ChunkChoice {
    pub(super) delta: Option<Delta>,
}

#[derive(Deserialize)]
pub(super) struct Delta {
    pub(super) content: Option<String>,
    pub(super) tool_calls: Option<Vec<ToolCallDelta>>,
}

/// A piece of the call at `index`: its id, and its name and arguments as
/// they grow.
#[derive(Deserialize)]
pub(super) struct ToolCallDelta {
    pub(super) index: usize,
    pub(super) id: Option<String>,
    pub(super) function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
pub(super) struct FunctionDelta {
    pub(super) name: Option<String>,
    pub(super) arguments: Option<String>,
}
