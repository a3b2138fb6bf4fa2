//! Live-feed clients: a WebSocket (`GET /api/v1/ws`) or a server-sent-events
//! stream (`GET /api/v1/events/stream`), each read as the text of one message
//! after another.

use std::net::SocketAddr;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use futures::StreamExt as _;
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, AUTHORIZATION, HOST};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
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
        body: Incoming,
        buffer: String,
        /// Drives the connection; it ends with the body.
        driver: JoinHandle<()>,
    },
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        if let Self::Sse { driver, .. } = self {
            driver.abort();
        }
    }
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
                let (socket, _) = tokio_tungstenite::connect_async(request)
                    .await
                    .context("opening a WebSocket")?;
                Ok(Self::Ws(Box::new(socket)))
            }
            Transport::Sse => {
                let stream = TcpStream::connect(addr).await?;
                stream.set_nodelay(true)?;
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
                let driver = tokio::spawn(async move {
                    let _ = connection.await;
                });
                let request = hyper::Request::get(format!("/api/v1/events/stream?{query}"))
                    .header(HOST, addr.to_string())
                    .header(AUTHORIZATION, bearer)
                    .header(ACCEPT, "text/event-stream")
                    .body(Empty::<Bytes>::new())?;
                let response = sender.send_request(request).await?;
                if !response.status().is_success() {
                    bail!("the event stream was refused: {}", response.status());
                }
                Ok(Self::Sse {
                    body: response.into_body(),
                    buffer: String::new(),
                    driver,
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
            Self::Sse { body, buffer, .. } => loop {
                if let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) {
                        return Some(data.trim_start().to_owned());
                    }
                    continue; // a keep-alive comment
                }
                let frame = body.frame().await?.ok()?;
                if let Ok(data) = frame.into_data() {
                    buffer.push_str(&String::from_utf8_lossy(&data));
                }
            },
        }
    }
}
