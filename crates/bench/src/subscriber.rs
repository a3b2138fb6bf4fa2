//! Live-feed clients: a WebSocket (`GET /api/v1/ws`) or a server-sent-events
//! stream (`GET /api/v1/events/stream`), each read as the text of one message
//! after another. The SSE client is as lean as the WebSocket one, a socket
//! read in the subscriber's own task: a hyper client connection, with a task
//! of its own driving it and a channel to its body, cost the harness twice
//! as much per message, on the cores the server shares.

use std::net::SocketAddr;

use anyhow::{Context as _, bail};
use futures::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::header::AUTHORIZATION;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How a subscriber is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    WebSocket,
    Sse,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Self::WebSocket => "WebSocket",
            Self::Sse => "SSE",
        }
    }
}

/// One open live feed.
pub enum Subscriber {
    Ws(Box<WebSocketStream<MaybeTlsStream<TcpStream>>>),
    Sse {
        stream: TcpStream,
        /// Bytes read and not yet decoded (HTTP/1.1 chunks).
        raw: Vec<u8>,
        /// Decoded event-stream bytes not yet split into events.
        text: Vec<u8>,
    },
}

/// What the start of `raw` holds of a chunked body.
enum Chunk {
    /// A chunk's data, and the bytes it took in all.
    Data(std::ops::Range<usize>, usize),
    /// The last chunk: the body is over.
    End,
    Incomplete,
}

fn chunk(raw: &[u8]) -> anyhow::Result<Chunk> {
    let Some(line) = raw.windows(2).position(|w| w == b"\r\n") else {
        return Ok(Chunk::Incomplete);
    };
    let size = std::str::from_utf8(&raw[..line])?;
    let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
        .with_context(|| format!("a chunk size: {size:?}"))?;
    if size == 0 {
        return Ok(Chunk::End);
    }
    let start = line + 2;
    let taken = start + size + 2;
    if raw.len() < taken {
        return Ok(Chunk::Incomplete);
    }
    Ok(Chunk::Data(start..start + size, taken))
}

impl Subscriber {
    /// Subscribes as `token`'s user with `query` (`project_id=…&types=…`).
    pub async fn open(
        transport: Transport,
        addr: SocketAddr,
        token: &str,
        query: &str,
    ) -> anyhow::Result<Self> {
        let bearer = format!("Bearer {token}");
        match transport {
            Transport::WebSocket => {
                let mut request = format!("ws://{addr}/api/v1/ws?{query}").into_client_request()?;
                request.headers_mut().insert(AUTHORIZATION, bearer.parse()?);
                // Messages are small: tungstenite's default 128 KiB read buffer,
                // zeroed for each read, cost the harness more than the reading.
                let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
                let (socket, _) =
                    tokio_tungstenite::connect_async_with_config(request, Some(config), true)
                        .await
                        .context("opening a WebSocket")?;
                Ok(Self::Ws(Box::new(socket)))
            }
            Transport::Sse => {
                let mut stream = TcpStream::connect(addr).await?;
                stream.set_nodelay(true)?;
                let request = format!(
                    "GET /api/v1/events/stream?{query} HTTP/1.1\r\nHost: {addr}\r\n\
                     Authorization: {bearer}\r\nAccept: text/event-stream\r\n\r\n"
                );
                stream.write_all(request.as_bytes()).await?;
                let mut raw = Vec::with_capacity(4096);
                let head = loop {
                    if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                        break end + 4;
                    }
                    if stream.read_buf(&mut raw).await? == 0 {
                        bail!("the event stream closed before its headers");
                    }
                };
                let headers = String::from_utf8_lossy(&raw[..head]).to_ascii_lowercase();
                if !headers.starts_with("http/1.1 200") {
                    bail!(
                        "the event stream was refused: {}",
                        headers.lines().next().unwrap_or("")
                    );
                }
                if !headers.contains("transfer-encoding: chunked") {
                    bail!("the event stream is not chunked: {headers}");
                }
                raw.drain(..head);
                Ok(Self::Sse {
                    stream,
                    raw,
                    text: Vec::new(),
                })
            }
        }
    }

    /// The next message's text: a WebSocket text message, or an event's
    /// `data:`; `None` once the feed ends.
    pub async fn next(&mut self) -> Option<String> {
        match self {
            Self::Ws(socket) => loop {
                match socket.next().await? {
                    Ok(Message::Text(text)) => return Some(text.as_str().to_owned()),
                    Ok(Message::Close(_)) | Err(_) => return None,
                    Ok(_) => {}
                }
            },
            Self::Sse { stream, raw, text } => loop {
                if let Some(end) = text.windows(2).position(|w| w == b"\n\n") {
                    let data = text[..end]
                        .split(|b| *b == b'\n')
                        .find_map(|l| l.strip_prefix(b"data:"))
                        .map(|d| String::from_utf8_lossy(d.trim_ascii_start()).into_owned());
                    text.drain(..end + 2);
                    match data {
                        Some(data) => return Some(data),
                        None => continue, // a keep-alive comment
                    }
                }
                match chunk(raw).ok()? {
                    Chunk::Data(data, taken) => {
                        text.extend_from_slice(&raw[data]);
                        raw.drain(..taken);
                    }
                    Chunk::End => return None,
                    Chunk::Incomplete => {
                        if stream.read_buf(raw).await.ok()? == 0 {
                            return None;
                        }
                    }
                }
            },
        }
    }
}
