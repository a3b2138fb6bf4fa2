//! `agent.stream.delta`: a model's answer as it streams, passed to live feeds
//! watching the task and never stored (the turn's `turn.completed` is).

use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::id::{EventId, ProjectId, TaskId};

/// Text a delta carries at most, in bytes: a longer piece is sent as several,
/// so one fits a PostgreSQL notice (8,000 bytes) even with every character
/// escaped.
pub const DELTA_TEXT_MAX: usize = 1024;

/// A piece of a running turn's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamDelta {
    pub project_id: ProjectId,
    pub task_id: TaskId,
    /// The `agent.started` event of the run the turn belongs to.
    pub agent_event_id: EventId,
    pub turn: u32,
    /// The delta's place in its turn, from 0: a gap means a delta was lost
    /// (deltas are best effort; the completed turn has the whole text).
    pub index: u32,
    pub text: String,
}

/// Splits `text` into pieces of at most [`DELTA_TEXT_MAX`] bytes, on
/// character boundaries.
#[must_use]
pub fn delta_pieces(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > DELTA_TEXT_MAX {
        let mut cut = DELTA_TEXT_MAX;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece);
        rest = tail;
    }
    if !rest.is_empty() {
        pieces.push(rest);
    }
    pieces
}

/// Carries deltas from the engine to live feeds, in this process and, where
/// the database can pass them, in others. Best effort: a delta that cannot
/// keep up is dropped, never waited for.
pub trait DeltaBus: Send + Sync {
    /// Hands `delta` on without waiting.
    fn publish(&self, delta: StreamDelta);

    /// Deltas published from now on, here and by other processes.
    fn subscribe(&self) -> BoxStream<'static, StreamDelta>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cut_on_character_boundaries() {
        let text = "é".repeat(DELTA_TEXT_MAX);
        let pieces = delta_pieces(&text);
        assert_eq!(pieces.len(), 2);
        assert!(pieces.iter().all(|p| p.len() <= DELTA_TEXT_MAX));
        assert_eq!(pieces.concat(), text);
        assert!(delta_pieces("").is_empty());
        assert_eq!(delta_pieces("hi"), vec!["hi"]);
    }
}
