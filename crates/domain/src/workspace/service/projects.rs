//! Projects and their members.

use std::sync::Arc;

use crate::caller::Principal;
use crate::event::Event;
use crate::id::{MemberId, ProjectId};
use crate::page::{self, Page, PageRequest};
use crate::registry::AssistantRepo;
use crate::workspace::access;
use crate::workspace::{
    Handle, Member, MemberAdded, MemberKind, NewMember, Ports, Project, ProjectCreated,
    WorkspaceEvent,
};
use crate::{Error, Result};

/// What a caller supplies to create a project.
#[derive(Clone, Debug, Default)]
pub struct NewProject {
    pub name: String,
    pub key: String,
    pub description: String,
    /// The creator's handle in the project; derived from the user's name if absent.
    pub handle: Option<String>,
}

/// Projects and their members.
#[derive(Clone)]
pub struct Projects {
    ports: Ports,
    /// An agent member names the registry assistant it is.
    assistants: Arc<dyn AssistantRepo>,
}

impl std::fmt::Debug for Projects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projects").finish_non_exhaustive()
    }
}

impl Projects {
    pub(crate) fn new(ports: Ports, assistants: Arc<dyn AssistantRepo>) -> Self {
        Self { ports, assistants }
    }

    /// Creates a project whose first member is its creator.
    ///
    /// # Errors
    /// `Validation` for bad input, `Conflict` for a key that is taken.
    pub async fn create(&self, who: &Principal, input: NewProject) -> Result<(Project, Member)> {
        let now = self.ports.clock.now();
        let project = Project::new(&input.name, &input.key, &input.description, now)?;
        let user = self
            .ports
            .users
            .get_user(who.user_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let handle = match input.handle {
            Some(handle) => handle,
            None => handle_from_name(&user.name),
        };
        let creator = Member::new(
            project.id,
            NewMember {
                kind: MemberKind::Human,
                user_id: Some(user.id),
                handle,
                display_name: Some(user.name.clone()),
                assistant_id: None,
            },
            now,
        )?;
        let created = WorkspaceEvent::ProjectCreated(ProjectCreated {
            name: project.name.clone(),
            key: project.key.as_str().to_owned(),
        });
        let events = [
            Event::in_project(project.id, Some(creator.id), None, created, now)?,
            Event::in_project(
                project.id,
                Some(creator.id),
                None,
                member_added(&creator),
                now,
            )?,
        ];
        self.ports
            .projects
            .create_project(&project, std::slice::from_ref(&creator), &events)
            .await?;
        Ok((project, creator))
    }

    /// # Errors
    /// `NotFound` for a project the caller cannot see.
    pub async fn get(&self, who: &Principal, id: ProjectId) -> Result<Project> {
        Ok(access::project(&self.ports, who, id).await?.project)
    }

    /// The projects the caller is a member of; every project for an admin. All at
    /// once, for tools beside the server; the API reads them a page at a time
    /// ([`Projects::list_page`]).
    ///
    /// # Errors
    /// Whatever the store reports.
    pub async fn list(&self, who: &Principal) -> Result<Vec<Project>> {
        self.ports.projects.list_projects(visible_to(who)).await
    }

    /// A page of the projects the caller is a member of (of every project for an
    /// admin), oldest first.
    ///
    /// # Errors
    /// Whatever the store reports.
    pub async fn list_page(
        &self,
        who: &Principal,
        request: PageRequest<ProjectId>,
    ) -> Result<Page<Project, ProjectId>> {
        page::read(
            request.limit,
            |p: &Project| p.id,
            |limit| {
                self.ports
                    .projects
                    .page_projects(visible_to(who), request.after, limit)
            },
        )
        .await
    }

    /// Adds a human (with their user) or an agent to a project the caller is in.
    ///
    /// # Errors
    /// `Validation` for bad input or an unknown user, `Conflict` for a taken handle
    /// or a user who is a member already.
    pub async fn add_member(
        &self,
        who: &Principal,
        project: ProjectId,
        input: NewMember,
    ) -> Result<Member> {
        let scope = access::project(&self.ports, who, project).await?;
        if let Some(user_id) = input.user_id
            && self.ports.users.get_user(user_id).await?.is_none()
        {
            return Err(Error::validation("user_id", "no such user"));
        }
        if let Some(assistant) = input.assistant_id
            && self.assistants.get_assistant(assistant).await?.is_none()
        {
            return Err(Error::validation("assistant_id", "no such assistant"));
        }
        let now = self.ports.clock.now();
        let member = Member::new(project, input, now)?;
        let event = Event::in_project(project, scope.actor(), None, member_added(&member), now)?;
        self.ports.projects.add_member(&member, &[event]).await?;
        Ok(member)
    }

    /// A page of the project's members, oldest first.
    ///
    /// # Errors
    /// `NotFound` for a project the caller cannot see.
    pub async fn members(
        &self,
        who: &Principal,
        project: ProjectId,
        request: PageRequest<MemberId>,
    ) -> Result<Page<Member, MemberId>> {
        access::project(&self.ports, who, project).await?;
        page::read(
            request.limit,
            |m: &Member| m.id,
            |limit| {
                self.ports
                    .projects
                    .page_members(project, request.after, limit)
            },
        )
        .await
    }
}

/// Whose projects a caller sees: their own, or every one (`None`) for an admin.
fn visible_to(who: &Principal) -> Option<crate::id::UserId> {
    (!who.is_admin).then_some(who.user_id)
}

fn member_added(member: &Member) -> WorkspaceEvent {
    WorkspaceEvent::MemberAdded(MemberAdded {
        member: member.id,
        handle: member.handle.clone(),
        kind: member.kind,
    })
}

/// A valid handle made from a display name: `Ada Lovelace` becomes `ada-lovelace`.
fn handle_from_name(name: &str) -> String {
    let mut handle: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if Handle::is_handle_char(c) { c } else { '-' })
        .collect();
    if !handle.starts_with(|c: char| c.is_ascii_lowercase()) {
        handle.insert(0, 'u');
    }
    handle.truncate(Handle::MAX_LEN);
    handle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_handle_is_always_valid() {
        for name in ["Ada Lovelace", "42", "ünïcode", &"x".repeat(80), "admin"] {
            assert!(Handle::parse(&handle_from_name(name)).is_ok(), "{name}");
        }
        assert_eq!(handle_from_name("Ada Lovelace"), "ada-lovelace");
    }
}
