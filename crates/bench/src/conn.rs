//! The client side of the timed requests: one keep-alive HTTP/1.1 connection per
//! simulated client, driven in the task that uses it.
//!
//! The client shares the machine's two cores with the server it measures, so what
//! it costs counts against the server. reqwest hands every request to a pooled
//! connection that runs in a task of its own; measured here, that made an append
//! or a feed page about 200 µs slower than the same request from `wrk`. This client
//! does what `wrk` does: write the request, read the answer, on one socket, with no
//! pool and no hand-off between tasks.

use std::net::SocketAddr;
use std::pin::Pin;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One request: what a load sends again and again.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: Method,
    pub path: String,
    /// A JSON body.
    pub body: Option<Bytes>,
}

impl Call {
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            body: None,
        }
    }

    pub fn post(path: impl Into<String>, body: &serde_json::Value) -> anyhow::Result<Self> {
        Ok(Self {
            method: Method::POST,
            path: path.into(),
            body: Some(serde_json::to_vec(body)?.into()),
        })
    }
}

/// A connection as one client with a bearer token.
pub struct Conn {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
    /// Reads and writes the socket; polled only while a request is in flight.
    driver: Pin<Box<Connection<TokioIo<TcpStream>, Full<Bytes>>>>,
    host: String,
    bearer: String,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn").field("host", &self.host).finish()
    }
}

impl Conn {
    pub async fn open(addr: SocketAddr, token: &str) -> anyhow::Result<Self> {
        let (sender, driver) = Self::connect(addr).await?;
        Ok(Self {
            addr,
            sender,
            driver,
            host: addr.to_string(),
            bearer: format!("Bearer {token}"),
        })
    }

    async fn connect(
        addr: SocketAddr,
    ) -> anyhow::Result<(
        SendRequest<Full<Bytes>>,
        Pin<Box<Connection<TokioIo<TcpStream>, Full<Bytes>>>>,
    )> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, driver) = http1::handshake(TokioIo::new(stream)).await?;
        Ok((sender, Box::pin(driver)))
    }

    /// Opens the connection again if the server closed it while it sat idle
    /// (the server's keep-alive ends at its header timeout), as any client would.
    async fn reopen_if_closed(&mut self) -> anyhow::Result<()> {
        let closed = tokio::select! {
            biased;
            _ = self.driver.as_mut() => true,
            () = std::future::ready(()) => false,
        };
        if closed {
            (self.sender, self.driver) = Self::connect(self.addr).await?;
        }
        Ok(())
    }

    /// Sends `call` and returns the whole body of a 2xx answer.
    pub async fn send(&mut self, call: &Call) -> anyhow::Result<Bytes> {
        self.reopen_if_closed().await?;
        let mut request = Request::builder()
            .method(call.method.clone())
            .uri(call.path.as_str())
            .header(HOST, self.host.as_str())
            .header(AUTHORIZATION, self.bearer.as_str());
        if call.body.is_some() {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        let request = request.body(Full::new(call.body.clone().unwrap_or_default()))?;
        let sender = &mut self.sender;
        let exchange = async move {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        };
        let (status, body) = tokio::select! {
            biased;
            answer = exchange => answer,
            closed = self.driver.as_mut() => bail!("the connection closed: {closed:?}"),
        }
        .with_context(|| format!("{} {}", call.method, call.path))?;
        if !status.is_success() {
            bail!(
                "{} {}: {status} {}",
                call.method,
                call.path,
                String::from_utf8_lossy(&body)
            );
        }
        Ok(body)
    }
}
