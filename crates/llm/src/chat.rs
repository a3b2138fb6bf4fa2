//! An OpenAI-compatible chat-completions client (`POST {base}/chat/completions`)
//! for a local server (llama.cpp, vLLM, Ollama) or a hosted one. Tools go as
//! functions, a schema as `response_format`; the answer's text, tool calls and
//! token usage come back, whole or streamed (server-sent deltas, parsed as
//! they arrive, usage at the end).
//!
//! A stream that breaks after it began is not tried again: its text was
//! already shown, so the attempt fails, and the engine retries it.

use agentry_domain::Result;
use agentry_domain::planning::{
    ModelClient, ModelMessage, ModelReply, ModelRequest, OnDelta, Role, ToolCall, Usage,
};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::sse::{Lines, data};
use crate::transport::{
    ANSWER_MAX_BYTES, ProviderConfig, TOOL_CALLS_MAX, Transport, arguments, malformed, next_chunk,
    read_json, text_of,
};

/// A chat-completions provider.
#[derive(Debug, Clone)]
pub struct ChatCompletions {
    transport: Transport,
    url: String,
}

impl ChatCompletions {
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(config: ProviderConfig) -> Result<Self> {
        let transport = Transport::new(config)?;
        let url = transport.url("chat/completions");
        Ok(Self { transport, url })
    }

    fn body(&self, request: &ModelRequest) -> Value {
        let mut body = json!({
            "model": request.model,
            "messages": request.messages.iter().map(message).collect::<Vec<_>>(),
        });
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|t| {
                    json!({"type": "function", "function": {
                        "name": t.name, "description": t.description, "parameters": t.parameters,
                    }})
                })
                .collect();
        }
        if let Some(output) = &request.output {
            body["response_format"] = json!({"type": "json_schema", "json_schema": {
                "name": output.name, "schema": output.schema, "strict": true,
            }});
        }
        if self.transport.config.stream {
            body["stream"] = json!(true);
            body["stream_options"] = json!({"include_usage": true});
        }
        body
    }

    async fn read_whole(response: reqwest::Response) -> Result<ModelReply> {
        let answer = read_json(response).await?;
        let message = answer["choices"][0]
            .get("message")
            .filter(|m| m.is_object())
            .ok_or_else(|| malformed("the answer has no choices[0].message".into()))?;
        let calls = match message.get("tool_calls") {
            Some(Value::Array(calls)) => calls
                .iter()
                .take(TOOL_CALLS_MAX)
                .map(|c| {
                    Ok(ToolCall {
                        id: text_of(&c["id"], "tool_calls[].id")?,
                        name: text_of(&c["function"]["name"], "tool_calls[].function.name")?,
                        arguments: arguments(&c["function"]["arguments"]),
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            _ => Vec::new(),
        };
        Ok(ModelReply {
            content: message["content"].as_str().unwrap_or_default().to_owned(),
            tool_calls: calls,
            usage: usage(&answer["usage"]),
        })
    }

    async fn read_stream(
        mut response: reqwest::Response,
        on_delta: Option<&OnDelta>,
    ) -> Result<ModelReply> {
        let mut lines = Lines::new(ANSWER_MAX_BYTES);
        let mut reply = ModelReply::default();
        // Tool calls by index: id, name, and the arguments' text as it grows.
        let mut calls: Vec<(String, String, String)> = Vec::new();
        loop {
            let chunk = next_chunk(&mut response, "[DONE]").await?;
            for line in lines.push(&chunk).map_err(|e| malformed(e.0))? {
                let Some(event) = data(&line) else {
                    continue;
                };
                if event == "[DONE]" {
                    reply.tool_calls = calls
                        .into_iter()
                        .map(|(id, name, args)| ToolCall {
                            id,
                            name,
                            arguments: arguments(&Value::String(args)),
                        })
                        .collect();
                    return Ok(reply);
                }
                let event: Value = serde_json::from_str(event)
                    .map_err(|e| malformed(format!("a streamed event is not JSON: {e}")))?;
                if event["usage"].is_object() {
                    reply.usage = usage(&event["usage"]);
                }
                let delta = &event["choices"][0]["delta"];
                if let Some(text) = delta["content"].as_str() {
                    reply.content.push_str(text);
                    if let Some(on_delta) = on_delta {
                        on_delta(text);
                    }
                }
                for call in delta["tool_calls"].as_array().into_iter().flatten() {
                    let index = call["index"]
                        .as_u64()
                        .and_then(|i| usize::try_from(i).ok())
                        .filter(|i| *i < TOOL_CALLS_MAX)
                        .ok_or_else(|| {
                            malformed("a tool call's index is missing or too large".into())
                        })?;
                    if calls.len() <= index {
                        calls.resize_with(index + 1, Default::default);
                    }
                    let (id, name, args) = &mut calls[index];
                    if let Some(part) = call["id"].as_str() {
                        part.clone_into(id);
                    }
                    if let Some(part) = call["function"]["name"].as_str() {
                        name.push_str(part);
                    }
                    if let Some(part) = call["function"]["arguments"].as_str() {
                        args.push_str(part);
                    }
                }
            }
        }
    }
}

#[async_trait]
impl ModelClient for ChatCompletions {
    async fn complete(
        &self,
        request: &ModelRequest,
        on_delta: Option<&OnDelta>,
    ) -> Result<ModelReply> {
        let response = self.transport.post(&self.url, &self.body(request)).await?;
        if self.transport.config.stream {
            Self::read_stream(response, on_delta).await
        } else {
            Self::read_whole(response).await
        }
    }
}

/// A message as chat completions takes it.
fn message(m: &ModelMessage) -> Value {
    match m.role {
        Role::Assistant if !m.tool_calls.is_empty() => json!({
            "role": "assistant",
            "content": if m.content.is_empty() { Value::Null } else { json!(m.content) },
            "tool_calls": m.tool_calls.iter().map(|c| json!({
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments.to_string()},
            })).collect::<Vec<_>>(),
        }),
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": m.tool_call_id,
            "content": m.content,
        }),
        role => json!({"role": role, "content": m.content}),
    }
}

fn usage(reported: &Value) -> Usage {
    Usage {
        input_tokens: reported["prompt_tokens"].as_i64().unwrap_or(0),
        output_tokens: reported["completion_tokens"].as_i64().unwrap_or(0),
    }
}
