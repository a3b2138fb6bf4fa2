//! Planning context: plans (a goal and a graph of tasks), what running them records
//! (agent turns, tool calls), and the ports the engine runs them through (the work
//! queue, the model client, tool executors).
//!
//! Depends on the kernel, the registry (who runs a task), the workspace, the
//! tracker (a plan's tasks are tracker tasks) and the log (agents' messages).

mod draft;
mod events;
mod model;
mod plan;
mod ports;
pub mod schedule;
mod script;
mod service;
mod snapshot;
mod status;
mod usage;

pub use draft::{PlanDraft, PlannedTask};
pub use events::{
    AgentCompleted, AgentEvent, AgentFailed, AgentProgress, AgentStarted, PlanCreated, PlanDeleted,
    PlanEvent, PlanStatusChanged, ReplySent, TURN_COMPLETED, ToolCalled, ToolResult, TurnCompleted,
    TurnStarted, USAGE_SNAPSHOT, bounded_json, recorded_text,
};
pub use model::{
    Hosted, ModelClient, ModelMessage, ModelReply, ModelRequest, OnDelta, OutputSchema, Role,
    ToolCall, ToolExecutor, ToolSpec, Usage,
};
pub use plan::{NewPlan, Plan};
pub use ports::{Claim, ClaimRequest, PlanQuery, PlanRepo, Ports, Settlement, WorkQueue};
#[cfg(any(test, feature = "mock"))]
pub use ports::{MockPlanRepo, MockWorkQueue};
pub use script::{ModelScript, ScriptedCall, ScriptedReply};
pub use service::{GENERATE_ATTEMPTS, PlanView, Plans, downstream};
pub use snapshot::{SnapshotLine, UsageSnapshot};
pub use status::{PlanStatus, StatusCounts};
pub use usage::{PlanUsage, Prices, UsageLine, UsageTotals};
