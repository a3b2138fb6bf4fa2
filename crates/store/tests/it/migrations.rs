//! Migrations: down to nothing, and up again to the current schema.

use agentry_domain::log::EventRepo as _;
use agentry_domain::tracker::TaskRepo as _;
use agentry_migration::{Migrator, MigratorTrait as _};
use agentry_store::Store;
use sea_orm::{ConnectionTrait as _, Statement};

use crate::helpers::contract;

contract!(migrations_go_down_to_nothing_and_up_again);

/// Our tables, as the database lists them.
async fn tables(store: &Store) -> Vec<String> {
    let conn = store.connection();
    let sql = match conn.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        _ => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        }
    };
    let rows = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect()
}

async fn migrations_go_down_to_nothing_and_up_again(store: Store) {
    // Data in every table, a thread included, must not block the way down.
    let (alpha, member, _) = crate::helpers::project(&store, "AL").await;
    let task = store
        .create_task(&crate::helpers::new_task(&alpha, "t").0, &[])
        .await
        .unwrap();
    let root = crate::helpers::chat(&alpha, Some(member.id), "root");
    let mut reply = crate::helpers::chat(&alpha, Some(member.id), "reply");
    reply.parent_id = Some(root.id);
    reply.task_id = Some(task.id());
    store.append(&[root, reply]).await.unwrap();

    let before = tables(&store).await;
    assert!(before.contains(&"events".to_owned()), "{before:?}");
    Migrator::reset(store.connection()).await.unwrap();
    assert_eq!(tables(&store).await, Vec::<String>::new());
    Migrator::up(store.connection(), None).await.unwrap();
    assert_eq!(tables(&store).await, before);
    Migrator::down(store.connection(), Some(1)).await.unwrap();
    Migrator::up(store.connection(), None).await.unwrap();
    assert_eq!(tables(&store).await, before);
}
