//! Changes kept in rows beside a task (its labels, its links), which still move
//! the task to its next version so that concurrent writers notice.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::super::TaskLink;
use super::super::events::{TaskLabel, TrackerEvent};
use super::draft::too_many_labels;
use super::{Changes, Task, TaskChange, TaskDraft};
use crate::Result;
use crate::event::FieldChange;
use crate::id::LabelId;

impl Task {
    /// Puts the label on (`present`) or takes it off; nothing when it is so already.
    ///
    /// # Errors
    /// `Validation` for a label past [`TaskDraft::LABELS_MAX`].
    pub fn set_label(
        &mut self,
        label: LabelId,
        present: bool,
        now: DateTime<Utc>,
    ) -> Result<Changes> {
        let labels = &mut self.0.labels;
        if labels.contains(&label) == present {
            return Ok(Changes::default());
        }
        if present && labels.len() >= TaskDraft::LABELS_MAX {
            return Err(too_many_labels());
        }
        let changes = if present {
            labels.push(label);
            labels.sort();
            Changes {
                events: vec![TrackerEvent::TaskLabelAdd(TaskLabel { label })],
                rows: vec![TaskChange::AddLabel(label)],
            }
        } else {
            labels.retain(|l| *l != label);
            Changes {
                events: vec![TrackerEvent::TaskLabelRemove(TaskLabel { label })],
                rows: vec![TaskChange::RemoveLabel(label)],
            }
        };
        Ok(self.touch(changes, now))
    }

    /// Records a new link of this task.
    pub fn link(&mut self, link: TaskLink, now: DateTime<Utc>) -> Changes {
        let event = link_event(None, Some(&link));
        let changes = Changes {
            events: vec![event],
            rows: vec![TaskChange::AddLink(link)],
        };
        self.touch(changes, now)
    }

    /// Records that a link of this task is gone.
    pub fn unlink(&mut self, link: &TaskLink, now: DateTime<Utc>) -> Changes {
        let changes = Changes {
            events: vec![link_event(Some(link), None)],
            rows: vec![TaskChange::RemoveLink(link.id)],
        };
        self.touch(changes, now)
    }
}

/// Links have no event type of their own in the log's design: they are recorded as
/// a `task_updated` of the `link` field.
fn link_event(from: Option<&TaskLink>, to: Option<&TaskLink>) -> TrackerEvent {
    let describe = |l: &TaskLink| serde_json::json!({ "id": l.id, "kind": l.kind, "source": l.source_id, "target": l.target_id });
    TrackerEvent::TaskUpdated(FieldChange::new(
        "link",
        from.map_or(Value::Null, describe),
        to.map_or(Value::Null, describe),
    ))
}
