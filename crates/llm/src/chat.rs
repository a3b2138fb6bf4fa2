//! An OpenAI-compatible chat-completions client (`POST {base}/chat/completions`)
//! for a local server (llama.cpp, vLLM, Ollama) or a hosted one. Tools go as
//! functions, a schema as `response_format`; the answer's text, tool calls and
//! token usage come back, whole or streamed (server-sent deltas, parsed as
//! they arrive, usage at the end).
//!
//! A streamed error (`data: {"error": …}`) fails the answer, though the
//! provider may go on to end the stream as usual.
//!
//! A stream that breaks after it began is not tried again: its text was
//! already shown, so the attempt fails, and the engine retries it.

mod wire;

use agentry_domain::Result;
use agentry_domain::planning::{ModelClient, ModelReply, ModelRequest, OnDelta, ToolCall};
use async_trait::async_trait;
use serde_json::Value;

use crate::sse::EventStream;
use crate::transport::{
    ANSWER_MAX_BYTES, ProviderConfig, ProviderError, TOOL_CALLS_MAX, Transport, arguments,
    malformed, parse, read_json,
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

    async fn read_whole(response: reqwest::Response) -> Result<ModelReply> {
        let answer: wire::Completion = read_json(response).await?;
        let usage = answer.usage.map(Into::into).unwrap_or_default();
        let message = answer
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| malformed("the answer has no choices[0].message".into()))?
            .message;
        let mut calls = message.tool_calls.unwrap_or_default();
        calls.truncate(TOOL_CALLS_MAX);
        Ok(ModelReply {
            content: message.content.unwrap_or_default(),
            tool_calls: calls
                .into_iter()
                .map(|c| ToolCall {
                    id: c.id,
                    name: c.function.name,
                    arguments: arguments(c.function.arguments),
                })
                .collect(),
            usage,
        })
    }

    async fn read_stream(
        response: reqwest::Response,
        on_delta: Option<&OnDelta>,
    ) -> Result<ModelReply> {
        let mut events = EventStream::new(response, ANSWER_MAX_BYTES, "[DONE]");
        let mut reply = ModelReply::default();
        // Tool calls by index: id, name, and the arguments' text as it grows.
        let mut calls: Vec<(String, String, String)> = Vec::new();
        loop {
            let event = events.next().await?;
            if event.data == "[DONE]" {
                reply.tool_calls = calls
                    .into_iter()
                    .map(|(id, name, args)| ToolCall {
                        id,
                        name,
                        arguments: arguments(Value::String(args)),
                    })
                    .collect();
                return Ok(reply);
            }
            let chunk: wire::Chunk = parse(event.data.as_bytes(), "a streamed event")?;
            if let Some(error) = &chunk.error {
                return Err(ProviderError::failed(Some(error)));
            }
            if let Some(usage) = chunk.usage {
                reply.usage = usage.into();
            }
            let Some(delta) = chunk
                .choices
                .and_then(|c| c.into_iter().next())
                .and_then(|c| c.delta)
            else {
                continue;
            };
            if let Some(text) = delta.content {
                if let Some(on_delta) = on_delta {
                    on_delta(&text);
                }
                reply.content.push_str(&text);
            }
            for call in delta.tool_calls.into_iter().flatten() {
                if call.index >= TOOL_CALLS_MAX {
                    return Err(malformed(format!(
                        "a tool call's index is {}, past the {TOOL_CALLS_MAX} an answer may make",
                        call.index
                    )));
                }
                if calls.len() <= call.index {
                    calls.resize_with(call.index + 1, Default::default);
                }
                let (id, name, args) = &mut calls[call.index];
                if let Some(part) = call.id {
                    *id = part;
                }
                if let Some(function) = call.function {
                    name.push_str(function.name.as_deref().unwrap_or_default());
                    args.push_str(function.arguments.as_deref().unwrap_or_default());
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
        let stream = self.transport.config.stream;
        let body = wire::Request::new(request, stream);
        let response = self.transport.post(&self.url, &body).await?;
        if stream {
            Self::read_stream(response, on_delta).await
        } else {
            Self::read_whole(response).await
        }
    }
}
