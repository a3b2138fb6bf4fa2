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

mod wire;

use std::collections::HashMap;
use std::sync::Arc;

use agentry_domain::Result;
use agentry_domain::planning::{ModelClient, ModelReply, ModelRequest, OnDelta, Role, ToolCall};
use async_trait::async_trait;

use crate::sse::EventStream;
use crate::transport::{
    ANSWER_MAX_BYTES, ProviderConfig, ProviderError, TOOL_CALLS_MAX, Transport, arguments,
    malformed, parse, read_json,
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
        let url = self.transport.url("conversations");
        let body = wire::NewConversation::new(thread);
        let created: wire::Conversation =
            read_json(self.transport.post(&url, &body).await?).await?;
        known.insert(thread.to_owned(), created.id.clone());
        Ok(created.id)
    }

    async fn read_stream(
        response: reqwest::Response,
        on_delta: Option<&OnDelta>,
    ) -> Result<ModelReply> {
        let mut events = EventStream::new(response, ANSWER_MAX_BYTES, "response.completed");
        loop {
            let event = events.next().await?;
            if event
                .kind
                .as_deref()
                .is_some_and(|k| !wire::Event::is_read(k))
            {
                continue;
            }
            match parse(event.data.as_bytes(), "a streamed event")? {
                wire::Event::TextDelta { delta } => {
                    if let Some(on_delta) = on_delta {
                        on_delta(&delta);
                    }
                }
                wire::Event::Finished { response } => return reply(response),
                wire::Event::Failed { message, error } => {
                    let message = message.or(error.and_then(|e| e.message));
                    return Err(ProviderError::failed(Some(&ProviderError { message })));
                }
                wire::Event::Other => {}
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
        // With a conversation, only what is new since the model last spoke.
        let spoken = request
            .messages
            .iter()
            .rposition(|m| m.role == Role::Assistant);
        let new = match (&conversation, spoken) {
            (Some(_), Some(last)) => &request.messages[last + 1..],
            _ => &request.messages[..],
        };
        let stream = self.transport.config.stream;
        let body = wire::Request::new(request, new, conversation.as_deref(), stream);
        let response = self.transport.post(&self.url, &body).await?;
        if stream {
            Self::read_stream(response, on_delta).await
        } else {
            reply(read_json(response).await?)
        }
    }
}

/// A response object: its text, function calls and usage; a failed one is an error.
fn reply(response: wire::Response) -> Result<ModelReply> {
    if response.status.as_deref() == Some("failed") {
        return Err(ProviderError::failed(response.error.as_ref()));
    }
    let output = response
        .output
        .ok_or_else(|| malformed("the answer has no output".into()))?;
    let mut reply = ModelReply {
        usage: response.usage.map(Into::into).unwrap_or_default(),
        ..ModelReply::default()
    };
    for item in output {
        match item {
            wire::Output::Message { content } => {
                for part in content.into_iter().flatten() {
                    if let wire::Part::OutputText { text } = part {
                        reply.content.push_str(&text);
                    }
                }
            }
            wire::Output::FunctionCall {
                call_id,
                name,
                arguments: raw,
            } if reply.tool_calls.len() < TOOL_CALLS_MAX => {
                reply.tool_calls.push(ToolCall {
                    id: call_id,
                    name,
                    arguments: arguments(raw),
                });
            }
            wire::Output::FunctionCall { .. } | wire::Output::Other => {}
        }
    }
    Ok(reply)
}
