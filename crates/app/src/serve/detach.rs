//! An HTTP/1.1 connection's socket, which hyper reads and writes until a
//! response that owns the connection (a live feed) takes it. Hyper then finds
//! it closed: it reads the end, and a write fails with a broken pipe.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

struct Socket {
    stream: Option<TcpStream>,
    /// Hyper has written since it last flushed: part of an earlier response
    /// (pipelined requests) may still be in its buffers, so the socket stays.
    /// Hyper flushes the socket only once its own buffers are empty, and
    /// flushes each response before it reads the next request (unless
    /// `pipeline_flush` is on, which the server leaves off).
    unflushed: bool,
}

/// The socket as hyper sees it.
pub(super) struct Detachable(Arc<Mutex<Socket>>);

/// The hand that takes the socket from hyper.
#[derive(Clone)]
pub(super) struct Detach(Arc<Mutex<Socket>>);

fn taken() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the socket was taken by a stream",
    )
}

fn lock(socket: &Mutex<Socket>) -> MutexGuard<'_, Socket> {
    socket.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Detachable {
    pub(super) fn new(stream: TcpStream) -> (Self, Detach) {
        let socket = Arc::new(Mutex::new(Socket {
            stream: Some(stream),
            unflushed: false,
        }));
        (Self(socket.clone()), Detach(socket))
    }

    /// `io` on the socket, or `taken`'s answer once a stream has it; a write
    /// notes that hyper has bytes out since its last flush.
    fn on<T>(
        &self,
        write: bool,
        taken: impl FnOnce() -> io::Result<T>,
        io: impl FnOnce(Pin<&mut TcpStream>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        let mut socket = lock(&self.0);
        socket.unflushed |= write;
        match &mut socket.stream {
            Some(stream) => io(Pin::new(stream)),
            None => Poll::Ready(taken()),
        }
    }
}

impl Detach {
    /// The socket, unless hyper may still have bytes of its own to send on it
    /// (or it was taken already).
    pub(super) fn take(&self) -> Option<TcpStream> {
        let mut socket = lock(&self.0);
        if socket.unflushed {
            return None;
        }
        socket.stream.take()
    }
}

impl AsyncRead for Detachable {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // A taken socket reads as closed.
        self.on(false, || Ok(()), |s| s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Detachable {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.on(true, || Err(taken()), |s| s.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.on(true, || Err(taken()), |s| s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let flushed = self.on(false, || Ok(()), |s| s.poll_flush(cx));
        if matches!(flushed, Poll::Ready(Ok(()))) {
            lock(&self.0).unflushed = false;
        }
        flushed
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.on(false, || Ok(()), |s| s.poll_shutdown(cx))
    }
}
