//! What every resource shares: request and response building blocks, one place
//! for each convention (see `docs/api.md`, "Conventions").

pub mod schema;
pub mod wire;
