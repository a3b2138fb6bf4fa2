//! Projects, their members and labels.

use agentry_domain::Services;
use agentry_domain::id::{AssistantId, ProjectId, UserId};
use agentry_domain::tracker::Label;
use agentry_domain::workspace::NewProject;
use agentry_domain::workspace::{Member, MemberKind, NewMember, Project};
use chrono::{DateTime, Utc};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use crate::Tag;
use crate::accounts::Created;
use crate::auth::Caller;
use crate::common::wire::Wire;
use crate::problem::ApiResult;
use crate::text::Text;

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

#[derive(Debug, Object)]
pub struct CreatedProject {
    pub project: ProjectOut,
    /// The creator, the project's first member.
    pub member: MemberOut,
}

#[derive(Debug, Object)]
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

#[derive(Debug, Object)]
pub struct LabelOut {
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Label> for LabelOut {
    fn from(l: &Label) -> Self {
        Self {
            id: l.id.0,
            project_id: l.project_id.0,
            name: l.name.clone(),
            color: l.color.clone(),
            created_at: l.created_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateLabel {
    /// Unique in the project, ignoring case.
    pub name: Text,
    /// `#rrggbb`; grey by default.
    pub color: Option<Text>,
}

/// Projects, members and labels.
#[derive(Debug)]
pub struct ProjectsApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Projects")]
impl ProjectsApi {
    /// Creates a project; the caller becomes its first member.
    #[oai(path = "/projects", method = "post", operation_id = "create_project")]
    async fn create(
        &self,
        caller: Caller,
        body: Json<CreateProject>,
    ) -> ApiResult<Created<CreatedProject>> {
        let Json(body) = body;
        let input = NewProject {
            name: body.name.into(),
            key: body.key.into(),
            description: body.description.into(),
            handle: body.handle.map(Into::into),
        };
        let (project, member) = self.services.projects.create(&caller.0, input).await?;
        Ok(Created::Created(Json(CreatedProject {
            project: (&project).into(),
            member: (&member).into(),
        })))
    }

    /// The projects the caller is a member of (every project for an admin).
    #[oai(path = "/projects", method = "get", operation_id = "list_projects")]
    async fn list(&self, caller: Caller) -> ApiResult<Json<Vec<ProjectOut>>> {
        let projects = self.services.projects.list(&caller.0).await?;
        Ok(Json(projects.iter().map(ProjectOut::from).collect()))
    }

    #[oai(
        path = "/projects/:project_id",
        method = "get",
        operation_id = "get_project"
    )]
    async fn get(&self, caller: Caller, project_id: Path<Uuid>) -> ApiResult<Json<ProjectOut>> {
        let project = self
            .services
            .projects
            .get(&caller.0, ProjectId(project_id.0))
            .await?;
        Ok(Json((&project).into()))
    }

    /// Adds a human or an agent to the project.
    #[oai(
        path = "/projects/:project_id/members",
        method = "post",
        operation_id = "add_member"
    )]
    async fn add_member(
        &self,
        caller: Caller,
        project_id: Path<Uuid>,
        body: Json<AddMember>,
    ) -> ApiResult<Created<MemberOut>> {
        let Json(body) = body;
        let input = NewMember {
            kind: body.kind.0,
            user_id: body.user_id.map(UserId),
            handle: body.handle.into(),
            display_name: body.display_name.map(Into::into),
            assistant_id: body.assistant_id.map(AssistantId),
        };
        let member = self
            .services
            .projects
            .add_member(&caller.0, ProjectId(project_id.0), input)
            .await?;
        Ok(Created::Created(Json((&member).into())))
    }

    #[oai(
        path = "/projects/:project_id/members",
        method = "get",
        operation_id = "list_members"
    )]
    async fn members(
        &self,
        caller: Caller,
        project_id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<MemberOut>>> {
        let members = self
            .services
            .projects
            .members(&caller.0, ProjectId(project_id.0))
            .await?;
        Ok(Json(members.iter().map(MemberOut::from).collect()))
    }

    #[oai(
        path = "/projects/:project_id/labels",
        method = "post",
        operation_id = "create_label"
    )]
    async fn create_label(
        &self,
        caller: Caller,
        project_id: Path<Uuid>,
        body: Json<CreateLabel>,
    ) -> ApiResult<Created<LabelOut>> {
        let label = self
            .services
            .labels
            .create(
                &caller.0,
                ProjectId(project_id.0),
                &body.name.0,
                body.color.as_ref().map(AsRef::as_ref),
            )
            .await?;
        Ok(Created::Created(Json((&label).into())))
    }

    #[oai(
        path = "/projects/:project_id/labels",
        method = "get",
        operation_id = "list_labels"
    )]
    async fn labels(
        &self,
        caller: Caller,
        project_id: Path<Uuid>,
    ) -> ApiResult<Json<Vec<LabelOut>>> {
        let labels = self
            .services
            .labels
            .list(&caller.0, ProjectId(project_id.0))
            .await?;
        Ok(Json(labels.iter().map(LabelOut::from).collect()))
    }
}
