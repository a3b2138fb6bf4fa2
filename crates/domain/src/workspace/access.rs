//! Project scoping, enforced here rather than in handlers: a caller outside a
//! project is told that it does not exist.

use super::{Member, Ports, Project};
use crate::caller::Principal;
use crate::id::{MemberId, ProjectId};
use crate::{Error, Result};

/// A project the caller may see, and the member through which the caller acts in it.
#[derive(Clone, Debug)]
pub(crate) struct ProjectAccess {
    pub project: Project,
    pub member: Option<Member>,
}

impl ProjectAccess {
    /// The actor of events the caller causes: its member, or none for an admin
    /// acting from outside the project.
    pub fn actor(&self) -> Option<MemberId> {
        self.member.as_ref().map(|m| m.id)
    }
}

/// # Errors
/// `NotFound` when the project does not exist or the caller is not in it.
pub(crate) async fn project(
    ports: &Ports,
    who: &Principal,
    id: ProjectId,
) -> Result<ProjectAccess> {
    let not_found = || Error::NotFound { entity: "project" };
    // Independent lookups on every scoped request: side by side, not one after another.
    let (project, member) = futures::try_join!(
        ports.projects.get_project(id),
        ports.projects.member_for_user(id, who.user_id)
    )?;
    let project = project.ok_or_else(not_found)?;
    if member.is_none() && !who.is_admin {
        return Err(not_found());
    }
    Ok(ProjectAccess { project, member })
}

/// The caller's access to the project that holds something (a task, an event, an
/// attachment): a caller who may not see the project is told that the thing does
/// not exist, as `entity`; any other error (the database's) stays what it is.
///
/// # Errors
/// `NotFound { entity }` when the caller may not see the project.
pub(crate) async fn project_of(
    ports: &Ports,
    who: &Principal,
    id: ProjectId,
    entity: &'static str,
) -> Result<ProjectAccess> {
    project(ports, who, id).await.map_err(|e| match e {
        Error::NotFound { .. } => Error::NotFound { entity },
        other => other,
    })
}
