//! A connection's socket as hyper reads and writes it. Every byte moved is
//! noted (an idle connection is closed); a write that stalls past
//! [`WRITE_DEADLINE`] fails (a client that stops reading does not hold its
//! connection forever); and the socket closes lingering: what the client
//! still sends is read and dropped for a while, so that an answer given
//! before its request's body was read (413, 408) is not lost to a reset.
//!
//! The stream is shared (`Arc`): an event stream watches it for the client's
//! close, which hyper notices only while it holds no unread bytes of the
//! client's (a request pipelined behind the stream, say).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use agentry_http::live::WRITE_DEADLINE;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use super::idle::Activity;

/// How long a closing connection reads what its client still sends.
pub(super) const LINGER_TIME: Duration = Duration::from_secs(1);

/// How much a closing connection reads of what its client still sends.
pub(super) const LINGER_BYTES: usize = 32 * 1024 * 1024;

/// Hyper's I/O on a connection.
pub(super) struct Socket {
    stream: Arc<TcpStream>,
    activity: Activity,
    /// Armed while a write waits for room: past it, the write fails.
    stalled: Option<Pin<Box<Sleep>>>,
    stalling: bool,
}

impl Socket {
    pub(super) fn new(stream: Arc<TcpStream>, activity: Activity) -> Self {
        Self {
            stream,
            activity,
            stalled: None,
            stalling: false,
        }
    }

    /// Whether a write that found no room has waited past the deadline; arms
    /// the deadline on the first wait.
    fn stalled_too_long(&mut self, cx: &mut Context<'_>) -> bool {
        let deadline = Instant::now() + WRITE_DEADLINE;
        let sleep = match &mut self.stalled {
            Some(sleep) if self.stalling => sleep,
            Some(sleep) => {
                sleep.as_mut().reset(deadline);
                sleep
            }
            None => self
                .stalled
                .insert(Box::pin(tokio::time::sleep_until(deadline))),
        };
        self.stalling = true;
        sleep.as_mut().poll(cx).is_ready()
    }

    fn write_with(
        &mut self,
        cx: &mut Context<'_>,
        write: impl Fn(&TcpStream) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            if self.stream.poll_write_ready(cx).is_pending() {
                if self.stalled_too_long(cx) {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client took nothing for the write deadline",
                    )));
                }
                return Poll::Pending;
            }
            match write(&self.stream) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                written => {
                    self.stalling = false;
                    self.activity.touch();
                    return Poll::Ready(written);
                }
            }
        }
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.stream.poll_read_ready(cx))?;
            match self.stream.try_read_buf(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                read => {
                    self.activity.touch();
                    return Poll::Ready(read.map(|_| ()));
                }
            }
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.write_with(cx, |stream| stream.try_write(buf))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.write_with(cx, |stream| stream.try_write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the socket.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(shut_write(&self.stream))
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Hyper is done with the connection (or the WebSocket it was upgraded to).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(linger(self.stream.clone()));
        }
    }
}

/// Says the server's last word (a FIN). The stream is shared, so the
/// shutdown goes through a borrowed socket; a second one changes nothing.
fn shut_write(stream: &TcpStream) -> io::Result<()> {
    socket2::SockRef::from(stream).shutdown(std::net::Shutdown::Write)
}

/// Closes the connection once the client has closed its side too, or after
/// [`LINGER_TIME`] or [`LINGER_BYTES`], whichever comes first: closing with
/// bytes of the client's unread would reset the connection, and a client
/// still sending a body would see the reset instead of the answer.
async fn linger(stream: Arc<TcpStream>) {
    let _ = shut_write(&stream);
    let drain = async {
        // Made at the first read: most clients have closed already.
        let mut dropped = Vec::new();
        let mut read = 0;
        while read < LINGER_BYTES {
            if stream.readable().await.is_err() {
                return;
            }
            if dropped.is_empty() {
                dropped = vec![0_u8; 64 * 1024];
            }
            match stream.try_read(&mut dropped) {
                Ok(0) => return,
                Ok(n) => read += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

/// Completes once the client has closed its side of the connection (or the
/// connection broke). Peeking takes none of hyper's bytes, and clears the
/// socket's readiness only when there is nothing to read. Bytes the client
/// sent beyond what hyper read keep the socket readable; a close behind them
/// is left to the next write to find.
pub(super) async fn client_closed(stream: Arc<TcpStream>) {
    let mut probe = [0_u8; 1];
    match stream.peek(&mut probe).await {
        Ok(0) | Err(_) => {}
        Ok(_) => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use futures::FutureExt as _;
    use tokio::io::AsyncWriteExt as _;
    use tokio::net::{TcpListener, TcpStream};

    use super::client_closed;

    #[tokio::test]
    async fn a_client_is_closed_once_it_closes_and_not_before() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let server = Arc::new(server);
        let mut closed = Box::pin(client_closed(server.clone()));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!((&mut closed).now_or_never().is_none(), "closed too soon");
        client.shutdown().await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), closed)
            .await
            .expect("the client's close was seen");
    }
}
