//! The workspace's request and response bodies.

use agentry_domain::workspace::{ApiToken, Member, MemberKind, Project, TokenSecret, User};
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use crate::common::text::Text;
use crate::common::wire::Wire;

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserOut {
    pub id: Uuid,
    pub name: String,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.0,
            name: u.name.clone(),
            is_admin: u.is_admin,
            created_at: u.created_at,
        }
    }
}

/// An API token; its secret is shown only once, when it is issued.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TokenOut {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Absent while the token works.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&ApiToken> for TokenOut {
    fn from(t: &ApiToken) -> Self {
        Self {
            id: t.id.0,
            user_id: t.user_id.0,
            name: t.name.clone(),
            created_at: t.created_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A newly issued token with its secret: store the secret now, it is not shown again.
#[derive(Debug, Object)]
pub struct IssuedToken {
    pub token: TokenOut,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

impl IssuedToken {
    pub fn new(token: &ApiToken, secret: &TokenSecret) -> Self {
        Self {
            token: token.into(),
            secret: secret.expose().to_owned(),
        }
    }
}

/// One page of users, oldest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserPageOut {
    pub users: Vec<UserOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateUser {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Text,
    #[oai(default)]
    pub is_admin: bool,
}

#[derive(Debug, Object)]
pub struct CreatedUser {
    pub user: UserOut,
    pub token: IssuedToken,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, e.g. `laptop` or `ci`.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Text,
    /// Issue for another user (admins only); the caller by default.
    pub user_id: Option<Uuid>,
}

#[derive(Debug, Object)]
pub struct ProjectOut {
    pub id: Uuid,
    pub name: String,
    /// The task-key prefix: tasks are `KEY-1`, `KEY-2`, …
    pub key: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Project> for ProjectOut {
    fn from(p: &Project) -> Self {
        Self {
            id: p.id.0,
            name: p.name.clone(),
            key: p.key.as_str().to_owned(),
            description: p.description.clone(),
            created_at: p.created_at,
        }
    }
}

/// One page of projects, oldest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProjectPageOut {
    pub projects: Vec<ProjectOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateProject {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Text,
    /// 2–10 letters or digits, starting with a letter; stored uppercase.
    pub key: Text,
    #[oai(default)]
    pub description: Text,
    /// The creator's `@handle` in the project; derived from their name if absent.
    pub handle: Option<Text>,
}

/// A new project, and its creator as its first member.
#[derive(Debug, Object)]
pub struct CreatedProject {
    pub project: ProjectOut,
    pub member: MemberOut,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MemberOut {
    pub id: Uuid,
    pub project_id: Uuid,
    pub kind: Wire<MemberKind>,
    /// The user acting as this member; absent for an agent without a service account.
    pub user_id: Option<Uuid>,
    /// Without the `@`.
    pub handle: String,
    pub display_name: String,
    /// For an agent: the registry assistant it is.
    pub assistant_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<&Member> for MemberOut {
    fn from(m: &Member) -> Self {
        Self {
            id: m.id.0,
            project_id: m.project_id.0,
            kind: m.kind.into(),
            user_id: m.user_id.map(|u| u.0),
            handle: m.handle.as_str().to_owned(),
            display_name: m.display_name.clone(),
            assistant_id: m.assistant_id.map(|a| a.0),
            created_at: m.created_at,
        }
    }
}

/// One page of a project's members, oldest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MemberPageOut {
    pub members: Vec<MemberOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A member to add: `kind` is `human` (with `user_id`) or `agent` (optionally with
/// its service account's `user_id`, and the `assistant_id` it is).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AddMember {
    pub kind: Wire<MemberKind>,
    /// Required for a human; optional for an agent (its service account).
    pub user_id: Option<Uuid>,
    /// Unique in the project; a leading `@` is accepted.
    pub handle: Text,
    pub display_name: Option<Text>,
    /// Only for an agent: the registry assistant it is (`/assistants/{id}`).
    pub assistant_id: Option<Uuid>,
}
