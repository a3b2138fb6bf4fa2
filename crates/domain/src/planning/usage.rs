//! Usage of a plan, derived from its `turn.completed` events (no side table):
//! tokens per model, per task and per assistant, and an estimated cost where
//! the model has a configured price.

use std::collections::{BTreeMap, HashMap};

use crate::Result;
use crate::event::Event;
use crate::planning::{AgentEvent, TurnCompleted};

/// Per-model prices, in US dollars per million tokens: (input, output).
pub type Prices = HashMap<String, (f64, f64)>;

/// Tokens and turns summed over some turns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UsageTotals {
    pub turns: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Estimated cost in US dollars; `None` when a model of these turns has no price.
    pub cost_usd: Option<f64>,
}

impl UsageTotals {
    fn add(&mut self, turn: &TurnCompleted, prices: &Prices) {
        let priced = self.turns == 0 || self.cost_usd.is_some();
        self.turns += 1;
        self.input_tokens += turn.input_tokens;
        self.output_tokens += turn.output_tokens;
        #[expect(
            clippy::cast_precision_loss,
            reason = "token counts stay far below 2^52"
        )]
        let cost = prices.get(&turn.model).map(|(input, output)| {
            (turn.input_tokens as f64 * input + turn.output_tokens as f64 * output) / 1e6
        });
        self.cost_usd = match (priced, cost) {
            (true, Some(cost)) => Some(self.cost_usd.unwrap_or(0.0) + cost),
            _ => None,
        };
    }
}

/// One line of a breakdown: what `key` names (a model, a task key, an
/// assistant's name) and its totals.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UsageLine {
    pub key: String,
    pub totals: UsageTotals,
}

/// A plan's usage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanUsage {
    pub totals: UsageTotals,
    pub by_model: Vec<UsageLine>,
    pub by_task: Vec<UsageLine>,
    /// Per assistant, sub-assistants included (each under its own name).
    pub by_assistant: Vec<UsageLine>,
    lines: [BTreeMap<String, UsageTotals>; 3],
}

impl PlanUsage {
    /// Counts one `turn.completed` of the task `(key, author's id)`, or, with
    /// no task, of the plan's generation (in every breakdown but by task).
    ///
    /// # Errors
    /// `Validation` for a stored payload that does not fit its type.
    pub(crate) fn add(
        &mut self,
        task: Option<(&str, &str)>,
        event: &Event,
        prices: &Prices,
    ) -> Result<()> {
        let Some(AgentEvent::TurnCompleted(turn)) =
            event.kind.decode::<AgentEvent>().transpose()?
        else {
            return Ok(());
        };
        self.totals.add(&turn, prices);
        let keys = [
            Some(turn.model.clone()),
            task.map(|(key, _)| key.to_owned()),
            Some(turn.assistant_name.clone()),
        ];
        for (lines, key) in self.lines.iter_mut().zip(keys) {
            if let Some(key) = key {
                lines.entry(key).or_default().add(&turn, prices);
            }
        }
        Ok(())
    }

    /// Turns the sums into the sorted breakdowns.
    pub(crate) fn finish(&mut self) {
        let [models, tasks, assistants] = std::mem::take(&mut self.lines);
        let lines = |m: BTreeMap<String, UsageTotals>| {
            m.into_iter()
                .map(|(key, totals)| UsageLine { key, totals })
                .collect()
        };
        self.by_model = lines(models);
        self.by_task = lines(tasks);
        self.by_assistant = lines(assistants);
    }
}
