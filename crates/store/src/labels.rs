//! Each project's labels; names are unique per project, ignoring case.

use agentry_domain::Result;
use agentry_domain::event::Event;
use agentry_domain::id::{LabelId, ProjectId};
use agentry_domain::tracker::{Label, LabelRepo};
use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _,
};

use crate::Store;
use crate::entity::labels;
use crate::error::{db_error, unique};

fn label_from(row: labels::Model) -> Label {
    Label {
        id: LabelId(row.id),
        project_id: ProjectId(row.project_id),
        name: row.name,
        color: row.color,
        created_at: row.created_at,
    }
}

#[async_trait]
impl LabelRepo for Store {
    async fn create_label(&self, label: &Label, events: &[Event]) -> Result<()> {
        let row = labels::ActiveModel {
            id: Set(label.id.0),
            project_id: Set(label.project_id.0),
            name: Set(label.name.clone()),
            name_key: Set(label.name_key()),
            color: Set(label.color.clone()),
            created_at: Set(label.created_at),
        };
        self.transact(events, async |txn| {
            labels::Entity::insert(row)
                .exec_without_returning(txn)
                .await
                .map_err(unique("a label with this name exists in the project"))?;
            Ok(())
        })
        .await
    }

    async fn get_label(&self, id: LabelId) -> Result<Option<Label>> {
        let row = labels::Entity::find_by_id(id.0)
            .one(&self.read)
            .await
            .map_err(db_error)?;
        Ok(row.map(label_from))
    }

    async fn list_labels(&self, project: ProjectId) -> Result<Vec<Label>> {
        let rows = labels::Entity::find()
            .filter(labels::Column::ProjectId.eq(project.0))
            .order_by_asc(labels::Column::NameKey)
            .all(&self.read)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(label_from).collect())
    }
}
