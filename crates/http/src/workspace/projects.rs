//! Projects and their members.

use agentry_domain::Services;
use agentry_domain::id::{AssistantId, MemberId, ProjectId, UserId};
use agentry_domain::workspace::{NewMember, NewProject};
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::{
    AddMember, CreateProject, CreatedProject, MemberOut, MemberPageOut, ProjectOut, ProjectPageOut,
};
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::paging;
use crate::common::problem::ApiResult;
use crate::common::responses::Created;

/// Projects and their members.
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

    /// A page of the projects the caller is a member of (of every project for an
    /// admin), oldest first.
    #[oai(path = "/projects", method = "get", operation_id = "list_projects")]
    async fn list(
        &self,
        caller: Caller,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200, 50 by default.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<ProjectPageOut>> {
        let page = paging::request::<ProjectId>(cursor.0.as_deref(), limit.0)?;
        let found = self.services.projects.list_page(&caller.0, page).await?;
        let (projects, next_cursor) = paging::items(found, |p| ProjectOut::from(&p));
        Ok(Json(ProjectPageOut {
            projects,
            next_cursor,
        }))
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

    /// A page of the project's members, oldest first.
    #[oai(
        path = "/projects/:project_id/members",
        method = "get",
        operation_id = "list_members"
    )]
    async fn members(
        &self,
        caller: Caller,
        project_id: Path<Uuid>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200, 50 by default.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<MemberPageOut>> {
        let page = paging::request::<MemberId>(cursor.0.as_deref(), limit.0)?;
        let found = self
            .services
            .projects
            .members(&caller.0, ProjectId(project_id.0), page)
            .await?;
        let (members, next_cursor) = paging::items(found, |m| MemberOut::from(&m));
        Ok(Json(MemberPageOut {
            members,
            next_cursor,
        }))
    }
}
