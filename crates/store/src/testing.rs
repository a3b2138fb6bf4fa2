//! Throwaway databases for tests: a temporary SQLite file, or a fresh PostgreSQL
//! database created on the server named by `AGENTRY_TEST_PG_URL` and dropped after;
//! and [`on_each_database!`], which every crate's database tests are declared with.

use std::time::Duration;

use sea_orm::{ConnectionTrait as _, Database};

/// Declares each listed async fn as a test on SQLite and on PostgreSQL, in modules
/// `sqlite` and `postgres`, each on a fresh database that `$run(database, test)`
/// prepares and hands to the test (a store, an app, a running server…).
///
/// The PostgreSQL tests are ignored unless asked for (`--include-ignored`), so a
/// run without a server reports them as skipped rather than passing them; asked
/// for without `AGENTRY_TEST_PG_URL`, they fail.
#[macro_export]
macro_rules! on_each_database {
    ($run:path; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $run($crate::testing::TestDatabase::sqlite(), super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs PostgreSQL: set AGENTRY_TEST_PG_URL and pass --include-ignored"]
                async fn $name() {
                    $run($crate::testing::TestDatabase::required_postgres().await, super::$name).await;
                }
            )*
        }
    };
}

/// Runs a test that opens what it needs on the database itself (stores, processes).
pub async fn with_database<F: Future<Output = ()>>(
    db: TestDatabase,
    test: impl FnOnce(TestDatabase) -> F,
) {
    test(db).await;
}

/// The variable naming the PostgreSQL server tests may create databases on.
pub const PG_URL_VAR: &str = "AGENTRY_TEST_PG_URL";

/// A database that exists for as long as this value does.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Sqlite(
        #[expect(dead_code, reason = "held so the directory outlives the test")] tempfile::TempDir,
    ),
    Postgres {
        server: String,
        name: String,
    },
}

impl TestDatabase {
    /// A new, empty SQLite database file in a temporary directory.
    ///
    /// # Panics
    /// When no temporary directory can be made.
    #[must_use]
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("agentry.db").display()
        );
        Self {
            url,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A new, empty PostgreSQL database, or `None` when `AGENTRY_TEST_PG_URL` is unset.
    ///
    /// # Panics
    /// When the variable is set but the server cannot be reached: a suite that was
    /// asked to run on PostgreSQL must fail rather than pass without it.
    pub async fn postgres() -> Option<Self> {
        let server = std::env::var(PG_URL_VAR).ok().filter(|u| !u.is_empty())?;
        Some(
            Self::postgres_on(&server).await.unwrap_or_else(|e| {
                panic!("{PG_URL_VAR} is set but PostgreSQL is unreachable: {e}")
            }),
        )
    }

    /// A new, empty PostgreSQL database for a test that must run on one.
    ///
    /// # Panics
    /// When `AGENTRY_TEST_PG_URL` is unset or the server cannot be reached: such a
    /// test fails rather than pass without PostgreSQL.
    pub async fn required_postgres() -> Self {
        Self::postgres()
            .await
            .unwrap_or_else(|| panic!("{PG_URL_VAR} must name a PostgreSQL server for this test"))
    }

    /// A new, empty PostgreSQL database on `server`, dropped with this value.
    ///
    /// # Errors
    /// When the server cannot be reached or the database cannot be created.
    pub async fn postgres_on(server: &str) -> Result<Self, sea_orm::DbErr> {
        let name = format!("agentry_test_{}", uuid::Uuid::now_v7().simple());
        let admin = Database::connect(server).await?;
        let created = admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await;
        admin.close().await.ok();
        created?;
        Ok(Self {
            url: url_of(server, &name),
            cleanup: Cleanup::Postgres {
                server: server.to_owned(),
                name,
            },
        })
    }

    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Cleanup::Postgres { server, name } = &self.cleanup else {
            return;
        };
        let (server, name) = (server.clone(), name.clone());
        // Drop runs inside the test's runtime, which cannot block on itself.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    if let Ok(admin) = Database::connect(&server).await {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = tokio::time::timeout(
                            Duration::from_secs(10),
                            admin.execute_unprepared(&sql),
                        )
                        .await;
                        admin.close().await.ok();
                    }
                });
            }
        });
        let _ = dropper.join();
    }
}

/// `server` with its database name replaced by `name`.
fn url_of(server: &str, name: &str) -> String {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::url_of;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            url_of("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            url_of("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(url_of("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
