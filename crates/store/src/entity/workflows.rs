//! The `workflows` table, with its current version's sealed definition.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "workflows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub squad_id: Uuid,
    pub name: String,
    pub description: String,
    pub definition_encrypted: Vec<u8>,
    pub definition_iv: Vec<u8>,
    pub definition_key: String,
    pub definition_digest: String,
    pub definition_saved_by: Uuid,
    pub definition_saved_at: DateTimeUtc,
    pub version: i32,
    pub status: String,
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
