//! Squads, their members, workflows with their sealed versions, and the template
//! library, one repository per file. A price is written through
//! [`price_value`]: PostgreSQL keeps it in an exact `NUMERIC`, SQLite as text.

mod rows;
mod sealed;
mod squad_repo;
mod templates;
mod workflows;

use agentry_domain::squads::Price;
use sea_orm::DbBackend;
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::{Alias, Expr, SimpleExpr};

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
