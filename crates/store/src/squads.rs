//! Squads, their members, workflows with their sealed versions, and the template
//! library, one repository per file. A price is written through
//! [`price_value`]: PostgreSQL keeps it in an exact `NUMERIC`, SQLite as text.

mod rows;
mod sealed;
mod squad_repo;
mod templates;
mod workflows;

use agentry_domain::squads::Price;
use agentry_domain::{Error, Result};
use sea_orm::sea_query::{Alias, Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, ExprTrait as _,
    QueryFilter as _, QuerySelect as _,
};
use uuid::Uuid;

use crate::entity::{squad_members, squads, workflow_templates, workflows as workflow_rows};
use crate::error::db_error;

/// A price as the column takes it: cast from its decimal text on PostgreSQL
/// (text is not assignable to `NUMERIC`), its text as is on SQLite.
fn price_value(backend: DbBackend, price: Price) -> SimpleExpr {
    let text = Expr::val(price.to_string());
    if backend == DbBackend::Postgres {
        text.cast_as(Alias::new("numeric"))
    } else {
        text
    }
}

/// A table whose rows are written only over the revision they replace.
trait Revisioned: EntityTrait {
    const ID: Self::Column;
    const REVISION: Self::Column;
    /// What a refusal calls a row of it.
    const NAME: &'static str;
}

impl Revisioned for squads::Entity {
    const ID: Self::Column = squads::Column::Id;
    const REVISION: Self::Column = squads::Column::Revision;
    const NAME: &'static str = "squad";
}

impl Revisioned for workflow_rows::Entity {
    const ID: Self::Column = workflow_rows::Column::Id;
    const REVISION: Self::Column = workflow_rows::Column::Revision;
    const NAME: &'static str = "workflow";
}

impl Revisioned for workflow_templates::Entity {
    const ID: Self::Column = workflow_templates::Column::Id;
    const REVISION: Self::Column = workflow_templates::Column::Revision;
    const NAME: &'static str = "workflow template";
}

/// Why a conditional write of row `id` matched nothing: it is gone
/// (`NotFound`) or at another revision than `expected` (`StaleVersion`).
async fn missed<E: Revisioned>(conn: &impl ConnectionTrait, id: Uuid, expected: i64) -> Error {
    let current = E::find()
        .filter(E::ID.eq(id))
        .select_only()
        .column(E::REVISION)
        .into_tuple::<i64>()
        .one(conn)
        .await;
    match current {
        Ok(current) => crate::registry::stale(expected, current, E::NAME),
        Err(e) => db_error(e),
    }
}

/// Deletes row `id` if it is still at `revision`.
async fn delete_at<E: Revisioned>(
    txn: &DatabaseTransaction,
    id: Uuid,
    revision: i64,
) -> Result<()> {
    let deleted = E::delete_many()
        .filter(E::ID.eq(id))
        .filter(E::REVISION.eq(revision))
        .exec(txn)
        .await
        .map_err(db_error)?;
    if deleted.rows_affected == 0 {
        return Err(missed::<E>(txn, id, revision).await);
    }
    Ok(())
}

/// The squad's row, locked on PostgreSQL so that two writes counting its
/// members or workflows cannot both see room for one more (SQLite has one
/// writer); `NotFound` when it is gone.
async fn lock_squad(txn: &DatabaseTransaction, id: Uuid) -> Result<()> {
    let squad = squads::Entity::find_by_id(id);
    let squad = if txn.get_database_backend() == DbBackend::Postgres {
        squad.lock_exclusive()
    } else {
        squad
    };
    match squad.one(txn).await.map_err(db_error)? {
        Some(_) => Ok(()),
        None => Err(Error::NotFound { entity: "squad" }),
    }
}

/// `Conflict` unless each of `checked` is still a member of the squad with the
/// same role: what a definition was checked against (under the squad's lock).
async fn members_unchanged(
    txn: &DatabaseTransaction,
    squad: Uuid,
    checked: &[agentry_domain::squads::SquadMember],
) -> Result<()> {
    let current = squad_members::Entity::find()
        .filter(squad_members::Column::SquadId.eq(squad))
        .all(txn)
        .await
        .map_err(db_error)?;
    let kept = checked.iter().all(|m| {
        current
            .iter()
            .any(|c| c.agent_id == m.assistant_id.0 && c.role == m.role)
    });
    if kept {
        Ok(())
    } else {
        Err(Error::Conflict(
            "the squad's members changed while the definition was checked; try again".into(),
        ))
    }
}

/// A workflow row's copy of its current version's sealed bytes, set by `update`.
fn set_sealed(
    update: sea_orm::UpdateMany<workflow_rows::Entity>,
    sealed: &agentry_domain::squads::Sealed,
) -> sea_orm::UpdateMany<workflow_rows::Entity> {
    update
        .col_expr(
            workflow_rows::Column::DefinitionEncrypted,
            Expr::value(sealed.ciphertext.clone()),
        )
        .col_expr(
            workflow_rows::Column::DefinitionIv,
            Expr::value(sealed.nonce.clone()),
        )
        .col_expr(
            workflow_rows::Column::DefinitionKey,
            Expr::value(sealed.key_id.clone()),
        )
}
