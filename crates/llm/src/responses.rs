//! The OpenAI Responses API (`POST {base}/responses`), which runs assistants
//! of type `openai_api` (the Assistants API they were made for was retired in
//! August 2026): the assistant's stored prompt, its conversation, function
//! tools, structured output, whole or streamed answers with usage.
//!
//! The user's thread is the conversation: a thread whose id is already a
//! conversation's (`conv_…`) is used as it is; any other gets a conversation
//! created for it on first use (`POST {base}/conversations`, with the thread's
//! id in its metadata), which this process then keeps using. A request with a
//! conversation sends only what is new since the model last spoke: the
//! conversation holds the rest, and the provider appends the answer.

use std::collections::HashMap;
use std::sync::Arc;

use agentry_domain::planning::{
    ModelClient, ModelMessage, ModelReply, ModelRequest, OnDelta, Role, ToolCall, Usage,
};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::sse::{Lines, data};
use crate::transport::{
    ANSWER_MAX_BYTES, ProviderConfig, TOOL_CALLS_MAX, Transport, arguments, malformed, next_chunk,
    read_json, text_of,
};

/// A Responses API provider.
#[derive(Debug, Clone)]
pub struct Responses {
    transport: Transport,
    url: String,
    /// Conversations created for threads, by thread id.
    conversations: Arc<tokio::sync::Mutex<HashMap<String, String>>>,
}

impl Responses {
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(config: ProviderConfig) -> Result<Self> {
        let transport = Transport::new(config)?;
        let url = transport.url("responses");
        Ok(Self {
            transport,
            url,
            conversations: Arc::default(),
        })
    }

    /// The conversation of `thread`, created on first use.
    async fn conversation(&self, thread: &str) -> Result<String> {
        if thread.starts_with("conv_") {
            return Ok(thread.to_owned());
        }
        // Held across the creation: two turns of one thread make one conversation.
        let mut known = self.conversations.lock().await;
        if let Some(id) = known.get(thread) {
            return Ok(id.clone());
        }
        let body = json!({"metadata": {"agentry_thread": thread}});
        let created = read_json(
            self.transport
                .post(&self.transport.url("conversations"), &body)
                .await?,
        )
        .await?;
        let id = text_of(&created["id"], "conversation id")?;
        known.insert(thread.to_owned(), id.clone());
        Ok(id)
    }

    fn body(&self, request: &ModelRequest, conversation: Option<&str>) -> Value {
        let instructions: Vec<&str> = request
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| m.content.as_str())
            .collect();
        let hosted = request.hosted.as_ref();
        let spoken = request
            .messages
            .iter()
            .rposition(|m| m.role == Role::Assistant);
        let new = match (conversation, spoken) {
            (Some(_), Some(last)) => &request.messages[last + 1..],
            _ => &request.messages[..],
        };
        let mut body = json!({
            "model": request.model,
            "input": new.iter().filter(|m| m.role != Role::System).flat_map(items).collect::<Vec<_>>(),
        });
        if !instructions.is_empty() {
            body["instructions"] = json!(instructions.join("\n\n"));
        }
        if let Some(hosted) = hosted {
            body["prompt"] = json!({"id": hosted.prompt});
        }
        if let Some(conversation) = conversation {
            body["conversation"] = json!(conversation);
        }
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|t| {
                    json!({"type": "function", "name": t.name, "description": t.description,
                           "parameters": t.parameters})
                })
                .collect();
        }
        if let Some(output) = &request.output {
            body["text"] = json!({"format": {
                "type": "json_schema", "name": output.name, "schema": output.schema, "strict": true,
            }});
        }
        if self.transport.config.stream {
            body["stream"] = json!(true);
        }
        body
    }

    async fn read_stream(
        mut response: reqwest::Response,
        on_delta: Option<&OnDelta>,
    ) -> Result<ModelReply> {
        let mut lines = Lines::new(ANSWER_MAX_BYTES);
        loop {
            let chunk = next_chunk(&mut response, "response.completed").await?;
            for line in lines.push(&chunk).map_err(|e| malformed(e.0))? {
                let Some(event) = data(&line) else {
                    continue;
                };
                let event: Value = serde_json::from_str(event)
                    .map_err(|e| malformed(format!("a streamed event is not JSON: {e}")))?;
                match event["type"].as_str().unwrap_or_default() {
                    "response.output_text.delta" => {
                        if let (Some(on_delta), Some(text)) = (on_delta, event["delta"].as_str()) {
                            on_delta(text);
                        }
                    }
                    "response.completed" | "response.incomplete" | "response.failed" => {
                        return reply(&event["response"]);
                    }
                    "error" => {
                        return Err(Error::unavailable(format!(
                            "the provider failed the answer: {}",
                            event["message"].as_str().unwrap_or("no message")
                        )));
                    }
                    _ => {}
                }
            }
        }
    }
}

