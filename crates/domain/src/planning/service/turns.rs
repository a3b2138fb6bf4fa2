//! What a plan's model turns add up to: its usage, and (for the replay script)
//! every `turn.completed` of it — the turns that generated it, under its
//! `plan_created`, then each task's.

use std::collections::HashMap;

use super::{Plans, plan_event};
use crate::Result;
use crate::caller::Principal;
use crate::event::Event;
use crate::id::{PlanId, TaskId};
use crate::log::EventFilter;
use crate::page;
use crate::planning::USAGE_SNAPSHOT;
use crate::planning::{PlanEvent, PlanUsage, UsageSnapshot};

impl Plans {
    /// Tokens (and, with prices configured, cost) per model, task and
    /// assistant, summed from the plan's `turn.completed` events.
    ///
    /// # Errors
    /// `NotFound` for a plan the caller cannot see.
    pub async fn usage(&self, who: &Principal, id: PlanId) -> Result<PlanUsage> {
        let mut usage = PlanUsage::default();
        self.each_turn(who, id, |task, event| usage.add(task, event, &self.prices))
            .await?;
        if let Some(snapshot) = self.usage_snapshot(id).await? {
            let keys = self.task_keys(who, id).await?;
            for line in &snapshot.lines {
                let key = line.task.and_then(|t| keys.get(&t)).map(String::as_str);
                usage.add_pruned(key, line, &self.prices);
            }
        }
        usage.finish();
        Ok(usage)
    }

    /// What retention has pruned of the plan's turns, if it has: the newest
    /// `usage.snapshot` under its `plan_created`.
    pub(super) async fn usage_snapshot(&self, id: PlanId) -> Result<Option<UsageSnapshot>> {
        let filter = EventFilter {
            parent_id: Some(plan_event(id)),
            types: vec![USAGE_SNAPSHOT.to_owned()],
            limit: 1,
            ..EventFilter::default()
        };
        let newest = self
            .log
            .events
            .list_events(&filter)
            .await?
            .into_iter()
            .next();
        match newest.map(|e| e.kind.decode::<PlanEvent>()) {
            Some(Some(Ok(PlanEvent::UsageSnapshot(snapshot)))) => Ok(Some(snapshot)),
            Some(Some(Err(e))) => Err(e),
            _ => Ok(None),
        }
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
    async fn all_turns(&self, mut filter: EventFilter) -> Result<Vec<Event>> {
        filter.types = vec![crate::planning::events::TURN_COMPLETED.to_owned()];
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
