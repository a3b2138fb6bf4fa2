//! Usage of a plan, derived from its `turn.completed` events (no side table):
//! tokens per model, per task and per assistant, and an estimated cost where
//! the model has a configured price.

use std::collections::{BTreeMap, HashMap};

use crate::Result;
use crate::event::Event;
use crate::planning::{AgentEvent, SnapshotLine};

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
    fn add(&mut self, counts: &Counts<'_>, prices: &Prices) {
        let priced = self.turns == 0 || self.cost_usd.is_some();
        self.turns += counts.turns;
        self.input_tokens += counts.input_tokens;
        self.output_tokens += counts.output_tokens;
        #[expect(
            clippy::cast_precision_loss,
            reason = "token counts stay far below 2^52"
        )]
        let cost = prices.get(counts.model).map(|(input, output)| {
            (counts.input_tokens as f64 * input + counts.output_tokens as f64 * output) / 1e6
        });
        self.cost_usd = match (priced, cost) {
            (true, Some(cost)) => Some(self.cost_usd.unwrap_or(0.0) + cost),
            _ => None,
        };
    }
}

/// Turns of one model by one assistant: one `turn.completed`, or a line of
/// a usage snapshot (prices are per token, so a sum costs what its turns do).
struct Counts<'a> {
    model: &'a str,
    assistant_name: &'a str,
    turns: i64,
    input_tokens: i64,
    output_tokens: i64,
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
        let counts = Counts {
            model: &turn.model,
            assistant_name: &turn.assistant_name,
            turns: 1,
            input_tokens: turn.input_tokens,
            output_tokens: turn.output_tokens,
        };
        self.count(task.map(|(key, _)| key), &counts, prices);
        Ok(())
    }

    /// Counts a line of the plan's usage snapshot: turns retention pruned,
    /// of the task `key` (none: the plan's generation).
    pub(crate) fn add_pruned(&mut self, key: Option<&str>, line: &SnapshotLine, prices: &Prices) {
        let counts = Counts {
            model: &line.model,
            assistant_name: &line.assistant_name,
            turns: line.turns,
            input_tokens: line.input_tokens,
            output_tokens: line.output_tokens,
        };
        self.count(key, &counts, prices);
    }

    fn count(&mut self, task_key: Option<&str>, counts: &Counts<'_>, prices: &Prices) {
        self.totals.add(counts, prices);
        let keys = [Some(counts.model), task_key, Some(counts.assistant_name)];
        for (lines, key) in self.lines.iter_mut().zip(keys) {
            if let Some(key) = key {
                lines.entry(key.to_owned()).or_default().add(counts, prices);
            }
        }
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
