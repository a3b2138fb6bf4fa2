//! An OpenAI-compatible chat-completions client (`POST {base}/chat/completions`)
//! for a local server (llama.cpp, vLLM, Ollama) or a hosted one. Tools go as
//! functions; the answer's text, tool calls and token usage come back, whole
//! or streamed (server-sent deltas, parsed as they arrive, usage at the end).
//!
//! A request the provider may answer later — 429, a 5xx, a connection refused
//! or timed out — is tried again with backoff, waiting what `Retry-After` asks
//! when it says. A stream that breaks after it began is not: its text was
//! already shown, so the attempt fails, and the engine retries it.

use std::time::Duration;

use agentry_domain::planning::{
    ModelClient, ModelMessage, ModelReply, ModelRequest, OnDelta, Role, ToolCall, Usage,
};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::{Value, json};

use crate::sse::{Lines, data};

/// The longest wait a `Retry-After` may ask for: a provider asking for more
/// is treated as unavailable now.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(60);

/// The largest answer read: a whole body, or one streamed line.
const ANSWER_MAX_BYTES: usize = 8 * 1024 * 1024;

/// The most tool calls one answer may make.
const TOOL_CALLS_MAX: usize = 128;

/// How much of a refusal's text is kept in the error.
const REFUSAL_TEXT_MAX: usize = 500;

/// Where a provider is and how to talk to it.
#[derive(Clone)]
pub struct ChatConfig {
    /// Up to the API's version: `https://api.openai.com/v1`,
    /// `http://127.0.0.1:8081/v1`.
    pub base_url: String,
    /// Sent as a bearer token; never logged nor printed.
    pub api_key: Option<String>,
    /// For connecting and for each wait on the provider (the answer's start;
    /// streamed, each wait between deltas).
    pub timeout: Duration,
    /// Ask for server-sent deltas.
    pub stream: bool,
    /// Tries after the first, for answers the provider may give later.
    pub max_retries: u32,
    /// The first retry's wait when the provider names none; doubled each time.
    pub backoff: Duration,
}

impl std::fmt::Debug for ChatConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("stream", &self.stream)
            .field("max_retries", &self.max_retries)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// A chat-completions provider.
#[derive(Debug, Clone)]
pub struct ChatCompletions {
    config: ChatConfig,
    url: String,
    http: reqwest::Client,
}

/// Why a request got no answer to read.
enum Failure {
    /// Worth trying again, after what the provider asked for if it did.
    Later {
        after: Option<Duration>,
        why: String,
    },
    /// Not worth it.
    Final(Error),
}

impl ChatCompletions {
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(config: ChatConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout)
            .read_timeout(config.timeout)
            .build()
            .map_err(Error::internal)?;
        let url = format!("{}/chat/completions", config.base_url.trim_end_matches('/'));
        Ok(Self { config, url, http })
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
        if self.config.stream {
            body["stream"] = json!(true);
            body["stream_options"] = json!({"include_usage": true});
        }
        body
    }

    async fn send(&self, body: &Value) -> std::result::Result<reqwest::Response, Failure> {
        let mut request = self.http.post(&self.url).json(body);
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|e| Failure::Later {
            after: None,
            why: format!("the provider did not answer: {e}"),
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let after = retry_after(response.headers());
        let text = read_capped(response, REFUSAL_TEXT_MAX * 4)
            .await
            .map(|b| refusal_text(&b))
            .unwrap_or_default();
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return match after {
                Some(wait) if wait > RETRY_AFTER_MAX => Err(Failure::Final(Error::unavailable(
                    format!("the provider asks to wait {wait:?} ({status}): {text}"),
                ))),
                _ => Err(Failure::Later {
                    after,
                    why: format!("the provider is unavailable ({status}): {text}"),
                }),
            };
        }
        Err(Failure::Final(Error::validation(
            "model",
            format!("the provider refused the request ({status}): {text}"),
        )))
    }

    async fn read_whole(&self, response: reqwest::Response) -> Result<ModelReply> {
        let bytes = read_capped(response, ANSWER_MAX_BYTES)
            .await
            .map_err(Error::unavailable)?;
        let answer: Value = serde_json::from_slice(&bytes)
            .map_err(|e| malformed(format!("the answer is not JSON: {e}")))?;
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
        &self,
        mut response: reqwest::Response,
        on_delta: Option<&OnDelta>,
    ) -> Result<ModelReply> {
        let mut lines = Lines::new(ANSWER_MAX_BYTES);
        let mut reply = ModelReply::default();
        // Tool calls by index: id, name, and the arguments' text as it grows.
        let mut calls: Vec<(String, String, String)> = Vec::new();
        loop {
            let chunk = response
                .chunk()
                .await
                .map_err(|e| Error::unavailable(format!("the stream broke: {e}")))?
                .ok_or_else(|| Error::unavailable("the stream ended before [DONE]"))?;
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
        let body = self.body(request);
        let mut tried = 0;
        let response = loop {
            match self.send(&body).await {
                Ok(response) => break response,
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::Later { why, .. }) if tried >= self.config.max_retries => {
                    return Err(Error::unavailable(why));
                }
                Err(Failure::Later { after, .. }) => {
                    let doubled = self
                        .config
                        .backoff
                        .saturating_mul(1 << tried.min(16))
                        .min(RETRY_AFTER_MAX);
                    tokio::time::sleep(after.unwrap_or(doubled)).await;
                    tried += 1;
                }
            }
        };
        if self.config.stream {
            self.read_stream(response, on_delta).await
        } else {
            self.read_whole(response).await
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

/// A call's arguments: the JSON its text holds, else the text itself (the
/// model sees its own mistake in the tool's error).
fn arguments(raw: &Value) -> Value {
    match raw {
        Value::String(text) if text.trim().is_empty() => json!({}),
        Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| raw.clone()),
        Value::Null => json!({}),
        other => other.clone(),
    }
}

fn usage(reported: &Value) -> Usage {
    Usage {
        input_tokens: reported["prompt_tokens"].as_i64().unwrap_or(0),
        output_tokens: reported["completion_tokens"].as_i64().unwrap_or(0),
    }
}

fn text_of(value: &Value, what: &str) -> Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| malformed(format!("the answer has no {what}")))
}

fn malformed(why: String) -> Error {
    Error::unavailable(format!("the provider's answer is malformed: {why}"))
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.to_utc() - chrono::Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// An error body's message, `error.message` when it has one, bounded.
fn refusal_text(body: &[u8]) -> String {
    let text = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    text.chars().take(REFUSAL_TEXT_MAX).collect()
}

/// The body, refusing one past `max` bytes.
async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> std::result::Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("the answer broke off: {e}"))?
    {
        if body.len() + chunk.len() > max {
            return Err(format!("the answer is longer than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
