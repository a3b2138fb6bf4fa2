//! Users and API tokens.

use agentry_domain::Result;
use agentry_domain::event::Event;
use agentry_domain::id::{TokenId, UserId};
use agentry_domain::workspace::{ApiToken, TokenDigest, User, UserRepo};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _,
};

use crate::entity::{api_tokens, users};
use crate::error::{db_error, unique};
use crate::id_page::id_page;
use crate::{Backend, Store};

fn user_row(user: &User) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(user.id.0),
        name: Set(user.name.clone()),
        is_admin: Set(user.is_admin),
        created_at: Set(user.created_at),
    }
}

fn user_from(row: users::Model) -> User {
    User {
        id: UserId(row.id),
        name: row.name,
        is_admin: row.is_admin,
        created_at: row.created_at,
    }
}

fn token_row(token: &ApiToken) -> api_tokens::ActiveModel {
    api_tokens::ActiveModel {
        id: Set(token.id.0),
        user_id: Set(token.user_id.0),
        name: Set(token.name.clone()),
        digest: Set(token.digest.0.clone()),
        created_at: Set(token.created_at),
        revoked_at: Set(token.revoked_at),
    }
}

fn token_from(row: api_tokens::Model) -> ApiToken {
    ApiToken {
        id: TokenId(row.id),
        user_id: UserId(row.user_id),
        name: row.name,
        digest: TokenDigest(row.digest),
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    }
}

async fn insert_user(conn: &impl ConnectionTrait, user: &User, tokens: &[ApiToken]) -> Result<()> {
    users::Entity::insert(user_row(user))
        .exec_without_returning(conn)
        .await
        .map_err(db_error)?;
    api_tokens::Entity::insert_many(tokens.iter().map(token_row))
        .exec_without_returning(conn)
        .await
        .map_err(unique("a token with this secret exists"))?;
    Ok(())
}

#[async_trait]
impl UserRepo for Store {
    async fn create_first_user(
        &self,
        user: &User,
        token: &ApiToken,
        events: &[Event],
    ) -> Result<bool> {
        let postgres = self.backend() == Backend::Postgres;
        self.transact_if_changed(events, async |txn| {
            if postgres {
                // Two replicas starting together must not both create "the first" admin.
                txn.execute_unprepared("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
                    .await
                    .map_err(db_error)?;
            }
            if users::Entity::find().count(txn).await.map_err(db_error)? > 0 {
                return Ok(false);
            }
            insert_user(txn, user, std::slice::from_ref(token)).await?;
            Ok(true)
        })
        .await
    }

    async fn create_user(&self, user: &User, tokens: &[ApiToken], events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| insert_user(txn, user, tokens).await)
            .await
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>> {
        let row = users::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?;
        Ok(row.map(user_from))
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let rows = users::Entity::find()
            .order_by_asc(users::Column::CreatedAt)
            .order_by_asc(users::Column::Id)
            .all(&self.read)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(user_from).collect())
    }

    async fn page_users(&self, after: Option<UserId>, limit: u32) -> Result<Vec<User>> {
        let query = users::Entity::find();
        let rows = id_page(query, users::Column::Id, after.map(|a| a.0), limit)
            .all(&self.read)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(user_from).collect())
    }

    async fn authenticate(&self, digest: &TokenDigest) -> Result<Option<User>> {
        let seen = match self.caches.tokens.get(&digest.0) {
            Ok(user) => return Ok(Some(user)),
            Err(seen) => seen,
        };
        // One statement: this runs on every request.
        let holder = Query::select()
            .column(api_tokens::Column::UserId)
            .from(api_tokens::Entity)
            .and_where(api_tokens::Column::Digest.eq(digest.0.as_str()))
            .and_where(api_tokens::Column::RevokedAt.is_null())
            .to_owned();
        let row = users::Entity::find()
            .filter(users::Column::Id.in_subquery(holder))
            .one(&self.read)
            .await
            .map_err(db_error)?;
        let user = row.map(user_from);
        if let Some(user) = &user {
            self.caches.tokens.put(seen, digest.0.clone(), user.clone());
        }
        Ok(user)
    }

    async fn create_token(&self, token: &ApiToken, events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| {
            api_tokens::Entity::insert(token_row(token))
                .exec_without_returning(txn)
                .await
                .map_err(unique("a token with this secret exists"))?;
            Ok(())
        })
        .await
    }

    async fn get_token(&self, id: TokenId) -> Result<Option<ApiToken>> {
        let row = api_tokens::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?;
        Ok(row.map(token_from))
    }

    async fn list_tokens(&self, user_id: UserId) -> Result<Vec<ApiToken>> {
        let rows = api_tokens::Entity::find()
            .filter(api_tokens::Column::UserId.eq(user_id.0))
            .order_by_desc(api_tokens::Column::CreatedAt)
            .order_by_desc(api_tokens::Column::Id)
            .all(&self.read)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(token_from).collect())
    }

    async fn revoke_token(&self, id: TokenId, at: DateTime<Utc>, events: &[Event]) -> Result<()> {
        // Someone else revoked it first: their event stands, ours would be a duplicate.
        self.transact_if_changed(events, async |txn| {
            let revoked = api_tokens::Entity::update_many()
                .col_expr(api_tokens::Column::RevokedAt, Expr::value(at))
                .filter(api_tokens::Column::Id.eq(id.0))
                .filter(api_tokens::Column::RevokedAt.is_null())
                .exec(txn)
                .await
                .map_err(db_error)?;
            Ok(revoked.rows_affected == 1)
        })
        .await?;
        self.caches.tokens.clear();
        Ok(())
    }

    async fn replace_tokens(
        &self,
        token: &ApiToken,
        replaced: &[TokenId],
        events: &[Event],
    ) -> Result<()> {
        self.transact(events, async |txn| {
            // A revoked row keeps its id, name and dates for the record; its digest
            // only ever served to authenticate, which it no longer does. The new
            // value is not hex, so no secret's digest can equal it.
            let holder = api_tokens::Entity::find()
                .filter(api_tokens::Column::Digest.eq(token.digest.0.as_str()))
                .filter(api_tokens::Column::RevokedAt.is_not_null())
                .one(txn)
                .await
                .map_err(db_error)?;
            if let Some(holder) = holder {
                api_tokens::Entity::update_many()
                    .col_expr(
                        api_tokens::Column::Digest,
                        Expr::value(format!("released:{}", holder.id.simple())),
                    )
                    .filter(api_tokens::Column::Id.eq(holder.id))
                    .exec(txn)
                    .await
                    .map_err(db_error)?;
            }
            api_tokens::Entity::insert(token_row(token))
                .exec_without_returning(txn)
                .await
                .map_err(unique("a token with this secret exists"))?;
            api_tokens::Entity::update_many()
                .col_expr(api_tokens::Column::RevokedAt, Expr::value(token.created_at))
                .filter(api_tokens::Column::Id.is_in(replaced.iter().map(|id| id.0)))
                .filter(api_tokens::Column::RevokedAt.is_null())
                .exec(txn)
                .await
                .map_err(db_error)?;
            Ok(())
        })
        .await?;
        self.caches.tokens.clear();
        Ok(())
    }
}
