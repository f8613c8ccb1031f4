//! One JSON line per workload.

use std::time::Duration;

use serde::Serialize;

/// The figures of one workload run.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// Workload name.
    pub workload: String,
    /// Engine of the server's database (`sqlite`, `postgres`, or `external`).
    pub engine: String,
    /// Connections (closed loop).
    pub concurrency: usize,
    /// Measured seconds (after warm-up).
    pub duration_s: f64,
    /// Completed requests.
    pub requests: u64,
    /// Requests per second.
    pub throughput: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest request.
    pub max_ms: f64,
    /// Failed requests (I/O errors and non-2xx answers).
    pub errors: u64,
    /// Server resident memory before the run, MiB.
    pub rss_mb_before: Option<f64>,
    /// Server resident memory after the run, MiB.
    pub rss_mb_after: Option<f64>,
    /// `GET /healthz` throughput on the same server in the same run.
    pub ceiling_throughput: f64,
    /// `throughput / ceiling_throughput`.
    pub ratio: f64,
    /// Extra figures of workloads that are not request loops (e.g. start-up times).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Latency percentiles of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted
        .get(rank.min(sorted.len() - 1))
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}
