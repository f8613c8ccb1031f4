//! Plain SQLite connections for short reads on the calling thread.
//!
//! Through sqlx, every SQLite statement is sent to the driver's own thread and its answer sent
//! back: two thread switches per statement, which cost far more than the statement itself
//! when the pages are cached. A point read (a dossier by code, a session by hash) needs no
//! such hand-off: in WAL mode a reader never waits for the writer, so it runs here, on the
//! thread that asks, in a few microseconds. Short reads by key go this way, and so does the
//! group-commit writer ([`crate::group`]), whose statements run inline and whose commit (the
//! fsync) runs on a blocking thread.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use rusqlite::{Connection, OpenFlags};

use crate::Result;

/// Idle connections kept for reuse; more may be open while many threads read at once.
const KEEP_IDLE: usize = 8;
/// How long the writer waits for the write lock (held by a pool connection, during
/// migrations or without group commit).
pub(crate) const WRITER_WAITS: Duration = Duration::from_secs(10);
/// Statements kept prepared on each connection.
const PREPARED: usize = 64;

/// A plain connection and the column names of the statements it ran, so that a row's values
/// are found by name without asking SQLite for every column's name on every row.
#[derive(Debug)]
pub(crate) struct Plain {
    /// The connection.
    pub(crate) conn: Connection,
    /// Column names by statement text.
    pub(crate) columns: Columns,
}

/// Column names of statements, by their text.
pub(crate) type Columns = HashMap<Box<str>, Arc<[Box<str>]>>;

/// Statements whose column names are kept; generated multi-row statements vary in length, so
/// the map is emptied when it reaches this size.
const COLUMNS_KEPT: usize = 256;

/// The column names of `sql`, read from `stmt` the first time.
pub(crate) fn names_of(
    columns: &mut Columns,
    sql: &str,
    stmt: &rusqlite::Statement<'_>,
) -> Arc<[Box<str>]> {
    if let Some(names) = columns.get(sql) {
        return names.clone();
    }
    if columns.len() >= COLUMNS_KEPT {
        columns.clear();
    }
    let names: Arc<[Box<str>]> = stmt.column_names().into_iter().map(Box::from).collect();
    columns.insert(sql.into(), names.clone());
    names
}

impl Plain {
    /// The one connection that writes under group commit: WAL, `synchronous=FULL` and foreign
    /// keys on, as on the pool's connections.
    pub(crate) fn writer(path: &std::path::Path) -> Result<Plain> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(WRITER_WAITS)?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Each member of a batch writes inside its own savepoint, so the first change to a
        // page in it copies the page to the statement journal; kept in memory, that copy is
        // not a write to a temporary file.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.set_prepared_statement_cache_capacity(PREPARED);
        Ok(Plain {
            conn,
            columns: HashMap::new(),
        })
    }
}

/// The plain connections to one SQLite file.
#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Plain>>,
}

impl Readers {
    /// Readers of the database file at `path` (which the pool has already opened and migrated).
    pub(crate) fn open(path: PathBuf) -> Result<Arc<Readers>> {
        let readers = Arc::new(Readers {
            path,
            idle: Mutex::new(Vec::new()),
        });
        // Fail at start, not on the first request, if the file cannot be read this way.
        let first = readers.connect()?;
        readers.give_back(first);
        Ok(readers)
    }

    fn connect(&self) -> Result<Plain> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "query_only", true)?;
        conn.set_prepared_statement_cache_capacity(PREPARED);
        Ok(Plain {
            conn,
            columns: HashMap::new(),
        })
    }

    fn give_back(&self, conn: Plain) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < KEEP_IDLE
        {
            idle.push(conn);
        }
    }

    /// Connections waiting to be lent.
    #[cfg(test)]
    pub(crate) fn idle(&self) -> usize {
        self.idle.lock().map_or(0, |i| i.len())
    }

    /// A connection for a few reads; it returns to the idle list when the lease is dropped.
    pub(crate) fn lease(self: &Arc<Self>) -> Result<Lease> {
        let reused = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match reused {
            Some(c) => c,
            None => self.connect()?,
        };
        Ok(Lease {
            conn: Some(conn),
            readers: self.clone(),
        })
    }
}

/// A plain SQLite connection lent for a few reads.
///
/// The reads of one lease share one read transaction, opened by the first of them and ended
/// when the lease is dropped: they see one snapshot of the database, and the WAL read lock
/// (shared-memory and file locks, a few system calls) is taken once per lease rather than once
/// per statement. A lease is therefore kept for a sequence of reads, not across a write or a
/// wait on the network: a write made while it is held is seen by the next lease, not by it.
#[derive(Debug)]
pub struct Lease {
    conn: Option<Plain>,
    readers: Arc<Readers>,
}

impl Lease {
    /// The connection, inside the lease's read transaction.
    pub(crate) fn conn(&mut self) -> Option<&mut Plain> {
        let plain = self.conn.as_mut()?;
        if plain.conn.is_autocommit() {
            // Deferred: no lock until the first read. Should it fail, each read runs in a
            // transaction of its own, as without it.
            let _ = plain
                .conn
                .prepare_cached("BEGIN DEFERRED")
                .and_then(|mut s| s.execute([]));
        }
        Some(plain)
    }

    /// Whether the connection is inside a read transaction.
    #[cfg(test)]
    pub(crate) fn in_snapshot(&self) -> bool {
        self.conn.as_ref().is_some_and(|p| !p.conn.is_autocommit())
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(plain) = self.conn.take() else {
            return;
        };
        let ended = plain.conn.is_autocommit()
            || plain
                .conn
                .prepare_cached("COMMIT")
                .and_then(|mut s| s.execute([]))
                .is_ok();
        // A connection whose transaction could not be ended is closed, not lent again.
        if ended {
            self.readers.give_back(plain);
        }
    }
}
