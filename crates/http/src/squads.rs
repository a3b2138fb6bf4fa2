//! The squads' resources: squads and their members, workflows with their
//! versions, and the template library. Any signed-in user makes squads; only a
//! squad's creator or an admin changes it; a squad the caller may not see
//! answers 404. Writes take `If-Match: "<revision>"`; a stale one answers 412.

mod definition;
mod dto;
mod squad;
mod templates;
mod workflows;

pub use self::squad::SquadsApi;
pub use self::templates::TemplatesApi;
pub use self::workflows::WorkflowsApi;
