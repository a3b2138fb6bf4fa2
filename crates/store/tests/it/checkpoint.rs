//! SQLite: a commit checkpoints the WAL only past 10,000 pages; a background
//! task copies it into the database file soon after every commit.

use std::time::{Duration, Instant};

use agentry_store::testing::TestDatabase;
use sea_orm::{ConnectionTrait as _, Statement};

#[tokio::test]
async fn the_wal_is_checkpointed_in_the_background_soon_after_a_commit() {
    let db = TestDatabase::sqlite();
    let store = crate::helpers::store_on(&db).await;
    let conn = store.connection();
    let sql = |s: &str| Statement::from_string(conn.get_database_backend(), s.to_owned());
    let setting = conn
        .query_one_raw(sql("PRAGMA wal_autocheckpoint"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(setting.try_get_by_index::<i64>(0).unwrap(), 10_000);
    let marker = "checkpoint-marker-5313";
    conn.execute_unprepared(&format!(
        "CREATE TABLE probe (note TEXT); INSERT INTO probe VALUES ('{marker}')"
    ))
    .await
    .unwrap();
    let file = db.url().trim_start_matches("sqlite://");
    let file = file.split('?').next().unwrap();
    let started = Instant::now();
    loop {
        let bytes = std::fs::read(file).unwrap();
        if bytes.windows(marker.len()).any(|w| w == marker.as_bytes()) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the database file never received the committed row"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
