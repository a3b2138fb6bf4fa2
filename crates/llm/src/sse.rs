//! Server-sent events as they arrive: bytes in, whole lines out. A line may
//! span any number of network chunks; one longer than the limit is refused
//! rather than buffered without end.

/// Splits a byte stream into lines (`\n`, with an optional `\r` before it).
#[derive(Debug)]
pub(crate) struct Lines {
    pending: Vec<u8>,
    max: usize,
}

/// A line longer than the limit, or not UTF-8.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadLine(pub String);

impl Lines {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            pending: Vec::new(),
            max,
        }
    }

    /// The lines `chunk` completes, in order.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<Vec<String>, BadLine> {
        self.pending.extend_from_slice(chunk);
        let mut lines = Vec::new();
        let mut start = 0;
        while let Some(end) = self.pending[start..].iter().position(|b| *b == b'\n') {
            let mut line = &self.pending[start..start + end];
            if let Some(stripped) = line.strip_suffix(b"\r") {
                line = stripped;
            }
            let text = std::str::from_utf8(line)
                .map_err(|e| BadLine(format!("a line is not UTF-8: {e}")))?;
            lines.push(text.to_owned());
            start += end + 1;
        }
        self.pending.drain(..start);
        if self.pending.len() > self.max {
            return Err(BadLine(format!("a line is longer than {} bytes", self.max)));
        }
        Ok(lines)
    }
}

/// The data of an SSE line (`data: …`); `None` for comments, other fields and
/// the blank lines between events.
pub(crate) fn data(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("data:")?;
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_may_span_chunks_and_end_with_crlf() {
        let mut lines = Lines::new(64);
        assert_eq!(lines.push(b"data: {\"a\"").unwrap(), Vec::<String>::new());
        assert_eq!(
            lines.push(b": 1}\r\n\r\ndata: [DO").unwrap(),
            ["data: {\"a\": 1}", ""]
        );
        assert_eq!(lines.push(b"NE]\n").unwrap(), ["data: [DONE]"]);
    }

    #[test]
    fn a_line_past_the_limit_is_refused() {
        let mut lines = Lines::new(8);
        assert!(lines.push(b"data: 0123456789").is_err());
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused() {
        let mut lines = Lines::new(64);
        assert!(lines.push(b"data: \xff\n").is_err());
    }

    #[test]
    fn data_is_read_from_data_lines_only() {
        assert_eq!(data("data: {}"), Some("{}"));
        assert_eq!(data("data:{}"), Some("{}"));
        assert_eq!(data(": keep-alive"), None);
        assert_eq!(data("event: message"), None);
    }
}
