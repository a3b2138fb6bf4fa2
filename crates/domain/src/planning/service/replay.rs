//! A finished plan as a script for the offline provider: what every model
//! call of the plan answered, so the plan can run again with no network and
//! give the same tree of events (a regression test for prompts, tools and
//! the engine).

use super::Plans;
use crate::caller::Principal;
use crate::id::PlanId;
use crate::planning::{AgentEvent, ModelScript};
use crate::{Error, Result};

impl Plans {
    /// The plan's model answers as a script: the generation's under the
    /// secretary's name, each task's under its author's id.
    ///
    /// # Errors
    /// `NotFound` for a plan the caller cannot see; `Conflict` once
    /// retention has pruned some of its turns.
    pub async fn script(&self, who: &Principal, id: PlanId) -> Result<ModelScript> {
        let (plan, _) = self.load(who, id).await?;
        if self.turns_pruned(id).await? {
            return Err(Error::Conflict(
                "retention has pruned turns of this plan: its script cannot be rebuilt".into(),
            ));
        }
        let mut script = ModelScript::default();
        self.each_turn(who, id, |task, event| {
            if let Some(AgentEvent::TurnCompleted(turn)) =
                event.kind.decode::<AgentEvent>().transpose()?
            {
                script.record(task.map(|(_, client_id)| client_id), &turn);
            }
            Ok(())
        })
        .await?;
        if !script.assistants.is_empty() {
            script.goal = Some(plan.goal);
        }
        Ok(script)
    }
}
