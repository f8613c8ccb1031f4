//! Benchmarks of lienthong.
//!
//! A small HTTP/1.1 keep-alive client of our own drives a server (started by the harness on a
//! fresh data dir, or given by URL) with a closed loop of N connections for a fixed time after
//! a warm-up, and reports throughput, latency percentiles, errors and the server's memory.
//! Every run also measures `GET /healthz` on the same server — the machine's HTTP ceiling —
//! so that figures taken on a noisy shared machine stay comparable as ratios.

mod client;
mod cpu;
mod guard;
mod mixed;
mod open_loop;
mod processing;
mod report;
mod reports;
mod server;
mod signing;
mod soak;
mod workloads;

pub use guard::{MAX_DURATION_SECS, check_options, is_loopback_url};
pub use report::Report;
pub use server::{ServerHandle, start_server};
pub use workloads::{LONG_WORKLOADS, Options, WORKLOADS, run_workload};

/// A benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The server could not be started or reached.
    #[error("server: {0}")]
    Server(String),
    /// An I/O failure.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The workload name is unknown.
    #[error("unknown workload `{0}`; known: {1}")]
    Unknown(String, String),
}
