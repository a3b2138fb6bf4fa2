//! The template library.

use agentry_domain::event::Event;
use agentry_domain::id::TemplateId;
use agentry_domain::squads::{Template, TemplateQuery, TemplateRepo};
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};

use super::rows::{template_from, template_row};
use super::{delete_at, missed};
use crate::Store;
use crate::entity::workflow_templates as templates;
use crate::error::db_error;
use crate::id_page::id_page;

#[async_trait]
impl TemplateRepo for Store {
    async fn create_template(&self, template: &Template, events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| {
            templates::Entity::insert(template_row(template))
                .exec_without_returning(txn)
                .await
                .map_err(|err| match err.sql_err() {
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                        Error::Conflict("a template with this id exists".into())
                    }
                    _ => db_error(err),
                })?;
            Ok(())
        })
        .await
    }

    async fn get_template(&self, id: TemplateId) -> Result<Option<Template>> {
        Ok(templates::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?
            .map(template_from))
    }

    async fn list_templates(&self, q: &TemplateQuery) -> Result<Vec<Template>> {
        let mut query = templates::Entity::find();
        if let Some(category) = &q.category {
            query = query.filter(templates::Column::Category.eq(category.as_str()));
        }
        if let Some(builtin) = q.is_builtin {
            query = query.filter(templates::Column::IsBuiltin.eq(builtin));
        }
        Ok(
            id_page(query, templates::Column::Id, q.after.map(|a| a.0), q.limit)
                .all(&self.read)
                .await
                .map_err(db_error)?
                .into_iter()
                .map(template_from)
                .collect(),
        )
    }

    async fn update_template(&self, template: &Template, events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| {
            let d = &template.record.draft;
            let expected = template.record.replaces();
            let updated = templates::Entity::update_many()
                .col_expr(templates::Column::Name, Expr::value(d.name.clone()))
                .col_expr(
                    templates::Column::Description,
                    Expr::value(d.description.clone()),
                )
                .col_expr(templates::Column::Category, Expr::value(d.category.clone()))
                .col_expr(
                    templates::Column::Definition,
                    Expr::value(d.definition.clone()),
                )
                .col_expr(
                    templates::Column::IsBuiltin,
                    Expr::value(template.is_builtin),
                )
                .col_expr(
                    templates::Column::ShippedDigest,
                    Expr::value(template.shipped.clone()),
                )
                .col_expr(
                    templates::Column::Revision,
                    Expr::value(template.record.revision),
                )
                .col_expr(
                    templates::Column::UpdatedAt,
                    Expr::value(template.record.updated_at),
                )
                .filter(templates::Column::Id.eq(template.id().0))
                .filter(templates::Column::Revision.eq(expected))
                .exec(txn)
                .await
                .map_err(db_error)?;
            if updated.rows_affected == 0 {
                return Err(missed::<templates::Entity>(txn, template.id().0, expected).await);
            }
            Ok(())
        })
        .await
    }

    async fn delete_template(&self, id: TemplateId, revision: i64, events: &[Event]) -> Result<()> {
        self.transact(events, async |txn| {
            delete_at::<templates::Entity>(txn, id.0, revision).await
        })
        .await
    }
}
