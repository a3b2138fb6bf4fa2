//! The HTTP server: hyper's HTTP/1.1 and HTTP/2 (cleartext) behind a connection
//! limit, with a deadline for request headers, so that slow or idle clients
//! cannot hold the server. Bodies have their own deadline and limits (see
//! `agentry_http`'s `body_limit`); every operation its request timeout.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use poem::endpoint::BoxEndpoint;
use poem::http::uri::Scheme;
use poem::http::{Request, Response as HttpResponse};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint as _, Response};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// What one client may hold of the server.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Open connections at most; one more is answered 503 and closed.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and how long an
    /// idle HTTP/1.1 connection is kept open waiting for the next request.
    pub header_timeout: Duration,
}

type Body = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

/// Serves `endpoint` on `listener` until `shutdown` completes, then waits up to
/// `grace` for requests in flight.
pub(crate) async fn serve(
    listener: TcpListener,
    endpoint: BoxEndpoint<'static, Response>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
    grace: Duration,
) -> std::io::Result<()> {
    let local = LocalAddr(Addr::SocketAddr(listener.local_addr()?));
    let endpoint = Arc::new(endpoint);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    // HTTP/2 has no header deadline of its own: pings find peers that are gone.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_timeout)
        .keep_alive_timeout(limits.header_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
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
        let _ = stream.set_nodelay(true);
        let service = service(endpoint.clone(), local.clone(), remote);
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %remote, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!(?grace, "requests still in flight after the grace period");
        }
    }
    Ok(())
}

fn service(
    endpoint: Arc<BoxEndpoint<'static, Response>>,
    local: LocalAddr,
    remote: SocketAddr,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = HttpResponse<Body>,
    Error = Infallible,
    Future = impl Future<Output = Result<HttpResponse<Body>, Infallible>> + Send,
> + Clone {
    let remote = RemoteAddr(Addr::SocketAddr(remote));
    hyper::service::service_fn(move |request: Request<Incoming>| {
        let (endpoint, local, remote) = (endpoint.clone(), local.clone(), remote.clone());
        async move {
            let request = poem::Request::from((request, local, remote, Scheme::HTTP));
            Ok(endpoint.get_response(request).await.into())
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
