//! A page of a list in id order (ids are time-ordered: oldest first): the rows
//! after the cursor's id, up to the page's size, read from the primary key.

use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter as _, QueryOrder as _, QuerySelect as _, Select,
};
use uuid::Uuid;

pub(crate) fn id_page<E: EntityTrait>(
    query: Select<E>,
    id: E::Column,
    after: Option<Uuid>,
    limit: u32,
) -> Select<E> {
    let query = match after {
        Some(after) => query.filter(id.gt(after)),
        None => query,
    };
    query.order_by_asc(id).limit(u64::from(limit))
}
