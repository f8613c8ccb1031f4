//! Group commit for SQLite: writers that arrive while another one works join one transaction,
//! each inside its own savepoint, and the last of them commits for all — one fsync for the
//! batch. A writer is answered only once the batch is committed (or failed), so nothing is
//! acknowledged before it is durable; a writer that fails rolls back its savepoint alone.

use std::sync::{
    Arc,
    atomic::{AtomicU64, AtomicUsize, Ordering},
};

use sqlx::{Any, AnyPool, pool::PoolConnection};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use crate::{Result, StoreError};

/// Most writers committed by one fsync.
const MAX_BATCH: usize = 256;

/// Outcome of a batch, as seen by its members.
type Outcome = Option<std::result::Result<(), String>>;

/// The open batch, if any.
#[derive(Default)]
pub(crate) struct Batch {
    conn: Option<PoolConnection<Any>>,
    members: usize,
    done: Option<watch::Sender<Outcome>>,
}

/// The single SQLite writer.
#[derive(Default)]
pub(crate) struct Writer {
    state: Arc<Mutex<Batch>>,
    waiting: AtomicUsize,
    /// Batches committed.
    pub(crate) batches: AtomicU64,
    /// Writers whose work those batches committed.
    pub(crate) committed: AtomicU64,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// A writer's place in a batch: the batch's connection inside the writer's savepoint.
pub(crate) struct Member {
    writer: Arc<Writer>,
    guard: Option<OwnedMutexGuard<Batch>>,
    conn: Option<PoolConnection<Any>>,
}

async fn exec(conn: &mut PoolConnection<Any>, sql: &'static str) -> Result<()> {
    sqlx::raw_sql(sql).execute(&mut **conn).await?;
    Ok(())
}

impl Writer {
    /// Joins the open batch (or opens one) and starts the writer's savepoint.
    pub(crate) async fn join(self: &Arc<Self>, pool: &AnyPool) -> Result<Member> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut guard = self.state.clone().lock_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let mut conn = match guard.conn.take() {
            Some(c) => c,
            None => {
                let mut c = pool.acquire().await?;
                exec(&mut c, "BEGIN IMMEDIATE").await?;
                guard.members = 0;
                guard.done = Some(watch::channel(None).0);
                c
            }
        };
        if let Err(e) = exec(&mut conn, "SAVEPOINT lt_writer").await {
            let kept = guard.members > 0;
            close(&mut guard, conn, kept).await;
            return Err(e);
        }
        Ok(Member {
            writer: self.clone(),
            guard: Some(guard),
            conn: Some(conn),
        })
    }
}

/// Ends the batch: commits (or rolls back) and tells every member.
async fn close(batch: &mut Batch, mut conn: PoolConnection<Any>, commit: bool) -> Outcome {
    let result = if commit {
        match exec(&mut conn, "COMMIT").await {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = exec(&mut conn, "ROLLBACK").await;
                Err(e.to_string())
            }
        }
    } else {
        let _ = exec(&mut conn, "ROLLBACK").await;
        Err("the batch was rolled back".to_owned())
    };
    if let Some(done) = batch.done.take() {
        let _ = done.send(Some(result.clone()));
    }
    batch.members = 0;
    Some(result)
}

impl Member {
    /// The connection, inside the writer's savepoint.
    pub(crate) fn conn(&mut self) -> Option<&mut PoolConnection<Any>> {
        self.conn.as_mut()
    }

    /// Keeps the writer's work and waits until the batch holding it is committed.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let (Some(mut guard), Some(mut conn)) = (self.guard.take(), self.conn.take()) else {
            return Err(StoreError::Corrupt(
                "write transaction already ended".into(),
            ));
        };
        if let Err(e) = exec(&mut conn, "RELEASE lt_writer").await {
            let _ = exec(&mut conn, "ROLLBACK TO lt_writer").await;
            let _ = exec(&mut conn, "RELEASE lt_writer").await;
            hand_over(&self.writer, guard, conn).await;
            return Err(e);
        }
        guard.members += 1;
        let mut done = match &guard.done {
            Some(d) => d.subscribe(),
            None => return Err(StoreError::Corrupt("no open batch".into())),
        };
        if self.writer.waiting.load(Ordering::SeqCst) == 0 || guard.members >= MAX_BATCH {
            let members = u64::try_from(guard.members).unwrap_or(0);
            let outcome = close(&mut guard, conn, true).await;
            if matches!(outcome, Some(Ok(()))) {
                self.writer.batches.fetch_add(1, Ordering::Relaxed);
                self.writer.committed.fetch_add(members, Ordering::Relaxed);
            }
            return outcome_to_result(outcome);
        }
        // Others are waiting: the batch stays open for them; the last one commits.
        guard.conn = Some(conn);
        drop(guard);
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
async fn hand_over(writer: &Writer, mut guard: OwnedMutexGuard<Batch>, conn: PoolConnection<Any>) {
    if writer.waiting.load(Ordering::SeqCst) > 0 {
        guard.conn = Some(conn);
    } else {
        let members = guard.members;
        close(&mut guard, conn, members > 0).await;
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let (Some(guard), Some(mut conn)) = (self.guard.take(), self.conn.take()) else {
            return;
        };
        let writer = self.writer.clone();
        // Undo this writer's work only; the batch goes on for the others.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = exec(&mut conn, "ROLLBACK TO lt_writer").await;
                let _ = exec(&mut conn, "RELEASE lt_writer").await;
                hand_over(&writer, guard, conn).await;
            });
        }
    }
}
