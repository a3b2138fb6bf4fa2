//! Users, their API tokens, and who a presented token belongs to.

use crate::caller::Principal;
use crate::event::Event;
use crate::id::{TokenId, UserId};
use crate::page::{self, Page, PageRequest};
use crate::workspace::Ports;
use crate::workspace::{
    ApiToken, TokenCreated, TokenRevoked, TokenSecret, User, UserCreated, WorkspaceEvent,
};
use crate::{Error, Result};

/// The name of the token that mirrors the `AGENTRY_ADMIN_TOKEN` setting.
pub const CONFIGURED_ADMIN_TOKEN: &str = "AGENTRY_ADMIN_TOKEN";

/// Users, tokens and authentication.
#[derive(Clone, Debug)]
pub struct Accounts {
    ports: Ports,
}

impl Accounts {
    pub(crate) fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Resolves a presented bearer secret to its caller.
    ///
    /// # Errors
    /// `Unauthenticated` for an unknown, revoked or malformed secret.
    pub async fn authenticate(&self, presented: &str) -> Result<Principal> {
        let secret = TokenSecret::from_presented(presented).map_err(|_| Error::Unauthenticated)?;
        let user = self.ports.users.authenticate(&secret.digest()).await?;
        user.map(|u| Principal::from(&u))
            .ok_or(Error::Unauthenticated)
    }

    /// Makes sure someone can administer this installation.
    ///
    /// With a configured admin secret, that secret is made a valid admin token and
    /// an earlier configured one revoked, in one transaction: a failed rotation
    /// leaves the old token working, and a secret used before may come back. Without one, the first start creates an
    /// admin and returns its new secret, to be shown once; later starts return `None`.
    ///
    /// # Errors
    /// Whatever the store reports.
    pub async fn bootstrap(&self, configured: Option<&TokenSecret>) -> Result<Option<TokenSecret>> {
        let now = self.ports.clock.now();
        let Some(secret) = configured else {
            let admin = User::new("admin", true, now)?;
            let (token, secret) = ApiToken::issue(admin.id, "bootstrap", now)?;
            let events = [user_created(&admin, now)?, token_created(&token, now)?];
            let created = self
                .ports
                .users
                .create_first_user(&admin, &token, &events)
                .await?;
            return Ok(created.then_some(secret));
        };
        if let Some(owner) = self.ports.users.authenticate(&secret.digest()).await? {
            if owner.is_admin {
                return Ok(None);
            }
            return Err(Error::Conflict(
                "the configured admin token belongs to a non-admin user".into(),
            ));
        }
        let admin = match self
            .ports
            .users
            .list_users()
            .await?
            .into_iter()
            .find(|u| u.is_admin)
        {
            Some(admin) => admin,
            None => {
                let admin = User::new("admin", true, now)?;
                self.ports
                    .users
                    .create_user(&admin, &[], &[user_created(&admin, now)?])
                    .await?;
                admin
            }
        };
        let token = ApiToken::with_secret(admin.id, CONFIGURED_ADMIN_TOKEN, secret, now)?;
        let mut events = vec![token_created(&token, now)?];
        let mut replaced = Vec::new();
        for old in self.ports.users.list_tokens(admin.id).await? {
            if old.name == CONFIGURED_ADMIN_TOKEN && old.revoked_at.is_none() {
                let revoked = TokenRevoked {
                    token: old.id,
                    user: admin.id,
                };
                events.push(Event::global(WorkspaceEvent::TokenRevoked(revoked), now)?);
                replaced.push(old.id);
            }
        }
        match self
            .ports
            .users
            .replace_tokens(&token, &replaced, &events)
            .await
        {
            // Another replica starting with the same setting installed it first.
            Err(Error::Conflict(_)) if self.is_admin_secret(secret).await? => Ok(None),
            done => done.map(|()| None),
        }
    }

    async fn is_admin_secret(&self, secret: &TokenSecret) -> Result<bool> {
        let owner = self.ports.users.authenticate(&secret.digest()).await?;
        Ok(owner.is_some_and(|u| u.is_admin))
    }

