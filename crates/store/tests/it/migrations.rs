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
    names(
        store,
        match store.connection().get_database_backend() {
            sea_orm::DbBackend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
            _ => {
                "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
            }
        },
    )
    .await
}

/// Our functions, as PostgreSQL lists them (SQLite has none).
async fn functions(store: &Store) -> Vec<String> {
    match store.connection().get_database_backend() {
        sea_orm::DbBackend::Sqlite => Vec::new(),
        _ => {
            let sql = "SELECT proname AS name FROM pg_proc \
                       WHERE pronamespace = current_schema()::regnamespace ORDER BY proname";
            names(store, sql).await
        }
    }
}

/// The `name` column of what `sql` lists.
async fn names(store: &Store, sql: &str) -> Vec<String> {
    let conn = store.connection();
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
    crate::squads::fill(&store).await;

    let before = (tables(&store).await, functions(&store).await);
    assert!(before.0.contains(&"events".to_owned()), "{before:?}");
    if store.connection().get_database_backend() == sea_orm::DbBackend::Postgres {
        assert_eq!(before.1, ["agentry_step"]);
    }
    Migrator::reset(store.connection()).await.unwrap();
    assert_eq!(tables(&store).await, Vec::<String>::new());
    assert_eq!(functions(&store).await, Vec::<String>::new());
    Migrator::up(store.connection(), None).await.unwrap();
    assert_eq!((tables(&store).await, functions(&store).await), before);
    Migrator::down(store.connection(), Some(1)).await.unwrap();
    Migrator::up(store.connection(), None).await.unwrap();
    assert_eq!((tables(&store).await, functions(&store).await), before);
}
