//! The Responses API's wire format. A request borrows what it sends from the
//! domain's `ModelRequest`, so nothing large is copied to send it; a
//! response, whole or streamed, is read into types that ignore fields, output
//! items and events they do not know and fail, naming the field, when one the
//! reply needs is missing or of another type.

use agentry_domain::planning::{self, ModelMessage, ModelRequest, Role};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::transport::{JsonText, ProviderError};

/// The body of `POST /responses`.
#[derive(Serialize)]
pub(super) struct Request<'a> {
    model: &'a str,
    input: Vec<Item<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instructions: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt: Option<Prompt<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<Tool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<Text<'a>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
}

impl<'a> Request<'a> {
    /// `request` in `conversation` if any, sending `new` as its input.
    pub(super) fn new(
        request: &'a ModelRequest,
        new: &'a [ModelMessage],
        conversation: Option<&'a str>,
        stream: bool,
    ) -> Self {
        let instructions: Vec<&str> = request
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| m.content.as_str())
            .collect();
        Self {
            model: &request.model,
            input: new
                .iter()
                .filter(|m| m.role != Role::System)
                .flat_map(items)
                .collect(),
            instructions: (!instructions.is_empty()).then(|| instructions.join("\n\n")),
            prompt: request.hosted.as_ref().map(|h| Prompt { id: &h.prompt }),
            conversation,
            tools: request
                .tools
                .iter()
                .map(|t| Tool {
                    kind: "function",
                    name: &t.name,
                    description: &t.description,
                    parameters: &t.parameters,
                })
                .collect(),
            text: request.output.as_ref().map(|o| Text {
                format: Format {
                    kind: "json_schema",
                    name: &o.name,
                    schema: &o.schema,
                    strict: true,
                },
            }),
            stream,
        }
    }
}

/// A message as the input items the Responses API takes.
fn items(m: &ModelMessage) -> Vec<Item<'_>> {
    match m.role {
        Role::Tool => vec![Item::Call(Call::FunctionCallOutput {
            call_id: m.tool_call_id.as_deref(),
            output: &m.content,
        })],
        Role::Assistant => {
            let mut items = Vec::with_capacity(m.tool_calls.len() + 1);
            if !m.content.is_empty() {
                items.push(Item::Message {
                    role: m.role,
                    content: &m.content,
                });
            }
            items.extend(m.tool_calls.iter().map(|c| {
                Item::Call(Call::FunctionCall {
                    call_id: &c.id,
                    name: &c.name,
                    arguments: JsonText(&c.arguments),
                })
            }));
            items
        }
        role => vec![Item::Message {
            role,
            content: &m.content,
        }],
    }
}

/// An input item: a message has a role and no type; the others, a type.
#[derive(Serialize)]
#[serde(untagged)]
enum Item<'a> {
    Message { role: Role, content: &'a str },
    Call(Call<'a>),
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Call<'a> {
    FunctionCall {
        call_id: &'a str,
        name: &'a str,
        arguments: JsonText<'a>,
    },
    FunctionCallOutput {
        call_id: Option<&'a str>,
        output: &'a str,
    },
}

#[derive(Serialize)]
struct Prompt<'a> {
    id: &'a str,
}

#[derive(Serialize)]
struct Tool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

#[derive(Serialize)]
struct Text<'a> {
    format: Format<'a>,
}

#[derive(Serialize)]
struct Format<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    schema: &'a Value,
    strict: bool,
}

/// The body of `POST /conversations`: a conversation for one of our threads.
#[derive(Serialize)]
pub(super) struct NewConversation<'a> {
    metadata: Metadata<'a>,
}

impl<'a> NewConversation<'a> {
    pub(super) fn new(thread: &'a str) -> Self {
        Self {
            metadata: Metadata {
                agentry_thread: thread,
            },
        }
    }
}

#[derive(Serialize)]
struct Metadata<'a> {
    agentry_thread: &'a str,
}

/// A created conversation.
#[derive(Deserialize)]
pub(super) struct Conversation {
    pub(super) id: String,
}

/// A response object, whole or as a stream's last event carries it.
#[derive(Deserialize)]
pub(super) struct Response {
    pub(super) status: Option<String>,
    pub(super) error: Option<ProviderError>,
    /// Checked by hand, after `status`: a failed response need not have it.
    pub(super) output: Option<Vec<Output>>,
    pub(super) usage: Option<Usage>,
}

/// An output item; of those not listed, nothing is read.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Output {
    Message {
        content: Option<Vec<Part>>,
    },
    FunctionCall {
        call_id: String,
        name: String,
        /// The arguments' JSON as text; `null` when the model wrote none.
        #[serde(default)]
        arguments: Value,
    },
    #[serde(other)]
    Other,
}

/// A part of an output message; only text is kept.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Part {
    OutputText {
        text: String,
    },
    #[serde(other)]
    Other,
}

/// Tokens as the Responses API counts them.
#[derive(Deserialize)]
pub(super) struct Usage {
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
}

impl From<Usage> for planning::Usage {
    fn from(usage: Usage) -> Self {
        Self {
            input_tokens: usage.input_tokens.unwrap_or(0),
            output_tokens: usage.output_tokens.unwrap_or(0),
        }
    }
}

/// A streamed event; of those not listed, nothing is read.
#[derive(Deserialize)]
#[serde(tag = "type")]
pub(super) enum Event {
    #[serde(rename = "response.output_text.delta")]
    TextDelta { delta: String },
    #[serde(
        rename = "response.completed",
        alias = "response.incomplete",
        alias = "response.failed"
    )]
    Finished { response: Response },
    #[serde(rename = "error")]
    Failed {
        message: Option<String>,
        /// Where some servers put the message instead.
        error: Option<ProviderError>,
    },
    #[serde(other)]
    Other,
}

impl Event {
    /// Whether an event the stream names `kind` is one of those read: the
    /// others' data (the whole text again, item by item) is not parsed.
    pub(super) fn is_read(kind: &str) -> bool {
        matches!(
            kind,
            "response.output_text.delta"
                | "response.completed"
                | "response.incomplete"
                | "response.failed"
                | "error"
        )
    }
}
