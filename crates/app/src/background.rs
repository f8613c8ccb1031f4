//! CPU work that no one is waiting for (laying out and signing the documents actions issued)
//! runs on its own threads at a lower scheduling priority, so that at a peak the requests
//! people are waiting for get the processors first. The lower priority is a weight, not a
//! ban: the threads still get a share under full load, so the backlog always moves.

use std::sync::{Arc, Mutex, OnceLock, mpsc};

use crate::AppError;

/// Nice value of the background threads (0 is the default; 19 the lowest priority).
const NICE: i32 = 10;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A pool of low-priority threads, started on first use; the threads end when the pool is
/// dropped.
#[derive(Default)]
pub struct Background {
    sender: OnceLock<Mutex<mpsc::Sender<Job>>>,
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Background")
    }
}

impl Background {
    /// Runs `f` on a background thread and waits for its answer without blocking the caller's
    /// async worker.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.sender()?
            .lock()
            .map_err(|_| AppError::Internal("background pool poisoned".into()))?
            .send(job)
            .map_err(|_| AppError::Internal("background pool stopped".into()))?;
        rx.await
            .map_err(|_| AppError::Internal("background job failed".into()))
    }

    fn sender(&self) -> Result<&Mutex<mpsc::Sender<Job>>, AppError> {
        if let Some(s) = self.sender.get() {
            return Ok(s);
        }
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("lienthong-bg-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .map_err(|e| AppError::Internal(format!("background thread: {e}")))?;
        }
        // Another caller may have started a pool meanwhile; then this one's threads end at
        // once, their sender being dropped here.
        let _ = self.sender.set(Mutex::new(tx));
        self.sender
            .get()
            .ok_or_else(|| AppError::Internal("background pool".into()))
    }
}

/// Lowers the calling thread's priority (Linux keeps one nice value per thread).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), NICE) {
        tracing::warn!(error = %e, "cannot lower the priority of a background thread");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn background_jobs_answer_and_run_below_the_default_priority() {
        let pool = Background::default();
        assert_eq!(pool.run(|| 6 * 7).await.unwrap(), 42);
        #[cfg(target_os = "linux")]
        {
            let nice = pool
                .run(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(nice, NICE);
        }
        // Many jobs at once all come back.
        let answers = futures_join(&pool, 64).await;
        assert_eq!(answers, (0..64).collect::<Vec<_>>());
    }

    async fn futures_join(pool: &Background, n: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(n);
        let mut pending = Vec::new();
        for i in 0..n {
            pending.push(pool.run(move || i));
        }
        for p in pending {
            out.push(p.await.unwrap());
        }
        out
    }
}
