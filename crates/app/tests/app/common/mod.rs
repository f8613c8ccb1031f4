//! Test harness: a fresh database per test on SQLite, and on PostgreSQL when
//! `LIENTHONG_TEST_PG_URL` names a server (required when `CI=true`).

use std::sync::Arc;

use jiff::Timestamp;
use lienthong_app::{App, AuthSettings};
use lienthong_domain::clock::ManualClock;
use lienthong_store::Db;
use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub app: App,
    pub clock: ManualClock,
    /// The database URL.
    pub url: String,
    _dir: tempfile::TempDir,
}

/// 2026-11-20 10:00 in Vietnam.
pub fn start_instant() -> Timestamp {
    "2026-11-20T03:00:00Z".parse().unwrap()
}

fn replace_db(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let cut = base
        .rfind('/')
        .filter(|i| *i > base.find("://").map_or(0, |s| s + 2))
        .unwrap_or(base.len());
    let mut out = format!("{}/{db}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A fresh PostgreSQL database, or `None` (with a line saying so) when no server is configured.
pub async fn fresh_pg_url() -> Option<String> {
    let Ok(admin) = std::env::var("LIENTHONG_TEST_PG_URL") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "CI=true but LIENTHONG_TEST_PG_URL is not set: the PostgreSQL run is required in CI"
            );
        }
        eprintln!(
            "SKIPPED on PostgreSQL: LIENTHONG_TEST_PG_URL is not set (this test ran on SQLite only)"
        );
        return None;
    };
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at LIENTHONG_TEST_PG_URL is unreachable: {e}"));
    let name = format!("lt_test_{}", uuid::Uuid::now_v7().simple());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    Some(replace_db(&admin, &name))
}

impl TestApp {
    pub async fn new(engine: Engine) -> Option<TestApp> {
        let dir = tempfile::tempdir().unwrap();
        let url = match engine {
            Engine::Sqlite => format!("sqlite://{}", dir.path().join("test.db").display()),
            Engine::Postgres => fresh_pg_url().await?,
        };
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let clock = ManualClock::new(start_instant());
        let app = App::new(
            db,
            Arc::new(clock.clone()),
            AuthSettings::default(),
            dir.path().join("files"),
        );
        Some(TestApp {
            app,
            clock,
            url,
            _dir: dir,
        })
    }

    /// The data directory (files, key store passphrase).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Runs raw SQL on the database (used to tamper with rows as an attacker would).
    pub async fn raw(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(self.app.db.pool())
            .await
            .unwrap();
    }

    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(self.app.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
    }
}

/// Declares an async test body `fn(TestApp)` once and runs it on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_engines {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::common::TestApp::new($crate::common::Engine::Sqlite)
                    .await
                    .unwrap();
                super::$name(t).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(t) = $crate::common::TestApp::new($crate::common::Engine::Postgres).await
                else {
                    return;
                };
                super::$name(t).await;
            }
        }
    };
}
