//! Users and API tokens.

use agentry_domain::Services;
use agentry_domain::id::{TokenId, UserId};
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use super::dto::{
    CreateToken, CreateUser, CreatedUser, IssuedToken, TokenOut, UserOut, UserPageOut,
};
use crate::Tag;
use crate::common::auth::Caller;
use crate::common::paging;
use crate::common::problem::ApiResult;
use crate::common::responses::Created;

/// Users and tokens.
#[derive(Debug)]
pub struct AccountsApi {
    pub services: Services,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Accounts")]
impl AccountsApi {
    /// The caller.
    #[oai(path = "/me", method = "get", operation_id = "get_me")]
    async fn me(&self, caller: Caller) -> ApiResult<Json<UserOut>> {
        let user = self.services.accounts.me(&caller.0).await?;
        Ok(Json((&user).into()))
    }

    /// Creates a user with a first token (admins only).
    #[oai(path = "/users", method = "post", operation_id = "create_user")]
    async fn create_user(
        &self,
        caller: Caller,
        body: Json<CreateUser>,
    ) -> ApiResult<Created<CreatedUser>> {
        let (user, token, secret) = self
            .services
            .accounts
            .create_user(&caller.0, &body.name.0, body.is_admin)
            .await?;
        Ok(Created::Created(Json(CreatedUser {
            user: (&user).into(),
            token: IssuedToken::new(&token, &secret),
        })))
    }

    /// A page of users, oldest first (admins only).
    #[oai(path = "/users", method = "get", operation_id = "list_users")]
    async fn list_users(
        &self,
        caller: Caller,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// 1–200, 50 by default.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<UserPageOut>> {
        let page = paging::request::<UserId>(cursor.0.as_deref(), limit.0)?;
        let found = self.services.accounts.list_users(&caller.0, page).await?;
        let (users, next_cursor) = paging::items(found, |u| UserOut::from(&u));
        Ok(Json(UserPageOut { users, next_cursor }))
    }

    /// Issues a token. Its secret is in this response only.
    #[oai(path = "/tokens", method = "post", operation_id = "create_token")]
    async fn create_token(
        &self,
        caller: Caller,
        body: Json<CreateToken>,
    ) -> ApiResult<Created<IssuedToken>> {
        let user = body.user_id.map(UserId);
        let (token, secret) = self
            .services
            .accounts
            .issue_token(&caller.0, &body.name.0, user)
            .await?;
        Ok(Created::Created(Json(IssuedToken::new(&token, &secret))))
    }

    /// The caller's tokens (or, for an admin, another user's), without secrets.
    #[oai(path = "/tokens", method = "get", operation_id = "list_tokens")]
    async fn list_tokens(
        &self,
        caller: Caller,
        user_id: Query<Option<Uuid>>,
    ) -> ApiResult<Json<Vec<TokenOut>>> {
        let tokens = self
            .services
            .accounts
            .list_tokens(&caller.0, user_id.0.map(UserId))
            .await?;
        Ok(Json(tokens.iter().map(TokenOut::from).collect()))
    }

    /// Revokes a token; it stops working at once. Revoking twice is harmless.
    #[oai(path = "/tokens/:id", method = "delete", operation_id = "revoke_token")]
    async fn revoke_token(&self, caller: Caller, id: Path<Uuid>) -> ApiResult<Json<TokenOut>> {
        let token = self
            .services
            .accounts
            .revoke_token(&caller.0, TokenId(id.0))
            .await?;
        Ok(Json((&token).into()))
    }
}
