//! Squads and their members.

use agentry_domain::Services;
use agentry_domain::id::{AssistantId, SquadId};
use agentry_domain::squads::{Squad, SquadQuery, SquadStatus};
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::{
    SquadIn, SquadMemberIn, SquadMemberOut, SquadMembersOut, SquadOut, SquadPageOut, SquadPatch,
};
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::paging;
use crate::common::preconditions::expected_version;
use crate::common::problem::ApiResult;
use crate::common::responses::{Created, NoContent, Versioned, VersionedCreated};
use crate::common::wire::Wire;

fn versioned(squad: &Squad) -> Versioned<SquadOut> {
    Versioned::new(squad.into(), squad.record.revision)
}

/// Squads of assistants.
#[derive(Debug)]
pub struct SquadsApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Squads")]
impl SquadsApi {
    /// A page of the squads the caller sees (their own, the published active
    /// ones; every squad for an admin), oldest first.
    #[oai(path = "/squads", method = "get", operation_id = "list_squads")]
    async fn squads(
        &self,
        caller: Caller,
        status: Query<Option<Wire<SquadStatus>>>,
        /// Only the caller's own squads.
        #[oai(default)]
        mine: Query<bool>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200, 50 by default.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<SquadPageOut>> {
        let page = paging::request::<SquadId>(cursor.0.as_deref(), limit.0)?;
        let query = SquadQuery {
            visible_to: None,
            status: status.0.map(|s| s.0),
            creator: mine.0.then_some(caller.0.user_id),
            after: page.after,
            limit: page.limit,
        };
        let found = self.services.squads.squads(&caller.0, query).await?;
        let (squads, next_cursor) = paging::items(found, |s| SquadOut::from(&s));
        Ok(Json(SquadPageOut {
            squads,
            next_cursor,
        }))
    }

    /// Creates a squad owned by the caller (`squad_created`).
    #[oai(path = "/squads", method = "post", operation_id = "create_squad")]
    async fn create_squad(
        &self,
        caller: Caller,
        body: Json<SquadIn>,
    ) -> ApiResult<VersionedCreated<SquadOut>> {
        let squad = self
            .services
            .squads
            .create_squad(&caller.0, body.0.draft()?)
            .await?;
        Ok(VersionedCreated::new(
            (&squad).into(),
            squad.record.revision,
        ))
    }

    /// A squad: 404 for one the caller may not see.
    #[oai(path = "/squads/:id", method = "get", operation_id = "get_squad")]
    async fn squad(&self, caller: Caller, id: Path<Uuid>) -> ApiResult<Versioned<SquadOut>> {
        let squad = self.services.squads.squad(&caller.0, SquadId(id.0)).await?;
        Ok(versioned(&squad))
    }

    /// Replaces every settable field (its creator or an admin; `squad_updated`).
    #[oai(path = "/squads/:id", method = "put", operation_id = "replace_squad")]
    async fn replace_squad(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; 412 if the squad changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<SquadIn>,
    ) -> ApiResult<Versioned<SquadOut>> {
        let expected = expected_version(if_match.0.as_deref())?;
        let draft = body.0.draft()?;
        let squad = self
            .services
            .squads
            .update_squad(
                &caller.0,
                SquadId(id.0),
                move |_| Ok(draft.clone()),
                expected,
            )
            .await?;
        Ok(versioned(&squad))
    }

    /// Changes the given fields, as `PUT` for the rest.
    #[oai(path = "/squads/:id", method = "patch", operation_id = "update_squad")]
    async fn update_squad(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; 412 if the squad changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<SquadPatch>,
    ) -> ApiResult<Versioned<SquadOut>> {
        let expected = expected_version(if_match.0.as_deref())?;
        let patch = body.0;
        let squad = self
            .services
            .squads
            .update_squad(&caller.0, SquadId(id.0), move |d| patch.apply(d), expected)
            .await?;
        Ok(versioned(&squad))
    }

    /// Publishes an active squad: from now on every user sees it (set once;
    /// `squad_published`). 409 when published already or not active.
    #[oai(
        path = "/squads/:id/publish",
        method = "post",
        operation_id = "publish_squad"
    )]
    async fn publish_squad(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; 412 if the squad changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> ApiResult<Versioned<SquadOut>> {
        let expected = expected_version(if_match.0.as_deref())?;
        let squad = self
            .services
            .squads
            .publish_squad(&caller.0, SquadId(id.0), expected)
            .await?;
        Ok(versioned(&squad))
    }

    /// Deletes the squad with its members, workflows and their versions
    /// (`squad_deleted`).
    #[oai(path = "/squads/:id", method = "delete", operation_id = "delete_squad")]
    async fn delete_squad(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        /// The `ETag` last read; 412 if the squad changed since.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> ApiResult<NoContent> {
        let expected = expected_version(if_match.0.as_deref())?;
        self.services
            .squads
            .delete_squad(&caller.0, SquadId(id.0), expected)
            .await?;
        Ok(NoContent::NoContent)
    }

    /// The squad's members, in the order they were added.
    #[oai(
        path = "/squads/:id/members",
        method = "get",
        operation_id = "list_squad_members"
    )]
    async fn members(&self, caller: Caller, id: Path<Uuid>) -> ApiResult<Json<SquadMembersOut>> {
        let members = self
            .services
            .squads
            .members(&caller.0, SquadId(id.0))
            .await?;
        Ok(Json(SquadMembersOut {
            members: members.iter().map(SquadMemberOut::from).collect(),
        }))
    }

    /// Adds an active assistant under a role (`squad_member_added`). 409 when it is
    /// a member already or inactive, or the squad is full; 422 for an unknown
    /// assistant.
    #[oai(
        path = "/squads/:id/members",
        method = "post",
        operation_id = "add_squad_member"
    )]
    async fn add_member(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<SquadMemberIn>,
    ) -> ApiResult<Created<SquadMemberOut>> {
        let member = self
            .services
            .squads
            .add_member(
                &caller.0,
                SquadId(id.0),
                AssistantId(body.0.assistant_id),
                body.0.role.as_ref().map(|r| r.0.as_str()),
            )
            .await?;
        Ok(Created::Created(Json((&member).into())))
    }

    /// Removes a member (`squad_member_removed`); 409 naming the workflows whose
    /// current version still names it.
    #[oai(
        path = "/squads/:id/members/:assistant_id",
        method = "delete",
        operation_id = "remove_squad_member"
    )]
    async fn remove_member(
        &self,
        caller: Caller,
        id: Path<Uuid>,
        assistant_id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        self.services
            .squads
            .remove_member(&caller.0, SquadId(id.0), AssistantId(assistant_id.0))
            .await?;
        Ok(NoContent::NoContent)
    }
}
