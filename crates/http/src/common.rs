//! What every resource shares, one module per convention (`docs/api.md`,
//! "Conventions"): authentication, problem responses, request text, enums from
//! the domain's vocabularies, schemas from its shapes, paging, conditional writes,
//! and the responses they make. Resources import from here, never from each other.

pub mod auth;
pub mod body_limit;
pub mod deadline;
pub mod json_body;
pub mod json_schema;
pub mod metrics;
pub mod nullable;
pub mod paging;
pub mod preconditions;
pub mod problem;
pub mod responses;
pub mod schema;
pub mod text;
pub mod wire;
