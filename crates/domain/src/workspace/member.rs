//! A project member: a person or an agent, with its handle.

use chrono::{DateTime, Utc};

use super::Handle;
use crate::id::{AssistantId, MemberId, ProjectId, UserId};
use crate::vocabulary::vocabulary;
use crate::{Error, Result};

vocabulary! {
    /// Whether a member is a person or an AI agent.
    pub enum MemberKind("kind") {
        Human = "human",
        Agent = "agent",
    }
}

/// A participant of one project. A human member acts through a user; an agent
/// member may too (its service account) so that its actions carry its identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: MemberId,
    pub project_id: ProjectId,
    pub kind: MemberKind,
    pub user_id: Option<UserId>,
    pub handle: Handle,
    pub display_name: String,
    /// For an agent: the registry assistant it is.
    pub assistant_id: Option<AssistantId>,
    pub created_at: DateTime<Utc>,
}

/// What a caller supplies to add a member.
#[derive(Clone, Debug)]
pub struct NewMember {
    pub kind: MemberKind,
    pub user_id: Option<UserId>,
    pub handle: String,
    pub display_name: Option<String>,
    /// Only for an agent: the registry assistant it is.
    pub assistant_id: Option<AssistantId>,
}

impl Member {
    /// # Errors
    /// `Validation` for a bad handle or display name, or a human without a user.
    pub fn new(project_id: ProjectId, input: NewMember, now: DateTime<Utc>) -> Result<Self> {
        let handle = Handle::parse(&input.handle)?;
        if input.kind == MemberKind::Human && input.user_id.is_none() {
            return Err(Error::validation("user_id", "a human member needs a user"));
        }
        if input.kind == MemberKind::Human && input.assistant_id.is_some() {
            return Err(Error::validation(
                "assistant_id",
                "only an agent member is an assistant",
            ));
        }
        let display_name = match input.display_name {
            Some(name) => crate::text::required("display_name", &name, 100)?,
            None => handle.as_str().to_owned(),
        };
        Ok(Self {
            id: MemberId::generate(),
            project_id,
            kind: input.kind,
            user_id: input.user_id,
            handle,
            display_name,
            assistant_id: input.assistant_id,
            created_at: now,
        })
    }
}
