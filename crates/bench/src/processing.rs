//! Workloads of one-stop processing: W4 transitions, due-date computations and the work
//! queue over a million dossiers.

use std::time::{Duration, Instant};

use crate::{
    BenchError, Report,
    client::{Conn, get, get_with, with_body},
    report::percentile,
    server::{ServerHandle, fresh_dir, start_server},
    workloads::{Options, Target, closed_loop, measured, report, seed_dossiers, target, token},
};

/// Each connection sends its own sequence of requests once, in order (until the time is up).
/// Returns the latencies of the requests sent after the warm-up (each with its position in
/// its sequence), the errors, and the measured seconds.
pub(crate) async fn sequences(
    addr: &str,
    seqs: Vec<Vec<Vec<u8>>>,
    warmup: Duration,
    duration: Duration,
) -> Result<(Vec<(usize, Duration)>, u64, f64), BenchError> {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = Vec::with_capacity(seqs.len());
    for seq in seqs {
        let addr = addr.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0u64;
            let mut last = Instant::now();
            let Ok(mut conn) = Conn::open(&addr).await else {
                return (samples, 1, last);
            };
            for (position, req) in seq.iter().enumerate() {
                let sent_at = Instant::now();
                if sent_at >= end {
                    break;
                }
                match conn.roundtrip(req).await {
                    Ok((status, latency)) if sent_at >= measure_from => {
                        if (200..300).contains(&status) {
                            samples.push((position, latency));
                        } else {
                            errors += 1;
                        }
                        last = Instant::now();
                    }
                    Ok(_) => {}
                    Err(_) => {
                        errors += 1;
                        match Conn::open(&addr).await {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
            }
            (samples, errors, last)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut last = measure_from;
    for t in tasks {
        if let Ok((s, e, l)) = t.await {
            all.extend(s);
            errors += e;
            last = last.max(l);
        }
    }
    let secs = last
        .saturating_duration_since(measure_from)
        .as_secs_f64()
        .max(0.001);
    Ok((all, errors, secs))
}

/// W4: workflow transitions — accept, forward to the specialist, forward to the leader,
/// approve (which renders the result PDF) — on dossiers submitted beforehand, each
/// transition with its history row, hand-over leg, audit row and outbox event.
pub(crate) async fn transitions(opts: &Options) -> Result<Report, BenchError> {
    let t = target(opts, "transitions").await?;
    let citizen = token(&t.addr, "citizen1").await?;
    let desk = format!(
        "Bearer {}",
        token(&t.addr, "reception@000.00.04.H13").await?
    );
    let leader = format!("Bearer {}", token(&t.addr, "leader@000.00.04.H13").await?);
    let specialist = format!(
        "Bearer {}",
        token(&t.addr, "specialist@000.00.04.H13").await?
    );
    let conns = opts.concurrency.clamp(1, 64);
    // Enough dossiers that the connections do not run out before the time is up at 6,000
    // transitions per second (four per dossier).
    let wanted = (opts.duration.as_secs_f64() + 1.0) * 6_000.0 / 4.0;
    let per_conn = ((wanted / conns as f64).ceil() as usize).clamp(45, 1_000);
    let codes = seed_dossiers(&t.addr, &citizen, per_conn * conns).await?;
    let mut seqs: Vec<Vec<Vec<u8>>> = vec![Vec::new(); conns];
    for (i, code) in codes.iter().enumerate() {
        let path = format!("/api/v1/dossiers/{code}/actions");
        let body = |action: &str, v: i64| format!("{{\"action\":\"{action}\",\"version\":{v}}}");
        if let Some(seq) = seqs.get_mut(i % conns) {
            for (action, version, who) in [
                ("accept", 1, &desk),
                ("forward", 2, &desk),
                ("forward", 3, &specialist),
                ("approve", 4, &leader),
            ] {
                let json = body(action, version);
                seq.push(with_body(
                    "POST",
                    &t.addr,
                    &path,
                    &[("Authorization", who)],
                    "application/json",
                    json.as_bytes(),
                ));
            }
        }
    }
    let mut extra = serde_json::Map::new();
    extra.insert("dossiers".into(), codes.len().into());
    let steps = ["accept", "forward", "forward_to_leader", "approve"];
    measured_sequences(opts, "transitions", t, seqs, extra, Some(&steps)).await
}

/// Longest wait for the issuer to catch up after a run.
const DRAIN_LIMIT: Duration = Duration::from_secs(180);

/// A gauge of the server's `/metrics`, if it shows it.
async fn gauge(addr: &str, name: &str) -> Option<f64> {
    let mut c = Conn::open(addr).await.ok()?;
    let (status, body) = c.fetch(&get(addr, "/metrics")).await.ok()?;
    if status != 200 {
        return None;
    }
    String::from_utf8_lossy(&body).lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == name).then(|| v.trim().parse().ok())?
    })
}

/// Waits (bounded) until the server has produced every document the run's actions issued;
/// returns the documents waiting when the run ended, the seconds the issuer then needed, and
/// the documents that failed.
pub(crate) async fn drain_documents(addr: &str) -> serde_json::Value {
    let started = Instant::now();
    let at_end = gauge(addr, "lienthong_documents_waiting").await;
    loop {
        let waiting = gauge(addr, "lienthong_documents_waiting").await;
        if waiting.is_none_or(|w| w <= 0.0) || started.elapsed() >= DRAIN_LIMIT {
            return serde_json::json!({
                "waiting_at_end": at_end,
                "drain_s": started.elapsed().as_secs_f64(),
                "waiting_after_drain": waiting,
                "failing": gauge(addr, "lienthong_documents_failing").await,
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Measures the `/healthz` ceiling, then each connection's own sequence of requests; stops the
/// server the harness started. With `steps`, the sequences repeat those steps in order, and
/// `extra.by_step` gives each step's count and latencies.
pub(crate) async fn measured_sequences(
    opts: &Options,
    name: &str,
    t: Target,
    seqs: Vec<Vec<Vec<u8>>>,
    extra: serde_json::Map<String, serde_json::Value>,
    steps: Option<&[&str]>,
) -> Result<Report, BenchError> {
    let conns = seqs.len();
    let rss_before = t.server.as_ref().and_then(ServerHandle::rss_mb);
    let (ceiling_samples, _, csecs) = closed_loop(
        &t.addr,
        get(&t.addr, "/healthz"),
        opts.concurrency,
        opts.warmup,
        opts.duration,
    )
    .await?;
    let ceiling = ceiling_samples.len() as f64 / csecs;
    let warmup = Duration::from_millis(500);
    let cpu = crate::cpu::window(
        t.server.as_ref().and_then(ServerHandle::pid),
        warmup,
        opts.duration,
    );
    let (tagged, errors, secs) = sequences(&t.addr, seqs, warmup, opts.duration).await?;
    let cpu = crate::cpu::finish(cpu).await;
    let mut extra = extra;
    if let Some(steps) = steps.filter(|s| !s.is_empty()) {
        extra.insert("by_step".into(), by_step(&tagged, steps, secs).into());
    }
    // Signed documents follow the actions that issue them: how far behind the issuer was.
    extra.insert("documents".into(), drain_documents(&t.addr).await);
    let mut samples: Vec<Duration> = tagged.into_iter().map(|(_, d)| d).collect();
    samples.sort_unstable();
    let mut r = report(name, &t.engine, conns, &samples, errors, secs).with_cpu(cpu);
    r.rss_mb_before = rss_before;
    r.rss_mb_after = t.server.as_ref().and_then(ServerHandle::rss_mb);
    r.ceiling_throughput = ceiling;
    r.ratio = if ceiling > 0.0 {
        r.throughput / ceiling
    } else {
        0.0
    };
    r.extra = extra;
    if let Some(s) = t.server {
        s.stop().await;
    }
    Ok(r)
}

/// Each step's requests per second and latencies, the step of a request being its position in
/// its sequence modulo the number of steps.
fn by_step(
    tagged: &[(usize, Duration)],
    steps: &[&str],
    secs: f64,
) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (i, name) in steps.iter().enumerate() {
        let mut mine: Vec<Duration> = tagged
            .iter()
            .filter(|(p, _)| p % steps.len() == i)
            .map(|(_, d)| *d)
            .collect();
        mine.sort_unstable();
        out.insert(
            (*name).to_owned(),
            serde_json::json!({
                "requests": mine.len(),
                "throughput": mine.len() as f64 / secs,
                "p50_ms": percentile(&mine, 50.0),
                "p99_ms": percentile(&mine, 99.0),
            }),
        );
    }
    out
}

/// Due dates in working days over the HTTP API (calendar with the province's overrides).
pub(crate) async fn due_dates(opts: &Options) -> Result<Report, BenchError> {
    let t = target(opts, "due").await?;
    let requests = (0..50)
        .map(|i| {
            get(
                &t.addr,
                &format!(
                    "/api/v1/calendar/due?from=2026-{:02}-{:02}T09:30:00%2B07:00&working_days={}",
                    1 + i % 12,
                    1 + i % 28,
                    1 + i % 20
                ),
            )
        })
        .collect();
    measured(opts, "due", t, requests, serde_json::Map::new()).await
}

/// The work queue of a specialist with `opts.dossiers` dossiers in the database: one dossier
/// is submitted, accepted and forwarded through the API, then copied in bulk by the
/// `bulk-copies` command while the server runs.
pub(crate) async fn work_queue(opts: &Options) -> Result<Report, BenchError> {
    if opts.url.is_some() {
        return Err(BenchError::Server(
            "the queue workload loads its own data and needs a started server".into(),
        ));
    }
    let dir = fresh_dir("queue")?;
    let server = start_server(
        &opts.exe,
        &dir,
        true,
        opts.database_url.as_deref(),
        opts.group_commit,
    )
    .await?;
    let addr = server.addr.clone();
    let citizen = token(&addr, "citizen1").await?;
    let desk = format!("Bearer {}", token(&addr, "reception@000.00.04.H13").await?);
    let specialist = format!("Bearer {}", token(&addr, "specialist@000.00.04.H13").await?);
    let codes = seed_dossiers(&addr, &citizen, 1).await?;
    let code = codes
        .first()
        .ok_or_else(|| BenchError::Server("no dossier".into()))?;
    let mut c = Conn::open(&addr).await?;
    for (action, version) in [("accept", 1), ("forward", 2)] {
        let json = format!("{{\"action\":\"{action}\",\"version\":{version}}}");
        let (status, _) = c
            .fetch(&with_body(
                "POST",
                &addr,
                &format!("/api/v1/dossiers/{code}/actions"),
                &[("Authorization", &desk)],
                "application/json",
                json.as_bytes(),
            ))
            .await?;
        if status != 200 {
            return Err(BenchError::Server(format!("{action}: HTTP {status}")));
        }
    }
    let load = Instant::now();
    let mut cmd = tokio::process::Command::new(&opts.exe);
    cmd.arg("--data-dir").arg(&dir);
    if let Some(url) = &opts.database_url {
        cmd.arg("--database-url").arg(url);
    }
    let out = cmd
        .arg("bulk-copies")
        .arg("--from")
        .arg(code)
        .arg("--count")
        .arg(opts.dossiers.to_string())
        .output()
        .await?;
    if !out.status.success() {
        return Err(BenchError::Server(format!(
            "bulk-copies: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let load_secs = load.elapsed().as_secs_f64();
    let requests = vec![
        get_with(&addr, "/api/v1/queue", &[("Authorization", &specialist)]),
        get_with(
            &addr,
            "/api/v1/queue?scope=unit",
            &[("Authorization", &specialist)],
        ),
        get_with(
            &addr,
            "/api/v1/queue?page=3",
            &[("Authorization", &specialist)],
        ),
    ];
    let mut extra = serde_json::Map::new();
    extra.insert("dossiers".into(), (opts.dossiers + 1).into());
    extra.insert("load_seconds".into(), load_secs.into());
    let t = Target {
        addr,
        server: Some(server),
        engine: if opts.database_url.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
        .into(),
    };
    measured(opts, "queue", t, requests, extra).await
}
