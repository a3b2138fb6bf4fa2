//! The HTTP server: HTTP/1.1 and HTTP/2 (cleartext, prior knowledge) behind a
//! connection limit, so that slow or idle clients cannot hold it. A connection
//! must say which protocol it speaks, and an HTTP/1.1 request send its headers,
//! within the header timeout; an idle connection of either is closed after it.
//! Bodies have their own deadline and limits (`agentry_http`'s `body_limit`),
//! every operation its request timeout.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::Duration;

use agentry_http::live::{ConnectionSlot, OwnsConnection};
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use poem::endpoint::BoxEndpoint;
use poem::http::header::CONNECTION;
use poem::http::uri::Scheme;
use poem::http::{HeaderValue, Method, Request, Response as HttpResponse, StatusCode, Version};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint as _, Response};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use self::detach::{Detach, Detachable};
use self::idle::Tracked;

mod detach;
mod idle;
mod owned;

/// What one client may hold of the server.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Open connections at most; one more is answered 503 and closed.
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers (HTTP/1.1)
    /// or its preface (HTTP/2), and may then sit idle before it is closed.
    pub header_timeout: Duration,
}

type Body = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

/// What every connection shares.
struct Shared {
    endpoint: BoxEndpoint<'static, Response>,
    local: LocalAddr,
    limits: ConnectionLimits,
    stop: watch::Receiver<bool>,
}

/// Serves `endpoint` on `listener` until `shutdown` completes, then waits up to
/// `grace` for requests in flight.
pub(crate) async fn serve(
    listener: TcpListener,
    endpoint: BoxEndpoint<'static, Response>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
    grace: Duration,
) -> std::io::Result<()> {
    let (stopping, stop) = watch::channel(false);
    let shared = Arc::new(Shared {
        endpoint,
        local: LocalAddr(Addr::SocketAddr(listener.local_addr()?)),
        limits,
        stop,
    });
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, say: wait for connections to close.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(refuse_busy(stream, remote));
            continue;
        };
        let shared = shared.clone();
        // Shared with a WebSocket that takes the connection over.
        let slot = Arc::new(slot);
        tokio::spawn(async move {
            connection(stream, remote, shared, slot.clone()).await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection gives its slot back when it is done.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(?grace, "requests still in flight after the grace period");
    }
    Ok(())
}

/// The first bytes of an HTTP/2 connection with prior knowledge.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    shared: Arc<Shared>,
    slot: Arc<OwnedSemaphorePermit>,
) {
    let _ = stream.set_nodelay(true);
    let timeout = shared.limits.header_timeout;
    let Ok(Some(http2)) = tokio::time::timeout(timeout, speaks_http2(&stream)).await else {
        // Silent for too long, or gone.
        return;
    };
    let stop = shared.stop.clone();
    let held = ConnectionSlot {
        slot,
        stop: shared.stop.clone(),
    };
    if http2 {
        let service = service(shared, remote, held, None);
        let (stream, idle) = Tracked::new(stream);
        let connection = http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .serve_connection(TokioIo::new(stream), service);
        let close = |c: Pin<&mut _>| http2::Connection::graceful_shutdown(c);
        drive(connection, close, stop, idle.expired(timeout), timeout).await;
    } else {
        let (stream, detach) = Detachable::new(stream);
        let service = service(shared, remote, held, Some(detach));
        // `pipeline_flush` stays off: a response is flushed before the next
        // request is read, which `Detach::take` relies on.
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(timeout)
            .serve_connection(TokioIo::new(stream), service)
            // A WebSocket (`GET /api/v1/ws`) takes the connection over.
            .with_upgrades();
        // Idle keep-alive is bounded by the header deadline of the next request.
        let close = |c: Pin<&mut _>| http1::UpgradeableConnection::graceful_shutdown(c);
        drive(connection, close, stop, std::future::pending(), timeout).await;
    }
}

