//! What a plan's model turns add up to: its usage, and (for the replay script)
//! every `turn.completed` of it — the turns that generated it, under its
//! `plan_created`, then each task's.

use std::collections::HashMap;

use super::{Plans, plan_event};
use crate::caller::Principal;
use crate::event::Event;
use crate::id::{PlanId, TaskId};
use crate::log::EventFilter;
use crate::page;
use crate::planning::USAGE_SNAPSHOT;
use crate::planning::{PlanEvent, PlanUsage, UsageSnapshot};
use crate::{Error, Result};

impl Plans {
    /// Tokens (and, with prices configured, cost) per model, task and
    /// assistant, summed from the plan's `turn.completed` events.
    ///
    /// # Errors
    /// `NotFound` for a plan the caller cannot see.
    pub async fn usage(&self, who: &Principal, id: PlanId) -> Result<PlanUsage> {
        // The turns and the snapshots are read apart: a batch committing in
        // between moves turns into a snapshot, and they would count twice or
        // not at all. Snapshots only accumulate, so the same number of them
        // before and after the turns means the turns were read against them.
        let mut pruned = self.pruned_usage(id).await?;
        for _ in 0..3 {
            let mut usage = PlanUsage::default();
            self.each_turn(who, id, |task, event| usage.add(task, event, &self.prices))
                .await?;
            let again = self.pruned_usage(id).await?;
            if again.1 != pruned.1 {
                pruned = again;
                continue;
            }
            if !pruned.0.lines.is_empty() {
                let keys = self.task_keys(who, id).await?;
                for line in &pruned.0.lines {
                    let key = line.task.and_then(|t| keys.get(&t)).map(String::as_str);
                    usage.add_pruned(key, line, &self.prices);
                }
            }
            usage.finish();
            return Ok(usage);
        }
        Err(Error::unavailable(
            "retention kept pruning the plan's turns while its usage was read",
        ))
    }

    /// What retention has pruned of the plan's turns: the sum of the
    /// `usage.snapshot` events under its `plan_created`, and how many there are.
    async fn pruned_usage(&self, id: PlanId) -> Result<(UsageSnapshot, usize)> {
        let filter = EventFilter {
            parent_id: Some(plan_event(id)),
            ..EventFilter::default()
        };
        let mut sum = UsageSnapshot {
            plan: id,
            lines: Vec::new(),
        };
        let snapshots = self.all_of(filter, USAGE_SNAPSHOT).await?;
        let count = snapshots.len();
        for event in snapshots {
            match event.kind.decode::<PlanEvent>() {
                Some(Ok(PlanEvent::UsageSnapshot(snapshot))) => sum.absorb(snapshot),
                Some(Err(e)) => return Err(e),
                _ => {}
            }
        }
        Ok((sum, count))
    }

    /// Whether retention has pruned turns of the plan.
    pub(super) async fn turns_pruned(&self, id: PlanId) -> Result<bool> {
        let filter = EventFilter {
            parent_id: Some(plan_event(id)),
            types: vec![USAGE_SNAPSHOT.to_owned()],
            limit: 1,
            ..EventFilter::default()
        };
        Ok(!self.log.events.list_events(&filter).await?.is_empty())
    }

    async fn task_keys(&self, who: &Principal, id: PlanId) -> Result<HashMap<TaskId, String>> {
        let (_, scope) = self.load(who, id).await?;
        let tasks = self.ports.plans.plan_tasks(id).await?;
        Ok(tasks
            .iter()
            .map(|t| (t.id(), scope.project.task_key(t.record().number)))
            .collect())
    }

    /// Calls `each` with every `turn.completed` of the plan: the turns that
    /// generated it (with no task), then each task's, oldest first, with the
    /// task's key and its author's id.
    pub(super) async fn each_turn(
        &self,
        who: &Principal,
        id: PlanId,
        mut each: impl FnMut(Option<(&str, &str)>, &Event) -> Result<()>,
    ) -> Result<()> {
        let (_, scope) = self.load(who, id).await?;
        let tasks = self.ports.plans.plan_tasks(id).await?;
        let generation = EventFilter {
            project_id: Some(scope.project.id),
            parent_id: Some(plan_event(id)),
            ..EventFilter::default()
        };
        for event in self.all_turns(generation).await? {
            each(None, &event)?;
        }
        for task in &tasks {
            let key = scope.project.task_key(task.record().number);
            let client_id = task.execution().map_or("", |e| e.client_id.as_str());
            let filter = EventFilter {
                task_id: Some(task.id()),
                ..EventFilter::default()
            };
            for event in self.all_turns(filter).await? {
                each(Some((&key, client_id)), &event)?;
            }
        }
        Ok(())
    }

    /// Every `turn.completed` `filter` selects, oldest first.
    async fn all_turns(&self, filter: EventFilter) -> Result<Vec<Event>> {
        self.all_of(filter, crate::planning::events::TURN_COMPLETED)
            .await
    }

    /// Every event of type `kind` that `filter` selects, oldest first.
    async fn all_of(&self, mut filter: EventFilter, kind: &str) -> Result<Vec<Event>> {
        filter.types = vec![kind.to_owned()];
        filter.limit = page::MAX_LIMIT;
        let mut all = Vec::new();
        loop {
            let events = self.log.events.list_events(&filter).await?;
            let full = events.len() == page::MAX_LIMIT as usize;
            filter.before = events.last().map(|e| e.id);
            all.extend(events);
            if !full {
                break;
            }
        }
        all.reverse();
        Ok(all)
    }
}
