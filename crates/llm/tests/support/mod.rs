//! A real HTTP server on loopback for the provider tests: it answers each
//! connection with the next scripted reply and keeps what it was sent.

#![allow(dead_code, reason = "each test binary uses its own part")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentry_llm::ProviderConfig;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

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
    /// Server-sent events, each `data: <chunk>`; `[DONE]` at the end unless cut.
    Stream { chunks: Vec<Value>, cut: bool },
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
    pub head: String,
    pub body: Value,
}

/// Serves `replies`, one per connection, in order; what it was sent.
pub async fn server(replies: Vec<Reply>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        for reply in replies {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (head, body) = read_request(&mut socket).await;
            log.lock().unwrap().push(Seen {
                head,
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            });
            tokio::spawn(answer(socket, reply));
        }
    });
    (url, seen)
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

async fn answer(mut socket: TcpStream, reply: Reply) {
    match reply {
        Reply::Whole {
            status,
            headers,
            body,
        } => {
            let response = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{headers}\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
        Reply::Stream { chunks, cut } => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                        connection: close\r\n\r\n";
            let _ = socket.write_all(head.as_bytes()).await;
            for chunk in chunks {
                let event = format!("data: {chunk}\n\n");
                // Split each event across two writes: lines span chunks.
                let (a, b) = event.as_bytes().split_at(event.len() / 2);
                let _ = socket.write_all(a).await;
                let _ = socket.flush().await;
                tokio::time::sleep(Duration::from_millis(2)).await;
                let _ = socket.write_all(b).await;
            }
            if !cut {
                let _ = socket.write_all(b"data: [DONE]\n\n").await;
            }
        }
        Reply::Silent => tokio::time::sleep(Duration::from_secs(30)).await,
    }
}
