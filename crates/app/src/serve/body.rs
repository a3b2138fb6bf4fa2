//! A response's body as the server sends it: its request stays in flight
//! while the body lasts, and an event stream, which would go on forever,
//! also ends when its client closes or the server stops. Hyper then ends it
//! properly: HTTP/1.1's last chunk, HTTP/2's end of stream.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};

use super::Body;
use super::idle::Busy;

/// What ends a stream early.
pub(super) type Until = Pin<Box<dyn Future<Output = ()> + Send>>;

pub(super) struct Outgoing {
    body: Body,
    until: Option<Until>,
    _busy: Busy,
}

impl Outgoing {
    pub(super) fn new(body: Body, busy: Busy) -> Self {
        Self {
            body,
            until: None,
            _busy: busy,
        }
    }

    /// The body ends, as if it had no more, once `until` completes.
    pub(super) fn until(mut self, until: Until) -> Self {
        self.until = Some(until);
        self
    }
}

impl hyper::body::Body for Outgoing {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(until) = &mut self.until
            && until.as_mut().poll(cx).is_ready()
        {
            // What the body held (a subscription) goes now.
            self.until = None;
            self.body = Body::default();
            return Poll::Ready(None);
        }
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http_body_util::BodyExt as _;
    use hyper::body::Frame;

    use super::{Body, Outgoing};
    use crate::serve::idle::Activity;

    #[tokio::test]
    async fn a_stream_ends_once_what_it_waits_for_completes() {
        let (mut tx, rx) =
            futures::channel::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(1);
        tx.try_send(Ok(Frame::data(Bytes::from_static(b"x"))))
            .unwrap();
        let body: Body = http_body_util::StreamBody::new(rx).boxed();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut body = Outgoing::new(body, Activity::new().busy()).until(Box::pin(async {
            let _ = stopped.await;
        }));
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), Bytes::from_static(b"x"));
        stop.send(()).unwrap();
        assert!(body.frame().await.is_none(), "the stream went on");
        assert!(tx.is_closed(), "the stream's source was kept");
    }
}
