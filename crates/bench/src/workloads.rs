//! The workloads. Each capability adds its own as it lands.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{
    BenchError, Report,
    client::{Conn, get},
    report::percentile,
    server::{ServerHandle, fresh_dir, start_server},
};

/// Known workload names.
pub const WORKLOADS: &[&str] = &["healthz", "startup", "catalog-agencies"];

/// How to run a workload.
#[derive(Debug, Clone)]
pub struct Options {
    /// The lienthong executable to start (usually the running one).
    pub exe: PathBuf,
    /// Target an already running server instead of starting one.
    pub url: Option<String>,
    /// Measured seconds.
    pub duration: Duration,
    /// Warm-up seconds.
    pub warmup: Duration,
    /// Connections.
    pub concurrency: usize,
    /// Database URL for the started server (default: embedded SQLite).
    pub database_url: Option<String>,
}

struct Target {
    addr: String,
    server: Option<ServerHandle>,
    engine: String,
}

async fn target(opts: &Options, tag: &str) -> Result<Target, BenchError> {
    if let Some(url) = &opts.url {
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        return Ok(Target {
            addr,
            server: None,
            engine: "external".into(),
        });
    }
    let dir = fresh_dir(tag)?;
    let server = start_server(&opts.exe, &dir, true, opts.database_url.as_deref()).await?;
    let engine = if opts
        .database_url
        .as_deref()
        .is_some_and(|u| u.starts_with("postgres"))
    {
        "postgres"
    } else {
        "sqlite"
    };
    Ok(Target {
        addr: server.addr.clone(),
        server: Some(server),
        engine: engine.into(),
    })
}

/// Closed loop: `concurrency` connections each sending `request` back to back.
async fn closed_loop(
    addr: &str,
    request: Vec<u8>,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> Result<(Vec<Duration>, u64, f64), BenchError> {
    let request = Arc::new(request);
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let request = request.clone();
        let addr = addr.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(64 * 1024);
            let mut errors = 0u64;
            let mut conn = Conn::open(&addr).await.ok();
            while Instant::now() < end {
                let Some(c) = conn.as_mut() else {
                    errors += 1;
                    conn = Conn::open(&addr).await.ok();
                    continue;
                };
                let sent_at = Instant::now();
                match c.roundtrip(&request).await {
                    Ok((status, latency)) if sent_at >= measure_from && sent_at < end => {
                        if (200..300).contains(&status) {
                            samples.push(latency);
                        } else {
                            errors += 1;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => {
                        if sent_at >= measure_from {
                            errors += 1;
                        }
                        conn = Conn::open(&addr).await.ok();
                    }
                }
            }
            (samples, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((s, e)) = t.await {
            all.extend(s);
            errors += e;
        }
    }
    all.sort_unstable();
    Ok((all, errors, duration.as_secs_f64()))
}

fn report(
    name: &str,
    engine: &str,
    concurrency: usize,
    samples: &[Duration],
    errors: u64,
    secs: f64,
) -> Report {
    Report {
        workload: name.into(),
        engine: engine.into(),
        concurrency,
        duration_s: secs,
        requests: samples.len() as u64,
        throughput: samples.len() as f64 / secs,
        p50_ms: percentile(samples, 50.0),
        p90_ms: percentile(samples, 90.0),
        p99_ms: percentile(samples, 99.0),
        max_ms: samples.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        errors,
        ..Report::default()
    }
}

async fn http_workload(opts: &Options, name: &str, path: &str) -> Result<Report, BenchError> {
    let t = target(opts, name).await?;
    let rss_before = t.server.as_ref().and_then(ServerHandle::rss_mb);
    let (ceiling_samples, _, secs) = closed_loop(
        &t.addr,
        get(&t.addr, "/healthz"),
        opts.concurrency,
        opts.warmup,
        opts.duration,
    )
    .await?;
    let ceiling = ceiling_samples.len() as f64 / secs;
    let (samples, errors, secs) = closed_loop(
        &t.addr,
        get(&t.addr, path),
        opts.concurrency,
        opts.warmup,
        opts.duration,
    )
    .await?;
    let mut r = report(name, &t.engine, opts.concurrency, &samples, errors, secs);
    r.rss_mb_before = rss_before;
    r.rss_mb_after = t.server.as_ref().and_then(ServerHandle::rss_mb);
    r.ceiling_throughput = ceiling;
    r.ratio = if ceiling > 0.0 {
        r.throughput / ceiling
    } else {
        0.0
    };
    if let Some(s) = t.server {
        s.stop().await;
    }
    Ok(r)
}

/// Start-up: spawn to ready on a fresh data dir (creating the demo province) and on the same
/// data dir again (warm), plus idle memory after start.
async fn startup(opts: &Options) -> Result<Report, BenchError> {
    let dir = fresh_dir("startup")?;
    let fresh = start_server(&opts.exe, &dir, true, opts.database_url.as_deref()).await?;
    let fresh_ms = fresh.startup.as_secs_f64() * 1000.0;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_fresh = fresh.rss_mb();
    fresh.stop().await;
    let mut warm_ms = Vec::new();
    let mut idle = None;
    for _ in 0..5 {
        let warm = start_server(&opts.exe, &dir, true, opts.database_url.as_deref()).await?;
        warm_ms.push(warm.startup.as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(500)).await;
        idle = warm.rss_mb();
        warm.stop().await;
    }
    warm_ms.sort_by(f64::total_cmp);
    let mut r = Report {
        workload: "startup".into(),
        engine: if opts.database_url.is_some() {
            "postgres".into()
        } else {
            "sqlite".into()
        },
        ..Report::default()
    };
    r.rss_mb_before = idle_fresh;
    r.rss_mb_after = idle;
    r.extra.insert("fresh_ready_ms".into(), fresh_ms.into());
    r.extra.insert(
        "warm_ready_ms_median".into(),
        warm_ms
            .get(warm_ms.len() / 2)
            .copied()
            .unwrap_or_default()
            .into(),
    );
    r.extra.insert(
        "warm_ready_ms_max".into(),
        warm_ms.last().copied().unwrap_or_default().into(),
    );
    r.extra
        .insert("idle_rss_mb".into(), idle.unwrap_or_default().into());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(r)
}

/// Runs one workload by name.
pub async fn run_workload(name: &str, opts: &Options) -> Result<Report, BenchError> {
    match name {
        "healthz" => http_workload(opts, "healthz", "/healthz").await,
        "catalog-agencies" => {
            http_workload(
                opts,
                "catalog-agencies",
                "/api/v1/agencies?q=so%20tu%20phap",
            )
            .await
        }
        "startup" => startup(opts).await,
        other => Err(BenchError::Unknown(other.into(), WORKLOADS.join(", "))),
    }
}
