//! Squads and their members.

use agentry_domain::event::Event;
use agentry_domain::id::{AssistantId, SquadId, WorkflowId};
use agentry_domain::squads::{Squad, SquadMember, SquadQuery, SquadRepo};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait as _, Condition, ConnectionTrait, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, SqlErr,
};

use super::rows::{member_from, member_row, squad_from};
use super::{delete_at, lock_squad, missed, price_value};
use crate::Store;
use crate::entity::{assistants, squad_members, squads, workflows};
use crate::error::db_error;
use crate::id_page::id_page;

#[async_trait]
impl SquadRepo for Store {
    async fn create_squad(&self, squad: &Squad, events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| {
            let d = squad.draft();
            let insert = Query::insert()
                .into_table(squads::Entity)
                .columns([
                    squads::Column::Id,
                    squads::Column::CreatorId,
                    squads::Column::Name,
                    squads::Column::Description,
                    squads::Column::Status,
                    squads::Column::PricePerExecution,
                    squads::Column::PublishedAt,
                    squads::Column::Revision,
                    squads::Column::CreatedAt,
                    squads::Column::UpdatedAt,
                ])
                .values_panic([
                    squad.id().0.into(),
                    squad.creator_id.0.into(),
                    d.name.clone().into(),
                    d.description.clone().into(),
                    d.status.as_str().into(),
                    price_value(txn.get_database_backend(), d.price_per_execution),
                    squad.published_at.into(),
                    squad.record.revision.into(),
                    squad.record.created_at.into(),
                    squad.record.updated_at.into(),
                ])
                .to_owned();
            txn.execute(&insert).await.map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn get_squad(&self, id: SquadId) -> Result<Option<Squad>> {
        squads::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?
            .map(squad_from)
            .transpose()
    }

    async fn list_squads(&self, q: &SquadQuery) -> Result<Vec<Squad>> {
        let mut query = squads::Entity::find();
        if let Some(user) = q.visible_to {
            query = query.filter(
                Condition::any()
                    .add(squads::Column::CreatorId.eq(user.0))
                    .add(
                        Condition::all()
                            .add(squads::Column::PublishedAt.is_not_null())
                            .add(squads::Column::Status.eq("active")),
                    ),
            );
        }
        if let Some(status) = q.status {
            query = query.filter(squads::Column::Status.eq(status.as_str()));
        }
        if let Some(creator) = q.creator {
            query = query.filter(squads::Column::CreatorId.eq(creator.0));
        }
        id_page(query, squads::Column::Id, q.after.map(|a| a.0), q.limit)
            .all(&self.read)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(squad_from)
            .collect()
    }

    async fn update_squad(&self, squad: &Squad, events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| {
            let d = squad.draft();
            let expected = squad.record.replaces();
            let updated = squads::Entity::update_many()
                .col_expr(squads::Column::Name, Expr::value(d.name.clone()))
                .col_expr(
                    squads::Column::Description,
                    Expr::value(d.description.clone()),
                )
                .col_expr(squads::Column::Status, Expr::value(d.status.as_str()))
                .col_expr(
                    squads::Column::PricePerExecution,
                    price_value(txn.get_database_backend(), d.price_per_execution),
                )
                .col_expr(squads::Column::PublishedAt, Expr::value(squad.published_at))
                .col_expr(squads::Column::Revision, Expr::value(squad.record.revision))
                .col_expr(
                    squads::Column::UpdatedAt,
                    Expr::value(squad.record.updated_at),
                )
                .filter(squads::Column::Id.eq(squad.id().0))
                .filter(squads::Column::Revision.eq(expected))
                .exec(txn)
                .await
                .map_err(db_error)?;
            if updated.rows_affected == 0 {
                return Err(missed::<squads::Entity>(txn, squad.id().0, expected).await);
            }
            Ok(())
        })
        .await
    }

    async fn delete_squad(&self, id: SquadId, revision: i64, events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| {
            delete_at::<squads::Entity>(txn, id.0, revision).await
        })
        .await
    }

    async fn add_member(&self, member: &SquadMember, events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| {
            lock_squad(txn, member.squad_id.0).await?;
            let assistant = assistants::Entity::find_by_id(member.assistant_id.0);
            let assistant = if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
                assistant.lock_shared()
            } else {
                assistant
            };
            match assistant.one(txn).await.map_err(db_error)? {
                None => {
                    return Err(Error::validation(
                        "assistant_id",
                        "no assistant of the registry has this id",
                    ));
                }
                Some(a) if !a.is_active => {
                    return Err(Error::Conflict(format!(
                        "assistant '{}' is inactive; activate it before adding it to a squad",
                        a.name
                    )));
                }
                Some(_) => {}
            }
            let count = squad_members::Entity::find()
                .filter(squad_members::Column::SquadId.eq(member.squad_id.0))
                .count(txn)
                .await
                .map_err(db_error)?;
            if count >= SquadMember::PER_SQUAD_MAX as u64 {
                return Err(Error::Conflict(format!(
                    "a squad holds at most {} members",
                    SquadMember::PER_SQUAD_MAX
                )));
            }
            squad_members::Entity::insert(member_row(member))
                .exec_without_returning(txn)
                .await
                .map_err(|err| match err.sql_err() {
                    Some(SqlErr::UniqueConstraintViolation(_)) => {
                        Error::Conflict("the assistant is a member of the squad already".into())
                    }
                    _ => db_error(err),
                })?;
            Ok(())
        })
        .await
    }

    async fn remove_member(
        &self,
        squad: SquadId,
        assistant: AssistantId,
        checked: &[(WorkflowId, i32)],
        events: &[Event],
    ) -> Result<()> {
        self.transact(events, async |txn| {
            lock_squad(txn, squad.0).await?;
            let mut now: Vec<(uuid::Uuid, i32)> = workflows::Entity::find()
                .filter(workflows::Column::SquadId.eq(squad.0))
                .select_only()
                .column(workflows::Column::Id)
                .column(workflows::Column::Version)
                .into_tuple()
                .all(txn)
                .await
                .map_err(db_error)?;
            let mut then: Vec<(uuid::Uuid, i32)> = checked.iter().map(|(w, v)| (w.0, *v)).collect();
            now.sort_unstable();
            then.sort_unstable();
            if now != then {
                return Err(Error::Conflict(
                    "a workflow of the squad was saved while the member was checked; try again"
                        .into(),
                ));
            }
            let deleted = squad_members::Entity::delete_many()
                .filter(squad_members::Column::SquadId.eq(squad.0))
                .filter(squad_members::Column::AgentId.eq(assistant.0))
                .exec(txn)
                .await
                .map_err(db_error)?;
            if deleted.rows_affected == 0 {
                return Err(Error::NotFound {
                    entity: "squad member",
                });
            }
            Ok(())
        })
        .await
    }

    async fn members(&self, squad: SquadId) -> Result<Vec<SquadMember>> {
        Ok(squad_members::Entity::find()
            .filter(squad_members::Column::SquadId.eq(squad.0))
            .order_by_asc(squad_members::Column::AddedAt)
            .order_by_asc(squad_members::Column::Id)
            .all(&self.read)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(member_from)
            .collect())
    }
}
