//! An OpenAI-compatible chat-completions server on loopback that answers as a
//! model would: a function of what it is sent, whole or streamed, with usage;
//! it counts the tokens it reports and keeps what it was asked.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// What a model answers: text, calls as `(name, arguments)`, and usage.
pub struct Answer {
    pub content: String,
    pub calls: Vec<(String, Value)>,
    pub usage: (i64, i64),
}

/// What the server saw and reported.
#[derive(Default)]
pub struct Record {
    pub requests: Vec<(String, Value)>,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

/// Serves `answer(body)` for every chat completion; its base URL and record.
pub async fn serve(
    answer: impl Fn(&Value) -> Answer + Send + Sync + 'static,
) -> (String, Arc<Mutex<Record>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let record = Arc::new(Mutex::new(Record::default()));
    let answer = Arc::new(answer);
    let log = record.clone();
    tokio::spawn(async move {
        let mut calls = 0u64;
        while let Ok((mut socket, _)) = listener.accept().await {
            let (head, body) = read_request(&mut socket).await;
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let reply = answer(&body);
            calls += 1;
            {
                let mut log = log.lock().unwrap();
                log.requests.push((head, body.clone()));
                log.input_tokens += reply.usage.0;
                log.output_tokens += reply.usage.1;
            }
            tokio::spawn(respond(socket, reply, body["stream"] == true, calls));
        }
    });
    (url, record)
}

async fn read_request(socket: &mut TcpStream) -> (String, Vec<u8>) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let n = socket.read(&mut buffer).await.unwrap();
        assert!(n > 0, "the client hung up mid-request");
        request.extend_from_slice(&buffer[..n]);
        let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&request[..end]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        if request.len() >= end + 4 + length {
            return (head, request[end + 4..end + 4 + length].to_vec());
        }
    }
}

async fn respond(mut socket: TcpStream, answer: Answer, stream: bool, n: u64) {
    let calls: Vec<Value> = answer
        .calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| {
            json!({"index": i, "id": format!("call_{n}_{i}"), "type": "function",
                   "function": {"name": name, "arguments": args.to_string()}})
        })
        .collect();
    let usage = json!({"prompt_tokens": answer.usage.0, "completion_tokens": answer.usage.1});
    if !stream {
        let content = if answer.content.is_empty() {
            Value::Null
        } else {
            json!(answer.content)
        };
        let mut message = json!({"role": "assistant", "content": content});
        if !calls.is_empty() {
            message["tool_calls"] = json!(calls);
        }
        let body = json!({"choices": [{"message": message}], "usage": usage}).to_string();
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = socket.write_all(response.as_bytes()).await;
        return;
    }
    let mut events = Vec::new();
    // The text in two deltas, as a model streams it.
    let (a, b) = answer.content.split_at(answer.content.len() / 2);
    for part in [a, b].into_iter().filter(|p| !p.is_empty()) {
        events.push(json!({"choices": [{"delta": {"content": part}}]}));
    }
    if !calls.is_empty() {
        events.push(json!({"choices": [{"delta": {"tool_calls": calls}}]}));
    }
    events.push(json!({"choices": [], "usage": usage}));
    let mut body = String::new();
    for event in events {
        body.push_str(&format!("data: {event}\n\n"));
    }
    body.push_str("data: [DONE]\n\n");
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n{body}"
    );
    let _ = socket.write_all(response.as_bytes()).await;
}
