//! The HTTP server: hyper-util's automatic builder serves HTTP/1.1 and HTTP/2
//! (cleartext, prior knowledge) on each connection, with upgrades (a
//! WebSocket), behind a connection limit so that slow or idle clients cannot
//! hold the server. A connection with nothing in flight is closed once silent
//! for the header timeout (`idle`), an HTTP/1.1 request must send its headers
//! within it too, and a client that takes nothing for the write deadline is
//! given up (`socket`). Bodies have their own deadline and limits
//! (`agentry_http`'s `body_limit`), every operation its request timeout.
//!
//! Every response, a live feed's event stream too, goes through hyper as a
//! body. An event stream is the last answer of its HTTP/1.1 connection, and
//! ends when its client closes or the server stops (`body`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use agentry_http::live::ConnectionSlot;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use poem::endpoint::BoxEndpoint;
use poem::http::header::{CONNECTION, CONTENT_TYPE};
use poem::http::uri::Scheme;
use poem::http::{HeaderValue, Request, Response as HttpResponse, Version};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint as _, Response};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use self::body::Outgoing;
use self::idle::Activity;
use self::socket::Socket;

mod body;
mod idle;
mod socket;

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
    stop: CancellationToken,
    builder: auto::Builder<TokioExecutor>,
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
    let stop = CancellationToken::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let shared = Arc::new(Shared {
        endpoint,
        local: LocalAddr(Addr::SocketAddr(listener.local_addr()?)),
        limits,
        stop: stop.clone(),
        builder,
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
    stop.cancel();
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

/// Serves one connection until it ends, or until the server stops or the
/// connection idles, when it finishes what it has in flight and closes: at
/// once for a stop (the server bounds that by its grace period), within the
/// header timeout for an idle one, whose peer may not even answer the goodbye.
async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    shared: Arc<Shared>,
    slot: Arc<OwnedSemaphorePermit>,
) {
    let _ = stream.set_nodelay(true);
    let stream = Arc::new(stream);
    let activity = Activity::new();
    let timeout = shared.limits.header_timeout;
    let stop = shared.stop.clone();
    let held = ConnectionSlot {
        slot,
        stop: stop.clone(),
    };
    let service = service(
        shared.clone(),
        remote,
        held,
        stream.clone(),
        activity.clone(),
    );
    let socket = TokioIo::new(Socket::new(stream, activity.clone()));
    let mut connection = pin!(
        shared
            .builder
            .serve_connection_with_upgrades(socket, service)
    );
    let stopping = tokio::select! {
        ended = connection.as_mut() => {
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            return;
        }
        () = stop.cancelled() => true,
        () = activity.expired(timeout) => false,
    };
    connection.as_mut().graceful_shutdown();
    if stopping {
        let _ = connection.await;
    } else {
        let _ = tokio::time::timeout(timeout, connection).await;
    }
}

/// Serves each request through the endpoint. An event stream (a live feed)
/// ends when the server stops, and on HTTP/1.1 is the connection's last
/// answer, which ends when its client closes too: hyper would not notice
/// with requests pipelined behind it, which are not served.
fn service(
    shared: Arc<Shared>,
    remote: SocketAddr,
    held: ConnectionSlot,
    stream: Arc<TcpStream>,
    activity: Activity,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = HttpResponse<Outgoing>,
    Error = Infallible,
    Future = impl Future<Output = Result<HttpResponse<Outgoing>, Infallible>> + Send,
> + Clone {
    let remote = RemoteAddr(Addr::SocketAddr(remote));
    hyper::service::service_fn(move |request: Request<Incoming>| {
        let busy = activity.busy();
        let local = shared.local.clone();
        let http1 = request.version() <= Version::HTTP_11;
        let mut request = poem::Request::from((request, local, remote.clone(), Scheme::HTTP));
        request.extensions_mut().insert(held.clone());
        let shared = shared.clone();
        let stream = stream.clone();
        async move {
            let response: HttpResponse<Body> = shared.endpoint.get_response(request).await.into();
            let (mut parts, body) = response.into_parts();
            let body = Outgoing::new(body, busy);
            let streams = parts
                .headers
                .get(CONTENT_TYPE)
                .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
            if !streams {
                return Ok(HttpResponse::from_parts(parts, body));
            }
            let stop = shared.stop.clone();
            let stopping = async move { stop.cancelled().await };
            let body = if http1 {
                parts
                    .headers
                    .insert(CONNECTION, HeaderValue::from_static("close"));
                body.until(Box::pin(async move {
                    tokio::select! {
                        () = stopping => {}
                        () = socket::client_closed(stream) => {}
                    }
                }))
            } else {
                body.until(Box::pin(stopping))
            };
            Ok(HttpResponse::from_parts(parts, body))
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