#[async_trait]
impl ModelClient for Responses {
    async fn complete(
        &self,
        request: &ModelRequest,
        on_delta: Option<&OnDelta>,
    ) -> Result<ModelReply> {
        let conversation = match request.hosted.as_ref().and_then(|h| h.thread.as_deref()) {
            Some(thread) => Some(self.conversation(thread).await?),
            None => None,
        };
        let body = self.body(request, conversation.as_deref());
        let response = self.transport.post(&self.url, &body).await?;
        if self.transport.config.stream {
            Self::read_stream(response, on_delta).await
        } else {
            reply(&read_json(response).await?)
        }
    }
}

/// A message as the input items the Responses API takes.
fn items(m: &ModelMessage) -> Vec<Value> {
    match m.role {
        Role::Tool => vec![json!({
            "type": "function_call_output",
            "call_id": m.tool_call_id,
            "output": m.content,
        })],
        Role::Assistant => {
            let mut items = Vec::with_capacity(m.tool_calls.len() + 1);
            if !m.content.is_empty() {
                items.push(json!({"role": "assistant", "content": m.content}));
            }
            items.extend(m.tool_calls.iter().map(|c| {
                json!({"type": "function_call", "call_id": c.id, "name": c.name,
                       "arguments": c.arguments.to_string()})
            }));
            items
        }
        role => vec![json!({"role": role, "content": m.content})],
    }
}

/// A response object: its text, function calls and usage; a failed one is an error.
fn reply(response: &Value) -> Result<ModelReply> {
    if !response.is_object() {
        return Err(malformed("the answer is not a response object".into()));
    }
    if response["status"] == "failed" {
        return Err(Error::unavailable(format!(
            "the provider failed the answer: {}",
            response["error"]["message"]
                .as_str()
                .unwrap_or("no message")
        )));
    }
    let output = response["output"]
        .as_array()
        .ok_or_else(|| malformed("the answer has no output".into()))?;
    let mut reply = ModelReply {
        usage: Usage {
            input_tokens: response["usage"]["input_tokens"].as_i64().unwrap_or(0),
            output_tokens: response["usage"]["output_tokens"].as_i64().unwrap_or(0),
        },
        ..ModelReply::default()
    };
    for item in output {
        match item["type"].as_str().unwrap_or_default() {
            "message" => {
                for part in item["content"].as_array().into_iter().flatten() {
                    if part["type"] == "output_text" {
                        reply
                            .content
                            .push_str(part["text"].as_str().unwrap_or_default());
                    }
                }
            }
            "function_call" if reply.tool_calls.len() < TOOL_CALLS_MAX => {
                reply.tool_calls.push(ToolCall {
                    id: text_of(&item["call_id"], "output[].call_id")?,
                    name: text_of(&item["name"], "output[].name")?,
                    arguments: arguments(&item["arguments"]),
                });
            }
            _ => {}
        }
    }
    Ok(reply)
}
