//! Connecting, migrating, and the write transaction.

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    Any, AnyPool, Transaction,
    any::{AnyConnectOptions, AnyPoolOptions},
    pool::PoolConnection,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{
    Result, StoreError,
    direct::{Lease, Readers},
    exec::Exec,
};

/// The database engine behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite in WAL mode.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A pooled connection for reads.
pub type Conn = PoolConnection<Any>;

/// A handle on the database: a pool plus, on SQLite, the gate that admits one writer at a
/// time (SQLite serialises writers anyway; queueing them here avoids busy-retry storms).
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
    write_gate: Option<Arc<Semaphore>>,
    /// SQLite with group commit: concurrent writers share one transaction per fsync.
    group: Option<Arc<crate::group::Writer>>,
    /// SQLite on a file: plain connections for short reads on the calling thread.
    direct: Option<Arc<Readers>>,
}

/// A connection for a sequence of short reads: on a SQLite file a plain connection used on the
/// calling thread, otherwise a pooled one. Pass `&mut reader` where a read takes an [`Exec`].
#[derive(Debug)]
pub enum Reader {
    /// A pooled connection.
    Pooled(Conn),
    /// A plain SQLite connection.
    Direct(Lease),
}

impl<'a> From<&'a mut Reader> for Exec<'a> {
    fn from(r: &'a mut Reader) -> Self {
        match r {
            Reader::Pooled(c) => Exec::from(c),
            Reader::Direct(l) => Exec::from(l),
        }
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connects to `url` (`sqlite://path`, `sqlite::memory:`, `postgres://…`). A SQLite file
    /// is created if missing and opened in WAL mode with `synchronous=FULL` and foreign keys on.
    pub async fn connect(url: &str) -> Result<Db> {
        Self::connect_with(url, true).await
    }

    /// As [`Db::connect`]; on SQLite, `group_commit` lets concurrent writers share one
    /// transaction and one fsync (each writer still answered only after the commit).
    pub async fn connect_with(url: &str, group_commit: bool) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Engine::Postgres
        } else {
            return Err(StoreError::Url(url.to_owned()));
        };
        let url = match engine {
            Engine::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = match engine {
            Engine::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = FULL",
                                "PRAGMA foreign_keys = ON",
                                "PRAGMA busy_timeout = 10000",
                            ] {
                                sqlx::raw_sql(pragma).execute(&mut *conn).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Engine::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?
            }
        };
        let sqlite = engine == Engine::Sqlite;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let file = if sqlite && !in_memory {
            Some(
                sqlx::sqlite::SqliteConnectOptions::from_str(&url)?
                    .get_filename()
                    .to_path_buf(),
            )
        } else {
            None
        };
        // Group commit needs its own connection to the file; an in-memory database (no fsync
        // to share) queues its writers instead.
        let group = match (&file, group_commit) {
            (Some(path), true) => Some(Arc::new(crate::group::Writer::open(path.clone())?)),
            _ => None,
        };
        let write_gate = (sqlite && group.is_none()).then(|| Arc::new(Semaphore::new(1)));
        let direct = match file {
            Some(path) => Some(Readers::open(path)?),
            None => None,
        };
        Ok(Db {
            pool,
            engine,
            write_gate,
            group,
            direct,
        })
    }

    /// Sends every read through the pool, as on PostgreSQL (to compare, or to rule the plain
    /// connections out).
    pub fn without_direct_reads(mut self) -> Db {
        self.direct = None;
        self
    }

    /// Whether short reads run on plain SQLite connections.
    pub fn direct_reads(&self) -> bool {
        self.direct.is_some()
    }

    /// A connection for a sequence of short reads by key (see [`Reader`]).
    pub async fn reader(&self) -> Result<Reader> {
        match &self.direct {
            Some(readers) => Ok(Reader::Direct(readers.lease()?)),
            None => Ok(Reader::Pooled(self.read().await?)),
        }
    }

    /// Applies the pending migrations of this engine.
    pub async fn migrate(&self) -> Result<()> {
        match self.engine {
            Engine::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Engine::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// The engine in use.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A connection for a sequence of reads.
    pub async fn read(&self) -> Result<Conn> {
        Ok(self.pool.acquire().await?)
    }

    /// Answers when the database can run a query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Starts the one transaction of a use case. On SQLite the transaction takes the write
    /// lock at once (`BEGIN IMMEDIATE`) so that a read-then-write never fails half-way.
    pub async fn write(&self) -> Result<WriteTx> {
        if let Some(group) = &self.group {
            return Ok(WriteTx {
                inner: Inner::Grouped(group.join().await?),
            });
        }
        let permit = match &self.write_gate {
            Some(gate) => Some(
                gate.clone()
                    .acquire_owned()
                    .await
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            ),
            None => None,
        };
        let tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx {
            inner: Inner::Plain {
                tx,
                _permit: permit,
            },
        })
    }

    /// Writers waiting for the single SQLite writer right now (always 0 without group
    /// commit).
    pub fn writers_waiting(&self) -> usize {
        self.group
            .as_ref()
            .map_or(0, |g| g.waiting.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// The most writers that waited at once for the single SQLite writer since the previous
    /// call, or that wait now if more (always 0 without group commit): a sign that people's
    /// requests queue for it. Meant for one consumer that looks periodically, since each look
    /// starts a new period.
    pub fn most_writers_waiting(&self) -> usize {
        self.group.as_ref().map_or(0, |g| g.take_most_waiting())
    }

    /// Under group commit: what the single writer did since start.
    pub fn group_commits(&self) -> Option<GroupCommits> {
        use std::sync::atomic::Ordering::Relaxed;
        self.group.as_ref().map(|g| GroupCommits {
            batches: g.batches.load(Relaxed),
            writers: g.committed.load(Relaxed),
            held_seconds: g.held_us.load(Relaxed) as f64 / 1e6,
            commit_seconds: g.commit_us.load(Relaxed) as f64 / 1e6,
        })
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// What the single SQLite writer did since start (group commit only).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupCommits {
    /// Batches committed (one fsync each).
    pub batches: u64,
    /// Writers whose work those batches committed.
    pub writers: u64,
    /// Seconds the writer was held by writers running their statements.
    pub held_seconds: f64,
    /// Seconds spent committing batches (writing the log, waiting for the disk); with
    /// `held_seconds`, the writer's occupancy.
    pub commit_seconds: f64,
}

/// The write transaction of one use case. Dropping it without [`WriteTx::commit`] rolls back
/// its work (and only its work, under group commit).
pub struct WriteTx {
    inner: Inner,
}

enum Inner {
    Plain {
        tx: Transaction<'static, Any>,
        _permit: Option<OwnedSemaphorePermit>,
    },
    Grouped(crate::group::Member),
}

impl WriteTx {
    /// The connection inside the transaction: pass it where a store function takes an
    /// [`Exec`].
    pub fn conn(&mut self) -> Exec<'_> {
        match &mut self.inner {
            Inner::Plain { tx, .. } => Exec::from(&mut **tx),
            Inner::Grouped(m) => Exec::plain(m.conn()),
        }
    }

    /// Commits the transaction; under group commit, returns once the batch holding it is
    /// durable.
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            Inner::Plain { tx, .. } => tx.commit().await?,
            Inner::Grouped(m) => m.commit().await?,
        }
        Ok(())
    }
}
