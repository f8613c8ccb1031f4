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
    /// Processors the server kept busy during the measured window, on average (when the
    /// harness started it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_cpu_cores: Option<f64>,
    /// Server processor time per completed request, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_ms_per_request: Option<f64>,
    /// Processors the whole machine left idle (or waiting for the disk) during the window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_cores: Option<f64>,
    /// Processors the hypervisor took from the machine during the window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steal_cores: Option<f64>,
    /// Extra figures of workloads that are not request loops (e.g. start-up times).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Report {
    /// Adds the processor figures of the measured window.
    pub(crate) fn with_cpu(mut self, w: crate::cpu::CpuWindow) -> Report {
        self.server_cpu_cores = w.server_cores;
        self.cpu_ms_per_request = w
            .server_cores
            .filter(|_| self.requests > 0)
            .map(|c| c * self.duration_s * 1000.0 / self.requests as f64);
        self.idle_cores = w.idle_cores;
        self.steal_cores = w.steal_cores;
        self
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::CpuWindow;

    #[test]
    fn the_cost_per_request_is_the_server_s_time_over_its_requests() {
        let r = Report {
            duration_s: 10.0,
            requests: 5_000,
            ..Report::default()
        }
        .with_cpu(CpuWindow {
            server_cores: Some(1.5),
            idle_cores: Some(0.25),
            steal_cores: Some(0.1),
        });
        assert_eq!(r.cpu_ms_per_request, Some(3.0));
        assert_eq!(r.idle_cores, Some(0.25));
        let none = Report::default().with_cpu(CpuWindow {
            server_cores: Some(1.0),
            ..CpuWindow::default()
        });
        assert_eq!(
            none.cpu_ms_per_request, None,
            "no requests, no cost per request"
        );
        let json = serde_json::to_string(&Report::default()).unwrap_or_default();
        assert!(!json.contains("cpu"), "absent figures are left out: {json}");
    }
}
