//! An OpenAI-compatible chat-completions server on loopback (a `wiremock`
//! server) that answers as a model would: a function of what it is sent,
//! whole or streamed, with usage; it counts the tokens it reports and keeps
//! what it was asked.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What a model answers: text, calls as `(name, arguments)`, and usage.
pub struct Answer {
    pub content: String,
    pub calls: Vec<(String, Value)>,
    pub usage: (i64, i64),
}

/// What the server saw and reported.
#[derive(Default)]
pub struct Record {
    /// Each request's line and headers (lowercase, as on the wire) and body.
    pub requests: Vec<(String, Value)>,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

/// Serves `answer(body)` for every chat completion; its base URL and record.
pub async fn serve(
    answer: impl Fn(&Value) -> Answer + Send + Sync + 'static,
) -> (String, Arc<Mutex<Record>>) {
    let server = MockServer::start().await;
    let url = format!("{}/v1", server.uri());
    let record = Arc::new(Mutex::new(Record::default()));
    Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/v1/chat/completions"))
        .respond_with(Model {
            answer: Box::new(answer),
            record: record.clone(),
        })
        .mount(&server)
        .await;
    // The server stops when dropped: it lives as long as the test's runtime.
    tokio::spawn(async move {
        let _server = server;
        std::future::pending::<()>().await;
    });
    (url, record)
}

type Answering = Box<dyn Fn(&Value) -> Answer + Send + Sync>;

struct Model {
    answer: Answering,
    record: Arc<Mutex<Record>>,
}

impl Respond for Model {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let answer = (self.answer)(&body);
        let n = {
            let mut log = self.record.lock().unwrap();
            log.requests.push((head(request), body.clone()));
            log.input_tokens += answer.usage.0;
            log.output_tokens += answer.usage.1;
            log.requests.len()
        };
        if body["stream"] == true {
            ResponseTemplate::new(200).set_body_raw(streamed(&answer, n), "text/event-stream")
        } else {
            ResponseTemplate::new(200).set_body_json(whole(&answer, n))
        }
    }
}

/// `answer`'s calls as the `n`th answer gives them.
fn calls(answer: &Answer, n: usize) -> Vec<Value> {
    answer
        .calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| {
            json!({"index": i, "id": format!("call_{n}_{i}"), "type": "function",
                   "function": {"name": name, "arguments": args.to_string()}})
        })
        .collect()
}

fn usage(answer: &Answer) -> Value {
    json!({"prompt_tokens": answer.usage.0, "completion_tokens": answer.usage.1})
}

fn whole(answer: &Answer, n: usize) -> Value {
    let content = if answer.content.is_empty() {
        Value::Null
    } else {
        json!(answer.content)
    };
    let mut message = json!({"role": "assistant", "content": content});
    let calls = calls(answer, n);
    if !calls.is_empty() {
        message["tool_calls"] = json!(calls);
    }
    json!({"choices": [{"message": message}], "usage": usage(answer)})
}

fn streamed(answer: &Answer, n: usize) -> String {
    let mut events = Vec::new();
    // The text in two deltas, as a model streams it.
    let (a, b) = answer.content.split_at(answer.content.len() / 2);
    for part in [a, b].into_iter().filter(|p| !p.is_empty()) {
        events.push(json!({"choices": [{"delta": {"content": part}}]}));
    }
    let calls = calls(answer, n);
    if !calls.is_empty() {
        events.push(json!({"choices": [{"delta": {"tool_calls": calls}}]}));
    }
    events.push(json!({"choices": [], "usage": usage(answer)}));
    let mut body = String::new();
    for event in events {
        write!(body, "data: {event}\n\n").unwrap();
    }
    body.push_str("data: [DONE]\n\n");
    body
}

/// `request`'s line and headers as they came, lowercase.
fn head(request: &Request) -> String {
    let mut head = format!("{} {} http/1.1", request.method, request.url.path());
    for (name, value) in &request.headers {
        write!(head, "\r\n{name}: {}", value.to_str().unwrap_or_default()).unwrap();
    }
    head.to_lowercase()
}
