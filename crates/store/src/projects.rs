//! Projects and their members.

use agentry_domain::event::Event;
use agentry_domain::id::{AssistantId, MemberId, ProjectId, UserId};
use agentry_domain::workspace::{Handle, Member, MemberKind, Project, ProjectKey, ProjectRepo};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, Select, SqlErr,
};

use crate::Store;
use crate::entity::{members, projects};
use crate::error::{corrupt, db_error, unique};
use crate::id_page::id_page;

fn project_from(row: projects::Model) -> Result<Project> {
    Ok(Project {
        id: ProjectId(row.id),
        name: row.name,
        key: ProjectKey::parse(&row.key).map_err(|e| corrupt("project key", e))?,
        description: row.description,
        created_at: row.created_at,
    })
}

pub(crate) fn member_from(row: members::Model) -> Result<Member> {
    Ok(Member {
        id: MemberId(row.id),
        project_id: ProjectId(row.project_id),
        kind: MemberKind::parse(&row.kind).map_err(|e| corrupt("member kind", e))?,
        user_id: row.user_id.map(UserId),
        handle: Handle::parse(&row.handle).map_err(|e| corrupt("handle", e))?,
        display_name: row.display_name,
        assistant_id: row.assistant_id.map(AssistantId),
        created_at: row.created_at,
    })
}

fn member_row(m: &Member) -> members::ActiveModel {
    members::ActiveModel {
        id: Set(m.id.0),
        project_id: Set(m.project_id.0),
        kind: Set(m.kind.as_str().to_owned()),
        user_id: Set(m.user_id.map(|u| u.0)),
        handle: Set(m.handle.as_str().to_owned()),
        display_name: Set(m.display_name.clone()),
        assistant_id: Set(m.assistant_id.map(|a| a.0)),
        created_at: Set(m.created_at),
    }
}

async fn insert_members(conn: &impl ConnectionTrait, members: &[Member]) -> Result<()> {
    members::Entity::insert_many(members.iter().map(member_row))
        .exec_without_returning(conn)
        .await
        .map_err(|err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("handle") => {
                Error::Conflict("the handle is taken in this project".into())
            }
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Error::Conflict("the user is a member of this project already".into())
            }
            _ => db_error(err),
        })?;
    Ok(())
}

#[async_trait]
impl ProjectRepo for Store {
    async fn create_project(
        &self,
        project: &Project,
        members: &[Member],
        events: &[Event],
    ) -> Result<()> {
        let row = projects::ActiveModel {
            id: Set(project.id.0),
            name: Set(project.name.clone()),
            key: Set(project.key.as_str().to_owned()),
            description: Set(project.description.clone()),
            task_seq: Set(0),
            created_at: Set(project.created_at),
            retention_days: Set(None),
        };
        self.transact(events, async |txn| {
            projects::Entity::insert(row)
                .exec_without_returning(txn)
                .await
                .map_err(unique("a project with this key exists"))?;
            insert_members(txn, members).await
        })
        .await
    }

    async fn get_project(&self, id: ProjectId) -> Result<Option<Project>> {
        let seen = match self.caches.projects.get(&id) {
            Ok(project) => return Ok(Some(project)),
            Err(seen) => seen,
        };
        let row = projects::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?;
        let project = row.map(project_from).transpose()?;
        if let Some(project) = &project {
            self.caches.projects.put(seen, id, project.clone());
        }
        Ok(project)
    }

    async fn list_projects(&self, member_user: Option<UserId>) -> Result<Vec<Project>> {
        let rows = visible_projects(member_user)
            .order_by_asc(projects::Column::CreatedAt)
            .order_by_asc(projects::Column::Id)
            .all(&self.read)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(project_from).collect()
    }

    async fn page_projects(
        &self,
        member_user: Option<UserId>,
        after: Option<ProjectId>,
        limit: u32,
    ) -> Result<Vec<Project>> {
        let query = visible_projects(member_user);
        let rows = id_page(query, projects::Column::Id, after.map(|a| a.0), limit)
            .all(&self.read)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(project_from).collect()
    }

    async fn add_member(&self, member: &Member, events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| {
            insert_members(txn, std::slice::from_ref(member)).await
        })
        .await?;
        self.caches.members.clear();
        Ok(())
    }

    async fn get_member(&self, id: MemberId) -> Result<Option<Member>> {
        let row = members::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?;
        row.map(member_from).transpose()
    }

    async fn member_for_user(&self, project: ProjectId, user: UserId) -> Result<Option<Member>> {
        let seen = match self.caches.members.get(&(project, user)) {
            Ok(member) => return Ok(Some(member)),
            Err(seen) => seen,
        };
        let row = members::Entity::find()
            .filter(members::Column::ProjectId.eq(project.0))
            .filter(members::Column::UserId.eq(user.0))
            .one(&self.read)
            .await
            .map_err(db_error)?;
        let member = row.map(member_from).transpose()?;
        if let Some(member) = &member {
            self.caches
                .members
                .put(seen, (project, user), member.clone());
        }
        Ok(member)
    }

    async fn members_by_handle(
        &self,
        project: ProjectId,
        handles: &[Handle],
    ) -> Result<Vec<Member>> {
        if handles.is_empty() {
            return Ok(Vec::new());
        }
        let rows = members::Entity::find()
            .filter(members::Column::ProjectId.eq(project.0))
            .filter(members::Column::Handle.is_in(handles.iter().map(Handle::as_str)))
            .all(&self.read)
            .await
            .map_err(db_error)?;
        let mut found = rows
            .into_iter()
            .map(member_from)
            .collect::<Result<Vec<_>>>()?;
        found.sort_by_key(|m| handles.iter().position(|h| *h == m.handle));
        Ok(found)
    }

    async fn list_members(&self, project: ProjectId) -> Result<Vec<Member>> {
        let rows = members::Entity::find()
            .filter(members::Column::ProjectId.eq(project.0))
            .order_by_asc(members::Column::CreatedAt)
            .order_by_asc(members::Column::Id)
            .all(&self.read)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(member_from).collect()
    }

    async fn page_members(
        &self,
        project: ProjectId,
        after: Option<MemberId>,
        limit: u32,
    ) -> Result<Vec<Member>> {
        let query = members::Entity::find().filter(members::Column::ProjectId.eq(project.0));
        let rows = id_page(query, members::Column::Id, after.map(|a| a.0), limit)
            .all(&self.read)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(member_from).collect()
    }
}

/// The projects `member_user` is a member of, or every project for `None`.
fn visible_projects(member_user: Option<UserId>) -> Select<projects::Entity> {
    let query = projects::Entity::find();
    let Some(user) = member_user else {
        return query;
    };
    let memberships = Query::select()
        .column(members::Column::ProjectId)
        .from(members::Entity)
        .and_where(members::Column::UserId.eq(user.0))
        .to_owned();
    query.filter(projects::Column::Id.in_subquery(memberships))
}
