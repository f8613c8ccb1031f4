//! Open loop: requests are issued at a fixed arrival rate whatever the server's speed, and each
//! latency is counted from the instant the request was due to be sent, so that queueing (in
//! the client or the server) shows in the percentiles instead of lowering the offered load.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::{Mutex, mpsc};

use crate::{BenchError, client::Conn};

/// Requests still queued this long after the end are given up and counted as errors.
const GRACE: Duration = Duration::from_secs(5);

/// What an open-loop run sends: request number `i` on a connection.
pub(crate) trait Load: Send + Sync + 'static {
    /// Sends request number `i`; `Ok(true)` when the answer is a success (2xx).
    fn send(&self, conn: &mut Conn, i: usize)
    -> impl Future<Output = std::io::Result<bool>> + Send;

    /// Sees each request due in the measured window: its latency, or `None` when it failed.
    fn record(&self, _latency: Option<Duration>) {}
}

/// A fixed list of prepared requests, sent in turn.
pub(crate) struct Fixed(pub Vec<Vec<u8>>);

impl Load for Fixed {
    async fn send(&self, conn: &mut Conn, i: usize) -> std::io::Result<bool> {
        let Some(request) = self.0.get(i % self.0.len().max(1)) else {
            return Ok(false);
        };
        let (status, _) = conn.roundtrip(request).await?;
        Ok((200..300).contains(&status))
    }
}

/// What an open-loop run measured.
pub(crate) struct OpenRun {
    /// Latencies of the requests due in the measured window, sorted.
    pub samples: Vec<Duration>,
    /// Non-2xx answers, failed connections and requests given up.
    pub errors: u64,
    /// Measured seconds.
    pub secs: f64,
    /// Requests due in the measured window.
    pub offered: u64,
}

/// Sends `requests` in turn at `rate` per second over at most `connections` connections for
/// `warmup + duration`.
pub(crate) async fn open_loop_many(
    addr: &str,
    requests: Vec<Vec<u8>>,
    rate: f64,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> Result<OpenRun, BenchError> {
    open_loop(
        addr,
        Arc::new(Fixed(requests)),
        rate,
        connections,
        warmup,
        duration,
    )
    .await
}

/// Sends the requests of `load` at `rate` per second over at most `connections` connections
/// for `warmup + duration`.
pub(crate) async fn open_loop<L: Load>(
    addr: &str,
    load: Arc<L>,
    rate: f64,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> Result<OpenRun, BenchError> {
    if !(rate.is_finite() && rate > 0.0) {
        return Err(BenchError::Server(
            "the rate must be a positive number".into(),
        ));
    }
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let (tx, rx) = mpsc::unbounded_channel::<(Instant, usize)>();
    let rx = Arc::new(Mutex::new(rx));
    let mut workers = Vec::with_capacity(connections);
    for _ in 0..connections.max(1) {
        let rx = rx.clone();
        let load = load.clone();
        let addr = addr.to_owned();
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0u64;
            let mut conn = Conn::open(&addr).await.ok();
            loop {
                let job = rx.lock().await.recv().await;
                let Some((due, i)) = job else { break };
                let counted = due >= measure_from && due < end;
                if Instant::now() > end + GRACE {
                    errors += u64::from(counted);
                    continue;
                }
                if conn.is_none() {
                    conn = Conn::open(&addr).await.ok();
                }
                let outcome = match conn.as_mut() {
                    Some(c) => load.send(c, i).await,
                    None => Ok(false),
                };
                if outcome.is_err() {
                    conn = None;
                }
                if counted {
                    if matches!(outcome, Ok(true)) {
                        let latency = due.elapsed();
                        samples.push(latency);
                        load.record(Some(latency));
                    } else {
                        errors += 1;
                        load.record(None);
                    }
                }
            }
            (samples, errors)
        }));
    }
    let mut offered = 0u64;
    let mut i = 0usize;
    loop {
        let due = start + interval.saturating_mul(u32::try_from(i).unwrap_or(u32::MAX));
        if due >= end {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        if due >= measure_from {
            offered += 1;
        }
        if tx.send((due, i)).is_err() {
            break;
        }
        i += 1;
    }
    drop(tx);
    let mut samples = Vec::new();
    let mut errors = 0;
    for w in workers {
        if let Ok((s, e)) = w.await {
            samples.extend(s);
            errors += e;
        }
    }
    samples.sort_unstable();
    Ok(OpenRun {
        samples,
        errors,
        secs: duration.as_secs_f64(),
        offered,
    })
}
