use base64::Engine as _;

use crate::event::Event;
use crate::id::{EventId, ProjectId, TaskId};
use crate::{Error, Result};

/// An opaque position in a feed: the feed continues with events older than it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor(pub EventId);

impl Cursor {
    #[must_use]
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0.as_uuid().as_bytes())
    }

    /// # Errors
    /// `Validation` for anything that [`Cursor::encode`] did not produce.
    pub fn decode(raw: &str) -> Result<Self> {
        let invalid = || Error::validation("cursor", "is not a cursor this API returned");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| invalid())?;
        let uuid = uuid::Uuid::from_slice(&bytes).map_err(|_| invalid())?;
        Ok(Self(EventId(uuid)))
    }
}

/// Which events a feed shows, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub project_id: Option<ProjectId>,
    pub task_id: Option<TaskId>,
    pub parent_id: Option<EventId>,
    /// Empty means every type. Which names exist is the catalog's business: the
    /// feed use case checks them (the log itself stores kinds it does not know).
    pub types: Vec<String>,
    /// Only events older than this one.
    pub before: Option<EventId>,
    pub limit: u32,
}

impl EventFilter {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 200;

    /// Builds a filter from request parameters, checking each.
    ///
    /// # Errors
    /// `Validation` for a bad cursor or a limit out of range.
    pub fn parse(
        project_id: Option<ProjectId>,
        task_id: Option<TaskId>,
        parent_id: Option<EventId>,
        types: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Self> {
        let mut parsed = Vec::new();
        for name in types
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if !parsed.iter().any(|p| p == name) {
                parsed.push(name.to_owned());
            }
        }
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(Error::validation(
                "limit",
                format!("must be 1 to {}", Self::MAX_LIMIT),
            ));
        }
        Ok(Self {
            project_id,
            task_id,
            parent_id,
            types: parsed,
            before: cursor.map(Cursor::decode).transpose()?.map(|c| c.0),
            limit,
        })
    }

    /// Whether an event passes this filter (the store's queries must agree).
    #[must_use]
    pub fn matches(&self, event: &Event) -> bool {
        self.project_id.is_none_or(|p| event.project_id == Some(p))
            && self.task_id.is_none_or(|t| event.task_id == Some(t))
            && self.parent_id.is_none_or(|p| event.parent_id == Some(p))
            && (self.types.is_empty() || self.types.iter().any(|t| t == event.kind.type_name()))
            && self.before.is_none_or(|b| event.id < b)
    }
}

/// One page of a feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<Cursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let cursor = Cursor(EventId::generate());
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        for bad in ["", "abc", "!!!!", &"A".repeat(40)] {
            assert!(Cursor::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn types_are_trimmed_and_deduplicated() {
        let filter = EventFilter::parse(
            None,
            None,
            None,
            Some("chat_message, task_status,chat_message"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(filter.types, ["chat_message", "task_status"]);
    }

    #[test]
    fn the_limit_is_bounded() {
        assert!(EventFilter::parse(None, None, None, None, None, Some(0)).is_err());
        assert!(EventFilter::parse(None, None, None, None, None, Some(201)).is_err());
        assert_eq!(
            EventFilter::parse(None, None, None, None, None, None)
                .unwrap()
                .limit,
            50
        );
    }
}
