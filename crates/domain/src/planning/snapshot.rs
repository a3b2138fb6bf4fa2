//! A finished plan's usage, kept whole when retention prunes its turns: the
//! `turn.completed` events a batch deletes are summed into `usage.snapshot`
//! events under the plan's `plan_created`, in the transaction that deletes
//! them. A plan's usage is then the sum of its snapshots plus the turns still
//! in the log. Each batch writes its own snapshots (none reads an earlier
//! one), so a snapshot stays as small as a batch, and two batches never
//! fold the same turns.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{PlanEvent, TurnCompleted};
use crate::Result;
use crate::event::Event;
use crate::id::{EventId, PlanId, ProjectId, TaskId};
use crate::shape::described_struct;

described_struct! {
    /// `usage.snapshot`: turns of the plan one retention batch pruned.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct UsageSnapshot as "UsageSnapshotPayload" {
        pub plan: PlanId,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub lines: Vec<SnapshotLine>,
    }
}

described_struct! {
    /// The pruned turns of one task (none: the plan's generation) by one
    /// assistant on one model.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct SnapshotLine as "UsageSnapshotLine" {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub task: Option<TaskId>,
        pub model: String,
        pub assistant_name: String,
        pub turns: i64,
        pub input_tokens: i64,
        pub output_tokens: i64,
    }
}

type LineKey = (Option<TaskId>, String, String);

/// Lines per `usage.snapshot` event: a line with names at their longest
/// (255 characters each) is some 650 bytes of JSON, so 64 of them stay well
/// inside an event's 64 KiB payload.
pub const LINES_PER_SNAPSHOT: usize = 64;

impl UsageSnapshot {
    /// The snapshot of `plan` that the `pruned` turns (each with its task)
    /// add up to.
    #[must_use]
    pub fn fold<'a>(
        plan: PlanId,
        pruned: impl IntoIterator<Item = (Option<TaskId>, &'a TurnCompleted)>,
    ) -> Self {
        let lines = pruned.into_iter().map(|(task, turn)| SnapshotLine {
            task,
            model: turn.model.clone(),
            assistant_name: turn.assistant_name.clone(),
            turns: 1,
            input_tokens: turn.input_tokens,
            output_tokens: turn.output_tokens,
        });
        Self {
            plan,
            lines: Self::sum(lines),
        }
    }

    /// One line per task, model and assistant.
    fn sum(lines: impl IntoIterator<Item = SnapshotLine>) -> Vec<SnapshotLine> {
        let mut sums: BTreeMap<LineKey, SnapshotLine> = BTreeMap::new();
        for line in lines {
            let key = (line.task, line.model.clone(), line.assistant_name.clone());
            match sums.get_mut(&key) {
                Some(sum) => {
                    sum.turns += line.turns;
                    sum.input_tokens += line.input_tokens;
                    sum.output_tokens += line.output_tokens;
                }
                None => {
                    sums.insert(key, line);
                }
            }
        }
        sums.into_values().collect()
    }

    /// The snapshot as the events that record it, under the plan's
    /// `plan_created`, [`LINES_PER_SNAPSHOT`] lines each.
    ///
    /// # Errors
    /// `TooLarge` only for a line past an event's payload limit, which the
    /// names' own limits rule out.
    pub fn into_events(self, project: ProjectId, now: DateTime<Utc>) -> Result<Vec<Event>> {
        let parent = EventId(self.plan.0);
        self.lines
            .chunks(LINES_PER_SNAPSHOT)
            .map(|lines| {
                let part = Self {
                    plan: self.plan,
                    lines: lines.to_vec(),
                };
                Event::build(
                    Some(project),
                    None,
                    None,
                    Some(parent),
                    PlanEvent::UsageSnapshot(part),
                    now,
                )
            })
            .collect()
    }

    /// Adds another snapshot's lines to this one's.
    pub fn absorb(&mut self, other: Self) {
        let lines = std::mem::take(&mut self.lines)
            .into_iter()
            .chain(other.lines);
        self.lines = Self::sum(lines);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::AssistantId;

    fn turn(model: &str, input: i64, output: i64) -> TurnCompleted {
        TurnCompleted {
            turn: 1,
            model: model.into(),
            assistant: AssistantId::generate(),
            assistant_name: "Writer".into(),
            latency_ms: 5,
            input_tokens: input,
            output_tokens: output,
            content: String::new(),
            tool_calls: Vec::new(),
        }
    }

    #[test]
    fn snapshots_sum_turns_per_task_model_and_assistant_and_add_up() {
        let (plan, task) = (PlanId::generate(), Some(TaskId::generate()));
        let (a, b, c) = (turn("m1", 10, 1), turn("m1", 20, 2), turn("m2", 5, 5));
        let mut first = UsageSnapshot::fold(plan, [(task, &a), (task, &b)]);
        assert_eq!(first.lines.len(), 1);
        assert_eq!((first.lines[0].turns, first.lines[0].input_tokens), (2, 30));
        first.absorb(UsageSnapshot::fold(plan, [(task, &c), (None, &a)]));
        let totals: (i64, i64, i64) = first.lines.iter().fold((0, 0, 0), |(t, i, o), l| {
            (t + l.turns, i + l.input_tokens, o + l.output_tokens)
        });
        assert_eq!(totals, (4, 45, 9));
        assert_eq!(
            first.lines.len(),
            3,
            "(task, m1), (task, m2), (generation, m1)"
        );
        let events = first
            .into_events(ProjectId::generate(), Utc::now())
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].parent_id, Some(EventId(plan.0)));
        assert_eq!(events[0].kind.type_name(), "usage.snapshot");
    }

    #[test]
    fn a_snapshot_of_many_tasks_is_split_into_events_under_the_payload_limit() {
        let plan = PlanId::generate();
        let long = "x".repeat(255);
        let mut turn = turn(&long, 1, 1);
        turn.assistant_name.clone_from(&long);
        let tasks: Vec<Option<TaskId>> = (0..1_000).map(|_| Some(TaskId::generate())).collect();
        let snapshot = UsageSnapshot::fold(plan, tasks.iter().map(|t| (*t, &turn)));
        let events = snapshot
            .into_events(ProjectId::generate(), Utc::now())
            .unwrap();
        assert_eq!(events.len(), 1_000_usize.div_ceil(LINES_PER_SNAPSHOT));
        let lines: usize = events
            .iter()
            .map(|e| match e.kind.decode::<PlanEvent>() {
                Some(Ok(PlanEvent::UsageSnapshot(s))) => s.lines.len(),
                other => panic!("{other:?}"),
            })
            .sum();
        assert_eq!(lines, 1_000);
    }
}
