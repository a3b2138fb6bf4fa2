//! A scripted provider on loopback for the provider tests (a `wiremock`
//! server): it answers each request with the next scripted reply and keeps
//! what it was sent.

#![allow(dead_code, reason = "each test binary uses its own part")]

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentry_domain::Error;
use agentry_llm::ProviderConfig;
use serde_json::Value;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A provider at `url` with the key `sk-test-secret`, a 500 ms timeout and
/// two quick retries.
pub fn config(url: &str, stream: bool) -> ProviderConfig {
    ProviderConfig {
        base_url: url.to_owned(),
        api_key: Some("sk-test-secret".into()),
        timeout: Duration::from_millis(500),
        stream,
        max_retries: 2,
        backoff: Duration::from_millis(10),
    }
}

/// What the server answers one request with.
pub enum Reply {
    Whole {
        status: u16,
        headers: &'static str,
        body: String,
    },
    /// Server-sent events, each `data: <chunk>`; `[DONE]` at the end unless
    /// cut, when the stream just ends.
    Stream { chunks: Vec<Value>, cut: bool },
    /// An event stream exactly as given.
    Events(String),
    /// Takes the request and never answers.
    Silent,
}

pub fn ok(body: Value) -> Reply {
    Reply::Whole {
        status: 200,
        headers: "",
        body: body.to_string(),
    }
}

/// A request as the server saw it.
pub struct Seen {
    /// The request line and headers, lowercase, as on the wire.
    pub head: String,
    pub body: Value,
}

/// Serves `replies`, one per request, in order (a request past them gets a
/// 404); what it was sent.
pub async fn server(replies: Vec<Reply>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let server = MockServer::start().await;
    let url = format!("{}/v1", server.uri());
    let seen = Arc::new(Mutex::new(Vec::new()));
    Mock::given(wiremock::matchers::any())
        .respond_with(Script {
            replies: Mutex::new(replies.into()),
            seen: seen.clone(),
        })
        .mount(&server)
        .await;
    // The server stops when dropped: it lives as long as the test's runtime.
    tokio::spawn(async move {
        let _server = server;
        std::future::pending::<()>().await;
    });
    (url, seen)
}

struct Script {
    replies: Mutex<VecDeque<Reply>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Respond for Script {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.seen.lock().unwrap().push(Seen {
            head: head(request),
            body: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
        });
        let Some(reply) = self.replies.lock().unwrap().pop_front() else {
            return ResponseTemplate::new(404);
        };
        match reply {
            Reply::Whole {
                status,
                headers,
                body,
            } => {
                let mut template = ResponseTemplate::new(status);
                for header in headers.split("\r\n").filter(|h| !h.is_empty()) {
                    let (name, value) = header.split_once(':').unwrap();
                    template = template.insert_header(name, value.trim());
                }
                template.set_body_raw(body, "application/json")
            }
            Reply::Stream { chunks, cut } => {
                let mut body = String::new();
                for chunk in chunks {
                    writeln!(body, "data: {chunk}\n").unwrap();
                }
                if !cut {
                    body.push_str("data: [DONE]\n\n");
                }
                ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
            }
            Reply::Events(body) => {
                ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
            }
            Reply::Silent => ResponseTemplate::new(200).set_delay(Duration::from_secs(30)),
        }
    }
}

/// `request`'s line and headers as they came, lowercase.
fn head(request: &Request) -> String {
    let mut head = format!("{} {} http/1.1", request.method, request.url.path());
    for (name, value) in &request.headers {
        write!(head, "\r\n{name}: {}", value.to_str().unwrap_or_default()).unwrap();
    }
    head.to_lowercase()
}

/// Asserts that `err` is how a provider's bad answer reaches the engine (the
/// provider is unavailable, so the attempt is retried) and that its message
/// says each of `words`.
pub fn assert_unavailable_saying(err: &Error, words: &[&str]) {
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
    let said = format!("{err:?}");
    for word in words {
        assert!(said.contains(word), "{word:?} is not in {said}");
    }
}

/// What a streamed answer's deltas were, and the `on_delta` that collects them.
pub fn delta_sink() -> (Arc<Mutex<Vec<String>>>, impl Fn(&str) + Send + Sync) {
    let deltas = Arc::new(Mutex::new(Vec::new()));
    let sink = deltas.clone();
    let on_delta = move |text: &str| {
        sink.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(text.to_owned());
    };
    (deltas, on_delta)
}
