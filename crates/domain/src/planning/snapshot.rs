//! A finished plan's usage, kept whole when retention prunes its turns: the
//! `turn.completed` events about to go are summed, with the previous
//! snapshot, into a `usage.snapshot` under the plan's `plan_created`, in the
//! transaction that deletes them. A plan's usage is then its newest snapshot
//! plus the turns still in the log.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{PlanEvent, TurnCompleted};
use crate::Result;
use crate::event::Event;
use crate::id::{EventId, PlanId, ProjectId, TaskId};
use crate::shape::described_struct;

described_struct! {
    /// `usage.snapshot`: every turn retention pruned from the plan so far.
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

impl UsageSnapshot {
    /// The snapshot of `plan` that `previous` and the `pruned` turns (each
    /// with its task) add up to.
    #[must_use]
    pub fn fold<'a>(
        plan: PlanId,
        previous: Option<Self>,
        pruned: impl IntoIterator<Item = (Option<TaskId>, &'a TurnCompleted)>,
    ) -> Self {
        let mut lines: BTreeMap<LineKey, SnapshotLine> = BTreeMap::new();
        let mut add = |line: SnapshotLine| {
            let key = (line.task, line.model.clone(), line.assistant_name.clone());
            match lines.get_mut(&key) {
                Some(sum) => {
                    sum.turns += line.turns;
                    sum.input_tokens += line.input_tokens;
                    sum.output_tokens += line.output_tokens;
                }
                None => {
                    lines.insert(key, line);
                }
            }
        };
        for line in previous.map(|p| p.lines).unwrap_or_default() {
            add(line);
        }
        for (task, turn) in pruned {
            add(SnapshotLine {
                task,
                model: turn.model.clone(),
                assistant_name: turn.assistant_name.clone(),
                turns: 1,
                input_tokens: turn.input_tokens,
                output_tokens: turn.output_tokens,
            });
        }
        Self {
            plan,
            lines: lines.into_values().collect(),
        }
    }

    /// The snapshot as the event that records it, under the plan's `plan_created`.
    ///
    /// # Errors
    /// `TooLarge` for a snapshot past an event's payload limit (a plan of
    /// some thousand task, model and assistant triples).
    pub fn into_event(self, project: ProjectId, now: DateTime<Utc>) -> Result<Event> {
        let parent = EventId(self.plan.0);
        let kind = PlanEvent::UsageSnapshot(self);
        Event::build(Some(project), None, None, Some(parent), kind, now)
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
    fn a_snapshot_sums_the_previous_one_and_the_pruned_turns_per_task_model_and_assistant() {
        let (plan, task) = (PlanId::generate(), Some(TaskId::generate()));
        let (a, b, c) = (turn("m1", 10, 1), turn("m1", 20, 2), turn("m2", 5, 5));
        let first = UsageSnapshot::fold(plan, None, [(task, &a), (task, &b)]);
        assert_eq!(first.lines.len(), 1);
        assert_eq!((first.lines[0].turns, first.lines[0].input_tokens), (2, 30));
        let second = UsageSnapshot::fold(plan, Some(first), [(task, &c), (None, &a)]);
        let totals: (i64, i64, i64) = second.lines.iter().fold((0, 0, 0), |(t, i, o), l| {
            (t + l.turns, i + l.input_tokens, o + l.output_tokens)
        });
        assert_eq!(totals, (4, 45, 9));
        assert_eq!(
            second.lines.len(),
            3,
            "(task, m1), (task, m2), (generation, m1)"
        );
        let event = second
            .into_event(ProjectId::generate(), Utc::now())
            .unwrap();
        assert_eq!(event.parent_id, Some(EventId(plan.0)));
        assert_eq!(event.kind.type_name(), "usage.snapshot");
    }
}
