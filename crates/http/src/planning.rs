//! Planning's resources: plans (a goal and its task graph), their runs and usage.

mod dto;
mod plans;
mod script;

pub use plans::PlansApi;
