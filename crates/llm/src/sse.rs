//! Server-sent events as they arrive: bytes in, events out, framed as the
//! HTML standard's event-stream format says. Lines end with CR, LF or CRLF
//! (a CRLF may be split across network chunks); `data:` lines join with
//! `\n`; `event:` names the event and `id:` sets the stream's last event id;
//! `:` starts a comment; one space after a field's colon is dropped; a blank
//! line dispatches the event, and an event the stream does not finish is
//! never dispatched.
//!
//! Ours rather than `eventsource-stream`'s, which buffers an unfinished line
//! without bound: a provider that never ends a line would hold memory without
//! end. Here a line, or an event's data, longer than the limit is refused.

use std::collections::VecDeque;

use agentry_domain::{Error, Result};

use crate::transport::malformed;

/// One dispatched event.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Event {
    /// What `event:` named it; `None` when the stream named nothing, which
    /// the standard calls a `message`.
    pub(crate) kind: Option<String>,
    /// Its `data:` lines, joined with `\n`.
    pub(crate) data: String,
}

/// A line or an event past the limit, or text that is not UTF-8.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadStream(pub String);

/// The event-stream parser: push network chunks, take whole events.
#[derive(Debug)]
pub(crate) struct Parser {
    max: usize,
    /// The bytes of a line not ended yet.
    pending: Vec<u8>,
    /// How much of `pending` is known to hold no line end.
    scanned: usize,
    /// The last line ended with a CR: an LF that comes next ends nothing.
    after_cr: bool,
    /// No line was read yet: a byte order mark before it is dropped.
    first_line: bool,
    kind: String,
    data: String,
    last_id: String,
}

impl Parser {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max,
            pending: Vec::new(),
            scanned: 0,
            after_cr: false,
            first_line: true,
            kind: String::new(),
            data: String::new(),
            last_id: String::new(),
        }
    }

    /// The last `id:` the stream gave, if any.
    pub(crate) fn last_id(&self) -> Option<&str> {
        Some(self.last_id.as_str()).filter(|id| !id.is_empty())
    }

    /// Reads `chunk`, appending to `out` the events it completes, in order.
    pub(crate) fn push(
        &mut self,
        mut chunk: &[u8],
        out: &mut VecDeque<Event>,
    ) -> std::result::Result<(), BadStream> {
        if self.after_cr && !chunk.is_empty() {
            self.after_cr = false;
            chunk = chunk.strip_prefix(b"\n").unwrap_or(chunk);
        }
        self.pending.extend_from_slice(chunk);
        // Taken out so that its lines can be read while `self` changes.
        let pending = std::mem::take(&mut self.pending);
        let mut start = 0;
        let mut from = self.scanned;
        let mut read = Ok(());
        while let Some(offset) = pending[from..]
            .iter()
            .position(|b| matches!(b, b'\r' | b'\n'))
        {
            let end = from + offset;
            read = self.line(&pending[start..end], out);
            if read.is_err() {
                break;
            }
            start = match pending.get(end..end + 2) {
                Some(b"\r\n") => end + 2,
                None if pending[end] == b'\r' => {
                    self.after_cr = true;
                    end + 1
                }
                _ => end + 1,
            };
            from = start;
        }
        self.pending = pending;
        read?;
        self.pending.drain(..start);
        self.scanned = self.pending.len();
        if self.pending.len() > self.max {
            return Err(BadStream(format!(
                "a line is longer than {} bytes",
                self.max
            )));
        }
        Ok(())
    }

    fn line(
        &mut self,
        mut line: &[u8],
        out: &mut VecDeque<Event>,
    ) -> std::result::Result<(), BadStream> {
        if std::mem::take(&mut self.first_line) {
            line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
        }
        match line.first() {
            None => {
                self.dispatch(out);
                return Ok(());
            }
            Some(b':') => return Ok(()),
            Some(_) => {}
        }
        let line = std::str::from_utf8(line)
            .map_err(|e| BadStream(format!("a line is not UTF-8: {e}")))?;
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.data.len() + value.len() + 1 > self.max {
                    return Err(BadStream(format!(
                        "an event is longer than {} bytes",
                        self.max
                    )));
                }
                self.data.push_str(value);
                self.data.push('\n');
            }
            "event" => value.clone_into(&mut self.kind),
            "id" if !value.contains('\0') => value.clone_into(&mut self.last_id),
            // `retry:` and unknown fields: this client never reconnects.
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, out: &mut VecDeque<Event>) {
        let kind = std::mem::take(&mut self.kind);
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        out.push_back(Event {
            kind: Some(kind).filter(|k| !k.is_empty()),
            data,
        });
    }
}

/// The events of a streamed answer, read as they arrive.
#[derive(Debug)]
pub(crate) struct EventStream {
    response: reqwest::Response,
    parser: Parser,
    ready: VecDeque<Event>,
    /// What closes the stream, for the error when it ends before.
    end: &'static str,
}

