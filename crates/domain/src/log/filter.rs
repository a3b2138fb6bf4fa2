//! Which events a feed shows: a project's, a task's or a thread's, optionally of
//! some types only, newest first.

use crate::Result;
use crate::event::Event;
use crate::id::{EventId, ProjectId, TaskId};
use crate::page::{Page, PageRequest};

/// Which events a feed shows, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
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

impl Default for EventFilter {
    fn default() -> Self {
        Self {
            project_id: None,
            task_id: None,
            parent_id: None,
            types: Vec::new(),
            before: None,
            limit: crate::page::DEFAULT_LIMIT,
        }
    }
}

/// One page of a feed.
pub type EventPage = Page<Event, EventId>;

impl EventFilter {
    /// Builds a filter from request parameters, checking each.
    ///
    /// # Errors
    /// `Validation` for a bad cursor or a limit out of range.
    pub fn parse(
        project_id: Option<ProjectId>,
        task_id: Option<TaskId>,
        parent_id: Option<EventId>,
        types: &[String],
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Self> {
        let mut parsed: Vec<String> = Vec::new();
        for name in types.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            if !parsed.iter().any(|p| p == name) {
                parsed.push(name.to_owned());
            }
        }
        let page = PageRequest::<EventId>::parse(cursor, limit)?;
        Ok(Self {
            project_id,
            task_id,
            parent_id,
            types: parsed,
            before: page.after,
            limit: page.limit,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_trimmed_and_deduplicated() {
        let filter = EventFilter::parse(
            None,
            None,
            None,
            &[
                "chat_message".into(),
                " task_status".into(),
                "chat_message".into(),
            ],
            None,
            None,
        )
        .unwrap();
        assert_eq!(filter.types, ["chat_message", "task_status"]);
    }

    #[test]
    fn the_limit_is_bounded() {
        assert!(EventFilter::parse(None, None, None, &[], None, Some(0)).is_err());
        assert!(EventFilter::parse(None, None, None, &[], None, Some(201)).is_err());
        assert_eq!(
            EventFilter::parse(None, None, None, &[], None, None)
                .unwrap()
                .limit,
            50
        );
    }
}
