//! The durable-commit floor: what one single-row insert, committed on its
//! own (SQLite's WAL synced, PostgreSQL's `fsync`), costs on the database the
//! engine just ran on. Engine figures are printed beside it as a ratio, so
//! two runs on machines of different speed can be compared.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait as _, DatabaseConnection, DbBackend, Statement};

/// Commits timed, after a few untimed ones warm the statement cache.
const COMMITS: u32 = 300;
const WARM_UP: u32 = 20;

/// Statements timed for a round trip.
const TRIPS: u32 = 1_000;

/// The mean time of one statement that does nothing (`SELECT 1`) through
/// `conn`: what each statement of a step costs beyond its own work (the
/// driver's hop to its worker thread on SQLite, a network round trip on
/// PostgreSQL).
pub async fn round_trip(conn: &DatabaseConnection) -> anyhow::Result<Duration> {
    let backend = conn.get_database_backend();
    let nothing = || Statement::from_string(backend, "SELECT 1");
    for _ in 0..WARM_UP {
        conn.query_one_raw(nothing()).await?;
    }
    let started = Instant::now();
    for _ in 0..TRIPS {
        conn.query_one_raw(nothing()).await?;
    }
    Ok(started.elapsed() / TRIPS)
}

/// The mean time of one single-row insert in a transaction of its own,
/// through `conn` (the store's writer: the engine's own path to the file).
pub async fn durable_commit(conn: &DatabaseConnection) -> anyhow::Result<Duration> {
    let backend = conn.get_database_backend();
    conn.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS bench_floor (id BIGINT PRIMARY KEY, note TEXT NOT NULL)",
    )
    .await?;
    let sql = match backend {
        DbBackend::Postgres => "INSERT INTO bench_floor (id, note) VALUES ($1, $2)",
        _ => "INSERT INTO bench_floor (id, note) VALUES (?, ?)",
    };
    let insert = |n: u32| {
        Statement::from_sql_and_values(
            backend,
            sql,
            [i64::from(n).into(), format!("commit {n}").into()],
        )
    };
    for n in 0..WARM_UP {
        conn.execute_raw(insert(n)).await?;
    }
    let started = Instant::now();
    for n in WARM_UP..WARM_UP + COMMITS {
        // Outside a transaction each statement commits on its own, durably.
        conn.execute_raw(insert(n)).await?;
    }
    let took = started.elapsed() / COMMITS;
    conn.execute_unprepared("DROP TABLE bench_floor").await?;
    Ok(took)
}