    /// Creates a user with a first token, whose secret is returned once.
    ///
    /// # Errors
    /// `Forbidden` for a non-admin caller, `Validation` for a bad name.
    pub async fn create_user(
        &self,
        who: &Principal,
        name: &str,
        is_admin: bool,
    ) -> Result<(User, ApiToken, TokenSecret)> {
        who.require_admin()?;
        let now = self.ports.clock.now();
        let user = User::new(name, is_admin, now)?;
        let (token, secret) = ApiToken::issue(user.id, "initial", now)?;
        let events = [user_created(&user, now)?, token_created(&token, now)?];
        self.ports
            .users
            .create_user(&user, std::slice::from_ref(&token), &events)
            .await?;
        Ok((user, token, secret))
    }

    /// A page of users, oldest first.
    ///
    /// # Errors
    /// `Forbidden` for a non-admin caller.
    pub async fn list_users(
        &self,
        who: &Principal,
        request: PageRequest<UserId>,
    ) -> Result<Page<User, UserId>> {
        who.require_admin()?;
        page::read(
            request.limit,
            |u: &User| u.id,
            |limit| self.ports.users.page_users(request.after, limit),
        )
        .await
    }

    /// The caller itself.
    ///
    /// # Errors
    /// `Unauthenticated` if the caller's user is gone.
    pub async fn me(&self, who: &Principal) -> Result<User> {
        self.ports
            .users
            .get_user(who.user_id)
            .await?
            .ok_or(Error::Unauthenticated)
    }

    /// Issues a token for the caller, or (admins only) for another user.
    ///
    /// # Errors
    /// `NotFound` for another user unless the caller is an admin and the user exists.
    pub async fn issue_token(
        &self,
        who: &Principal,
        name: &str,
        for_user: Option<UserId>,
    ) -> Result<(ApiToken, TokenSecret)> {
        let user_id = self.target_user(who, for_user).await?;
        let now = self.ports.clock.now();
        let (token, secret) = ApiToken::issue(user_id, name, now)?;
        self.ports
            .users
            .create_token(&token, &[token_created(&token, now)?])
            .await?;
        Ok((token, secret))
    }

    /// # Errors
    /// As for [`Accounts::issue_token`].
    pub async fn list_tokens(
        &self,
        who: &Principal,
        for_user: Option<UserId>,
    ) -> Result<Vec<ApiToken>> {
        let user_id = self.target_user(who, for_user).await?;
        self.ports.users.list_tokens(user_id).await
    }

    /// Revokes one of the caller's tokens (an admin may revoke anyone's). Revoking a
    /// revoked token changes nothing.
    ///
    /// # Errors
    /// `NotFound` for a token the caller does not own.
    pub async fn revoke_token(&self, who: &Principal, id: TokenId) -> Result<ApiToken> {
        let not_found = || Error::NotFound { entity: "token" };
        let mut token = self
            .ports
            .users
            .get_token(id)
            .await?
            .ok_or_else(not_found)?;
        if token.user_id != who.user_id && !who.is_admin {
            return Err(not_found());
        }
        if token.revoked_at.is_none() {
            let now = self.ports.clock.now();
            let event = Event::global(
                WorkspaceEvent::TokenRevoked(TokenRevoked {
                    token: id,
                    user: token.user_id,
                }),
                now,
            )?;
            self.ports.users.revoke_token(id, now, &[event]).await?;
            token.revoked_at = Some(now);
        }
        Ok(token)
    }

    async fn target_user(&self, who: &Principal, for_user: Option<UserId>) -> Result<UserId> {
        match for_user {
            None => Ok(who.user_id),
            Some(id) if id == who.user_id => Ok(id),
            Some(id) if who.is_admin => match self.ports.users.get_user(id).await? {
                Some(user) => Ok(user.id),
                None => Err(Error::NotFound { entity: "user" }),
            },
            Some(_) => Err(Error::NotFound { entity: "user" }),
        }
    }
}

fn user_created(user: &User, now: chrono::DateTime<chrono::Utc>) -> Result<Event> {
    Event::global(
        WorkspaceEvent::UserCreated(UserCreated {
            user: user.id,
            name: user.name.clone(),
            is_admin: user.is_admin,
        }),
        now,
    )
}

fn token_created(token: &ApiToken, now: chrono::DateTime<chrono::Utc>) -> Result<Event> {
    Event::global(
        WorkspaceEvent::TokenCreated(TokenCreated {
            token: token.id,
            user: token.user_id,
            name: token.name.clone(),
        }),
        now,
    )
}