impl EventStream {
    /// Lines and events up to `max` bytes; a stream that ends before its
    /// reader saw `end` fails.
    pub(crate) fn new(response: reqwest::Response, max: usize, end: &'static str) -> Self {
        Self {
            response,
            parser: Parser::new(max),
            ready: VecDeque::new(),
            end,
        }
    }

    /// The next event.
    ///
    /// # Errors
    /// Unavailable when the stream breaks or ends (the reader stops at the
    /// closing event, so any end here is early), or is not an event stream.
    pub(crate) async fn next(&mut self) -> Result<Event> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(event);
            }
            let after = |id: Option<&str>| match id {
                Some(id) => format!(" (after event {id})"),
                None => String::new(),
            };
            let chunk = self
                .response
                .chunk()
                .await
                .map_err(|e| {
                    let after = after(self.parser.last_id());
                    Error::unavailable(format!("the stream broke{after}: {e}"))
                })?
                .ok_or_else(|| {
                    let after = after(self.parser.last_id());
                    Error::unavailable(format!("the stream ended before {}{after}", self.end))
                })?;
            self.parser
                .push(&chunk, &mut self.ready)
                .map_err(|e| malformed(e.0))?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The events `chunks` give, one push each.
    fn events(max: usize, chunks: &[&[u8]]) -> std::result::Result<Vec<Event>, BadStream> {
        let mut parser = Parser::new(max);
        let mut out = VecDeque::new();
        for chunk in chunks {
            parser.push(chunk, &mut out)?;
        }
        Ok(out.into())
    }

    fn message(data: &str) -> Event {
        Event {
            kind: None,
            data: data.to_owned(),
        }
    }

    #[test]
    fn lines_and_events_may_span_chunks() {
        let got = events(
            64,
            &[b"data: {\"a\"", b": 1}\r\n\r\ndata: [DO", b"NE]\n", b"\n"],
        )
        .unwrap();
        assert_eq!(got, [message("{\"a\": 1}"), message("[DONE]")]);
    }

    #[test]
    fn lines_end_with_cr_lf_or_crlf_even_split_across_chunks() {
        let got = events(
            64,
            &[
                b"data: a\rdata: b\ndata: c\r",
                b"\n\r",
                b"",
                b"\ndata: d\n\n",
            ],
        )
        .unwrap();
        assert_eq!(got, [message("a\nb\nc"), message("d")]);
    }

    #[test]
    fn data_lines_join_with_newlines_and_only_one_space_is_dropped() {
        let got = events(64, &[b"data:x\ndata:  y\ndata\ndata: \n\n"]).unwrap();
        assert_eq!(got, [message("x\n y\n\n")]);
    }

    #[test]
    fn an_event_has_its_name_and_the_stream_keeps_the_last_id() {
        let mut parser = Parser::new(64);
        let mut out = VecDeque::new();
        parser
            .push(b"event: response.completed\nid: 7\ndata: {}\n\n", &mut out)
            .unwrap();
        parser.push(b"data: next\n\n", &mut out).unwrap();
        assert_eq!(
            Vec::from(out),
            [
                Event {
                    kind: Some("response.completed".into()),
                    data: "{}".into()
                },
                message("next")
            ],
            "a name is the event's only"
        );
        assert_eq!(parser.last_id(), Some("7"), "an id lasts");
        parser.push(b"id: a\0b\n", &mut VecDeque::new()).unwrap();
        assert_eq!(parser.last_id(), Some("7"), "an id with NUL is ignored");
    }

    #[test]
    fn comments_unknown_fields_and_events_without_data_dispatch_nothing() {
        let got = events(
            64,
            &[b": keep-alive\n\nretry: 10\nfoo: bar\n\nevent: ping\n\ndata: x\n\n"],
        )
        .unwrap();
        assert_eq!(
            got,
            [message("x")],
            "the name of an empty event goes with it"
        );
    }

    #[test]
    fn an_event_the_stream_does_not_finish_is_not_dispatched() {
        assert_eq!(events(64, &[b"data: half\n"]).unwrap(), []);
    }

    #[test]
    fn a_byte_order_mark_before_the_first_line_is_dropped() {
        let got = events(64, &[b"\xef\xbb\xbfdata: x\n\n"]).unwrap();
        assert_eq!(got, [message("x")]);
    }

    #[test]
    fn a_line_past_the_limit_is_refused() {
        assert!(events(8, &[b"data: 0123456789"]).is_err());
    }

    #[test]
    fn an_event_past_the_limit_is_refused_though_each_line_is_short() {
        let err = events(12, &[b"data: 0123\n", b"data: 4567\n", b"data: 89ab\n"]).unwrap_err();
        assert!(err.0.contains("event"), "{err:?}");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused() {
        assert!(events(64, &[b"data: \xff\n"]).is_err());
    }
}
