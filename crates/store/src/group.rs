//! Group commit for SQLite: writers that arrive while another one works join one transaction,
//! each inside its own savepoint, and the last of them commits for all — one fsync for the
//! batch. A writer is answered only once the batch is committed (or failed), so nothing is
//! acknowledged before it is durable; a writer that fails rolls back its savepoint alone.
//!
//! The batch runs on one plain SQLite connection ([`Plain`]): a writer's statements run on
//! the thread of the task that holds the batch, with no hand-off per statement, and only
//! `BEGIN IMMEDIATE` and `COMMIT` (which may wait for the lock or the disk) go to a blocking
//! thread, once per batch.

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
};

use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use crate::{Result, StoreError, direct::Plain};

/// Most writers committed by one fsync.
const MAX_BATCH: usize = 256;

/// Outcome of a batch, as seen by its members.
type Outcome = Option<std::result::Result<(), String>>;

/// The writer's connection and the open batch, if any.
#[derive(Default)]
pub(crate) struct Batch {
    /// The connection; `None` only while a blocking thread uses it, or after that thread was
    /// lost (it is then opened again).
    conn: Option<Plain>,
    /// Whether a transaction is open on it.
    open: bool,
    members: usize,
    done: Option<watch::Sender<Outcome>>,
}

/// The single SQLite writer.
pub(crate) struct Writer {
    path: PathBuf,
    state: Arc<Mutex<Batch>>,
    /// Writers waiting for the batch's lock.
    pub(crate) waiting: AtomicUsize,
    /// The most writers seen waiting at once since it was last taken
    /// ([`Writer::take_most_waiting`]).
    most_waiting: AtomicUsize,
    /// Batches committed.
    pub(crate) batches: AtomicU64,
    /// Writers whose work those batches committed.
    pub(crate) committed: AtomicU64,
    /// Microseconds the writer was held by members: their statements and savepoints (and
    /// the wait for the write lock when a batch begins), not the batch's commit.
    pub(crate) held_us: AtomicU64,
    /// Microseconds spent in `COMMIT` (writing the log and waiting for the disk).
    pub(crate) commit_us: AtomicU64,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("path", &self.path)
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// A writer's place in a batch: the batch's connection inside the writer's savepoint.
pub(crate) struct Member {
    writer: Arc<Writer>,
    guard: Option<OwnedMutexGuard<Batch>>,
    /// When the member got the writer.
    since: std::time::Instant,
}

/// Runs `sql`, one statement without rows, on the connection (prepared once).
fn exec(conn: &mut Plain, sql: &str) -> Result<()> {
    conn.conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Runs `sql` on a blocking thread (it may wait for the lock or the disk) and puts the
/// connection back.
async fn exec_blocking(batch: &mut Batch, path: &std::path::Path, sql: &'static str) -> Result<()> {
    let conn = match batch.conn.take() {
        Some(c) => c,
        None => Plain::writer(path)?,
    };
    let (conn, result) = tokio::task::spawn_blocking(move || {
        let mut conn = conn;
        let result = exec(&mut conn, sql);
        (conn, result)
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("the writer's thread was lost: {e}")))?;
    batch.conn = Some(conn);
    result
}

impl Writer {
    /// The writer of the SQLite file at `path` (already created and migrated).
    pub(crate) fn open(path: PathBuf) -> Result<Writer> {
        let conn = Plain::writer(&path)?;
        Ok(Writer {
            path,
            state: Arc::new(Mutex::new(Batch {
                conn: Some(conn),
                ..Batch::default()
            })),
            waiting: AtomicUsize::new(0),
            most_waiting: AtomicUsize::new(0),
            batches: AtomicU64::new(0),
            committed: AtomicU64::new(0),
            held_us: AtomicU64::new(0),
            commit_us: AtomicU64::new(0),
        })
    }

    /// The most writers that waited at once since the previous call, or that wait now if
    /// more: a queue that forms and empties between two looks is still seen.
    pub(crate) fn take_most_waiting(&self) -> usize {
        let seen = self.most_waiting.swap(0, Ordering::Relaxed);
        seen.max(self.waiting.load(Ordering::Relaxed))
    }

    /// Joins the open batch (or opens one) and starts the writer's savepoint.
    pub(crate) async fn join(self: &Arc<Self>) -> Result<Member> {
        let queued = self.waiting.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_waiting.fetch_max(queued, Ordering::Relaxed);
        let mut guard = self.state.clone().lock_owned().await;
        let since = std::time::Instant::now();
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        if !guard.open {
            begin(&mut guard, &self.path).await?;
            guard.open = true;
            guard.members = 0;
            guard.done = Some(watch::channel(None).0);
        }
        let started = match guard.conn.as_mut() {
            Some(conn) => exec(conn, "SAVEPOINT lt_writer"),
            None => Err(lost()),
        };
        if let Err(e) = started {
            let kept = guard.members > 0;
            close(self.clone(), guard, kept).await;
            return Err(e);
        }
        Ok(Member {
            writer: self.clone(),
            guard: Some(guard),
            since,
        })
    }
}

fn lost() -> StoreError {
    StoreError::Corrupt("the writer's connection is not there".into())
}

/// Ends the batch: commits (or rolls back), counts it, tells every member and lets the next
/// writer in. The commit, which waits for the disk, runs on a blocking thread that also ends
/// the batch and lets the writer go as soon as the disk answered, without waiting for this
/// task to be run again.
async fn close(writer: Arc<Writer>, mut guard: OwnedMutexGuard<Batch>, commit: bool) -> Outcome {
    if !commit {
        rollback(&mut guard);
        return end(guard, Err("the batch was rolled back".to_owned()));
    }
    if guard.conn.is_none() {
        match Plain::writer(&writer.path) {
            Ok(conn) => guard.conn = Some(conn),
            Err(e) => return end(guard, Err(e.to_string())),
        }
    }
    let committing = tokio::task::spawn_blocking(move || {
        let mut guard = guard;
        let started = std::time::Instant::now();
        // A panic here must still end the batch below, or its members would wait forever.
        let committed =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match guard.conn.as_mut() {
                Some(conn) => exec(conn, "COMMIT"),
                None => Err(lost()),
            }))
            .unwrap_or_else(|_| {
                guard.conn = None;
                Err(lost())
            });
        let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        writer.commit_us.fetch_add(us, Ordering::Relaxed);
        let result = match committed {
            Ok(()) => {
                let members = u64::try_from(guard.members).unwrap_or(0);
                writer.batches.fetch_add(1, Ordering::Relaxed);
                writer.committed.fetch_add(members, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                rollback(&mut guard);
                Err(e.to_string())
            }
        };
        end(guard, result)
    });
    committing
        .await
        .unwrap_or_else(|e| Some(Err(format!("the writer's thread was lost: {e}"))))
}

/// Marks the batch ended with `result`, lets the next writer in, then tells the batch's
/// members. In that order the next writer's wake-up is queued ahead of the members', so the
/// writer does not stay idle while the members' answers are written.
fn end(mut guard: OwnedMutexGuard<Batch>, result: std::result::Result<(), String>) -> Outcome {
    guard.open = false;
    guard.members = 0;
    let done = guard.done.take();
    drop(guard);
    if let Some(done) = done {
        let _ = done.send(Some(result.clone()));
    }
    Some(result)
}

/// Starts the batch's transaction: here when the write lock is free (the usual case, this
/// being the only writer), else on a blocking thread that waits for it.
async fn begin(batch: &mut Batch, path: &std::path::Path) -> Result<()> {
    if let Some(conn) = batch.conn.as_mut() {
        conn.conn.busy_timeout(std::time::Duration::ZERO)?;
        let now = exec(conn, "BEGIN IMMEDIATE");
        conn.conn.busy_timeout(crate::direct::WRITER_WAITS)?;
        match now {
            Err(StoreError::Direct(rusqlite::Error::SqliteFailure(f, _)))
                if f.code == rusqlite::ErrorCode::DatabaseBusy => {}
            other => return other,
        }
    }
    exec_blocking(batch, path, "BEGIN IMMEDIATE").await
}

/// Rolls the whole batch back (nothing to write, so no need for a blocking thread).
fn rollback(batch: &mut Batch) {
    if let Some(conn) = batch.conn.as_mut()
        && !conn.conn.is_autocommit()
    {
        let _ = exec(conn, "ROLLBACK");
    }
}

/// Undoes one writer's work; the batch goes on for the others.
fn undo_member(batch: &mut Batch) {
    if let Some(conn) = batch.conn.as_mut() {
        let _ = exec(conn, "ROLLBACK TO lt_writer");
        let _ = exec(conn, "RELEASE lt_writer");
    }
}

impl Member {
    /// Adds the time since the member got the writer to the writer's busy time.
    fn count_held(&self) {
        let us = u64::try_from(self.since.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.writer.held_us.fetch_add(us, Ordering::Relaxed);
    }

    /// The connection, inside the writer's savepoint.
    pub(crate) fn conn(&mut self) -> Option<&mut Plain> {
        self.guard.as_mut()?.conn.as_mut()
    }

    /// Keeps the writer's work and waits until the batch holding it is committed.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let Some(mut guard) = self.guard.take() else {
            return Err(StoreError::Corrupt(
                "write transaction already ended".into(),
            ));
        };
        let released = match guard.conn.as_mut() {
            Some(conn) => exec(conn, "RELEASE lt_writer"),
            None => Err(lost()),
        };
        if let Err(e) = released {
            undo_member(&mut guard);
            hand_over(self.writer.clone(), guard).await;
            return Err(e);
        }
        guard.members += 1;
        let mut done = match &guard.done {
            Some(d) => d.subscribe(),
            None => return Err(StoreError::Corrupt("no open batch".into())),
        };
        if self.writer.waiting.load(Ordering::SeqCst) == 0 || guard.members >= MAX_BATCH {
            self.count_held();
            let outcome = close(self.writer.clone(), guard, true).await;
            return outcome_to_result(outcome);
        }
        // Others are waiting: the batch stays open for them; the last one commits.
        drop(guard);
        self.count_held();
        loop {
            if let Some(outcome) = done.borrow().clone() {
                return outcome_to_result(Some(outcome));
            }
            if done.changed().await.is_err() {
                return Err(StoreError::Corrupt(
                    "the batch ended without an answer".into(),
                ));
            }
        }
    }
}

fn outcome_to_result(o: Outcome) -> Result<()> {
    match o {
        Some(Ok(())) => Ok(()),
        Some(Err(e)) => Err(StoreError::Corrupt(format!("group commit failed: {e}"))),
        None => Err(StoreError::Corrupt(
            "the batch ended without an answer".into(),
        )),
    }
}

/// After a writer gave up its work: keeps the batch open for waiting writers, else commits
/// what earlier members kept (or rolls back an empty batch).
async fn hand_over(writer: Arc<Writer>, guard: OwnedMutexGuard<Batch>) {
    if writer.waiting.load(Ordering::SeqCst) == 0 {
        let members = guard.members;
        close(writer, guard, members > 0).await;
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        self.count_held();
        undo_member(&mut guard);
        if self.writer.waiting.load(Ordering::SeqCst) > 0 {
            // A waiting writer takes the batch over.
            return;
        }
        if guard.members == 0 {
            // Nothing kept: end the empty batch here.
            rollback(&mut guard);
            guard.open = false;
            guard.done = None;
            return;
        }
        // Earlier members wait for their commit, which needs the disk: a task does it.
        let writer = self.writer.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                hand_over(writer, guard).await;
            });
        }
    }
}
