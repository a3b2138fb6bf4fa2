//! Agentry's composition root: typed configuration, wiring of the store, the
//! domain services and the HTTP API, and the entry points the binaries call.
//!
//! The only crate that reads the environment or picks adapters; binaries stay thin.

mod app;
mod config;
mod engine;
mod metrics;
mod migrate;
mod registry_io;
mod retention;
mod seed;
mod serve;
mod supervise;
mod telemetry;
mod workflow_keys;

pub use app::{App, shutdown_signal};
pub use config::{
    ApiConfig, DatabaseConfig, EngineArgs, LogFormat, MigrateCommand, MigrateConfig,
    PlannerCommand, PlannerConfig, PlannerExport, PlannerPlan, PlannerRun, RemoteArgs, Secret,
};
pub use engine::run_planner;
pub use migrate::run as run_migrate;
pub use serve::ConnectionLimits;
pub use supervise::{PARENT_PROCESS_ID, PlannerSupervise, run_supervisor};
pub use telemetry::init as init_tracing;
pub use workflow_keys::WorkflowKeys;