/// Whether the connection opens with HTTP/2's preface; `None` when it closes first.
async fn speaks_http2(stream: &TcpStream) -> Option<bool> {
    let mut start = [0_u8; H2_PREFACE.len()];
    loop {
        let read = stream.peek(&mut start).await.ok()?;
        if read == 0 {
            return None;
        }
        if start[..read] != H2_PREFACE[..read] {
            return Some(false);
        }
        if read == H2_PREFACE.len() {
            return Some(true);
        }
        // Part of the preface: peeking again at once would see the same bytes.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs a connection until it ends, or until the server stops or the connection
/// idles, when it finishes what it has in flight and closes: at once for a
/// stop (the server bounds that by its grace period), within `linger` for an
/// idle one, whose peer may not even answer the goodbye.
/// `close` asks it to (hyper's `graceful_shutdown`: no trait of hyper-util's
/// covers a connection that may be upgraded).
async fn drive<C, E>(
    connection: C,
    close: impl FnOnce(Pin<&mut C>),
    mut stop: watch::Receiver<bool>,
    idle: impl Future<Output = ()>,
    linger: Duration,
) where
    C: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut connection = pin!(connection);
    let stopping = tokio::select! {
        ended = connection.as_mut() => {
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            return;
        }
        _ = stop.wait_for(|stopping| *stopping) => true,
        () = idle => false,
    };
    close(connection.as_mut());
    if stopping {
        let _ = connection.await;
    } else {
        let _ = tokio::time::timeout(linger, connection).await;
    }
}

/// Serves each request through the endpoint. A response that owns its
/// connection (a live feed) on HTTP/1.1 takes the socket from hyper and is
/// written by a task of its own; hyper, answered with an empty response that
/// goes nowhere, finds its connection closed.
fn service(
    shared: Arc<Shared>,
    remote: SocketAddr,
    held: ConnectionSlot,
    detach: Option<Detach>,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = HttpResponse<Body>,
    Error = Infallible,
    Future = impl Future<Output = Result<HttpResponse<Body>, Infallible>> + Send,
> + Clone {
    let remote = RemoteAddr(Addr::SocketAddr(remote));
    hyper::service::service_fn(move |request: Request<Incoming>| {
        let local = shared.local.clone();
        // A HEAD request's answer has no body to stream.
        let detach = (request.version() == Version::HTTP_11 && request.method() == Method::GET)
            .then(|| detach.clone())
            .flatten();
        let mut request = poem::Request::from((request, local, remote.clone(), Scheme::HTTP));
        request.extensions_mut().insert(held.clone());
        let shared = shared.clone();
        let held = held.clone();
        async move {
            let response: HttpResponse<Body> = shared.endpoint.get_response(request).await.into();
            let status = response.status();
            let has_body = !(status.is_informational()
                || status == StatusCode::NO_CONTENT
                || status == StatusCode::NOT_MODIFIED);
            if !has_body || response.extensions().get::<OwnsConnection>().is_none() {
                return Ok(response);
            }
            let Some(socket) = detach.and_then(|d| d.take()) else {
                return Ok(response);
            };
            tokio::spawn(owned::serve(socket, response, held));
            // The connection's last answer, so hyper reads no request the
            // client pipelined behind this one.
            let mut last = HttpResponse::new(Body::default());
            last.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            Ok(last)
        }
    })
}

/// Past the connection limit: a 503 problem, then the connection is closed.
async fn refuse_busy(mut stream: TcpStream, remote: SocketAddr) {
    tracing::warn!(%remote, "connection limit reached; refusing a connection");
    let body = r#"{"type":"urn:agentry:problem:unavailable","title":"Service Unavailable","status":503,"detail":"the server holds its maximum of connections; retry shortly"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
         retry-after: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        agentry_http::RETRY_AFTER_SECONDS,
        body.len()
    );
    let write = stream.write_all(response.as_bytes());
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
    let _ = stream.shutdown().await;
}
