//! The workloads. Each capability adds its own as it lands.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{
    BenchError, Report,
    client::{Conn, get, get_with, with_body},
    report::percentile,
    server::{ServerHandle, fresh_dir, start_server},
};

/// Known workload names.
pub const WORKLOADS: &[&str] = &[
    "healthz",
    "startup",
    "catalog-agencies",
    "submit",
    "lookup",
    "tracking",
    "search",
    "transitions",
    "due",
    "queue",
    "report",
    "mixed",
    "sign",
];

/// Workloads that `all` leaves out because they run for many minutes (named explicitly).
pub const LONG_WORKLOADS: &[&str] = &["soak"];

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
    /// Dossiers loaded before the queue workload (and generated for the report workload).
    pub dossiers: usize,
    /// An existing data dir with generated history for the report workload.
    pub data_dir: Option<PathBuf>,
    /// Open loop at this many requests per second (closed loop when `None`).
    pub rate: Option<f64>,
    /// Allow a `url` that is not a loopback address.
    pub i_know: bool,
    /// SQLite group commit in the started server.
    pub group_commit: bool,
}

pub(crate) struct Target {
    pub(crate) addr: String,
    pub(crate) server: Option<ServerHandle>,
    pub(crate) engine: String,
}

pub(crate) async fn target(opts: &Options, tag: &str) -> Result<Target, BenchError> {
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
    let mut t = target_on(opts, &dir).await?;
    t.server = t.server.map(|s| s.owning(dir));
    Ok(t)
}

/// Starts the server under test on `dir` (with the demo province).
pub(crate) async fn target_on(opts: &Options, dir: &std::path::Path) -> Result<Target, BenchError> {
    let server = start_server(
        &opts.exe,
        dir,
        true,
        opts.database_url.as_deref(),
        opts.group_commit,
    )
    .await?;
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
pub(crate) async fn closed_loop(
    addr: &str,
    request: Vec<u8>,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> Result<(Vec<Duration>, u64, f64), BenchError> {
    closed_loop_many(addr, vec![request], concurrency, warmup, duration).await
}

/// Closed loop over several requests: connection `c` sends them in turn, starting at `c`.
async fn closed_loop_many(
    addr: &str,
    requests: Vec<Vec<u8>>,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> Result<(Vec<Duration>, u64, f64), BenchError> {
    let requests = Arc::new(requests);
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = Vec::with_capacity(concurrency);
    for c in 0..concurrency {
        let requests = requests.clone();
        let addr = addr.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(64 * 1024);
            let mut errors = 0u64;
            let mut conn = Conn::open(&addr).await.ok();
            let mut turn = c;
            while Instant::now() < end {
                turn = turn.wrapping_add(1);
                let Some(request) = requests.get(turn % requests.len()) else {
                    break;
                };
                let Some(c) = conn.as_mut() else {
                    errors += 1;
                    conn = Conn::open(&addr).await.ok();
                    continue;
                };
                let sent_at = Instant::now();
                match c.roundtrip(request).await {
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

pub(crate) fn report(
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
    let request = get(&t.addr, path);
    measured(opts, name, t, vec![request], serde_json::Map::new()).await
}

/// Start-up: spawn to ready on a fresh data dir (creating the demo province) and on the same
/// data dir again (warm), plus idle memory after start.
async fn startup(opts: &Options) -> Result<Report, BenchError> {
    let dir = fresh_dir("startup")?;
    let fresh = start_server(
        &opts.exe,
        &dir,
        true,
        opts.database_url.as_deref(),
        opts.group_commit,
    )
    .await?;
    let fresh_ms = fresh.startup.as_secs_f64() * 1000.0;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_fresh = fresh.rss_mb();
    fresh.stop().await;
    let mut warm_ms = Vec::new();
    let mut idle = None;
    for _ in 0..5 {
        let warm = start_server(
            &opts.exe,
            &dir,
            true,
            opts.database_url.as_deref(),
            opts.group_commit,
        )
        .await?;
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
    Ok(r)
}

/// A demo citizen's bearer token.
pub(crate) async fn token(addr: &str, user: &str) -> Result<String, BenchError> {
    let mut c = Conn::open(addr).await?;
    let body = format!("{{\"username\":\"{user}\",\"password\":\"lienthong-demo\"}}");
    let (status, bytes) = c
        .fetch(&with_body(
            "POST",
            addr,
            "/api/v1/auth/token",
            &[],
            "application/json",
            body.as_bytes(),
        ))
        .await?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| BenchError::Server(format!("token ({status}): {e}")))?;
    v.get("access_token")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
        .ok_or_else(|| BenchError::Server(format!("no token ({status})")))
}

const LLTP: &str = r#"{"procedure_code":"2.000488","agency_code":"000.00.04.H13","answers":{"applicant_name":"Nguyễn Văn An","applicant_cccd":"092085001234","applicant_phone":"0912345671","applicant_address":{"province_code":"92","commune_code":"31135","detail":"12 Hòa Bình"},"form_number":"1","birth_place":"Cần Thơ","purpose":"Xin việc"}}"#;

/// A submission of procedure 2.000488 with a 100 KB PDF and a small one.
pub(crate) fn submission(addr: &str, token: &str) -> Vec<u8> {
    let boundary = "lienthong-bench";
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(100 * 1024, b' ');
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"dossier\"\r\nContent-Type: application/json\r\n\r\n{LLTP}\r\n").into_bytes();
    for (slot, content) in [
        ("to_khai", pdf),
        ("giay_to_tuy_than", b"%PDF-1.4 small".to_vec()),
    ] {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{slot}\"; filename=\"{slot}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
        body.extend_from_slice(&content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    with_body(
        "POST",
        addr,
        "/api/v1/dossiers",
        &[("Authorization", &format!("Bearer {token}"))],
        &format!("multipart/form-data; boundary={boundary}"),
        &body,
    )
}

/// Creates `n` dossiers and returns their codes.
pub(crate) async fn seed_dossiers(
    addr: &str,
    token: &str,
    n: usize,
) -> Result<Vec<String>, BenchError> {
    // A few connections at once, so that seeding tens of thousands stays short.
    const SEEDERS: usize = 16;
    let mut tasks = Vec::new();
    for i in 0..SEEDERS.min(n.max(1)) {
        let share = n / SEEDERS + usize::from(i < n % SEEDERS);
        let (addr, token) = (addr.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(&addr).await?;
            let req = submission(&addr, &token);
            let mut codes = Vec::with_capacity(share);
            for _ in 0..share {
                let (status, bytes) = c.fetch(&req).await?;
                let v: serde_json::Value = serde_json::from_slice(&bytes)
                    .map_err(|e| BenchError::Server(format!("submit ({status}): {e}")))?;
                if let Some(code) = v.get("code").and_then(|c| c.as_str()) {
                    codes.push(code.to_owned());
                }
            }
            Ok::<_, BenchError>(codes)
        }));
    }
    let mut codes = Vec::with_capacity(n);
    for t in tasks {
        let part = t
            .await
            .map_err(|e| BenchError::Server(format!("seeding: {e}")))??;
        codes.extend(part);
    }
    Ok(codes)
}

pub(crate) async fn measured(
    opts: &Options,
    name: &str,
    t: Target,
    requests: Vec<Vec<u8>>,
    extra: serde_json::Map<String, serde_json::Value>,
) -> Result<Report, BenchError> {
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
    let mut extra = extra;
    let cpu = crate::cpu::window(
        t.server.as_ref().and_then(ServerHandle::pid),
        opts.warmup,
        opts.duration,
    );
    let (samples, errors, secs) = match opts.rate {
        Some(rate) => {
            let run = crate::open_loop::open_loop_many(
                &t.addr,
                requests,
                rate,
                opts.concurrency,
                opts.warmup,
                opts.duration,
            )
            .await?;
            extra.insert("mode".into(), "open".into());
            extra.insert("rate".into(), rate.into());
            extra.insert("offered".into(), run.offered.into());
            (run.samples, run.errors, run.secs)
        }
        None => {
            closed_loop_many(
                &t.addr,
                requests,
                opts.concurrency,
                opts.warmup,
                opts.duration,
            )
            .await?
        }
    };
    let mut r = report(name, &t.engine, opts.concurrency, &samples, errors, secs)
        .with_cpu(crate::cpu::finish(cpu).await);
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

/// W1: submissions with a 100 KB attachment.
async fn submit(opts: &Options) -> Result<Report, BenchError> {
    let t = target(opts, "submit").await?;
    let token = token(&t.addr, "citizen1").await?;
    let req = submission(&t.addr, &token);
    measured(opts, "submit", t, vec![req], serde_json::Map::new()).await
}

/// W2: dossier lookup by code (the applicant reading their dossier).
async fn lookup(opts: &Options) -> Result<Report, BenchError> {
    let t = target(opts, "lookup").await?;
    let token = token(&t.addr, "citizen1").await?;
    let codes = seed_dossiers(&t.addr, &token, 200).await?;
    let auth = format!("Bearer {token}");
    let reqs = codes
        .iter()
        .map(|c| {
            get_with(
                &t.addr,
                &format!("/api/v1/dossiers/{c}"),
                &[("Authorization", &auth)],
            )
        })
        .collect();
    let mut extra = serde_json::Map::new();
    extra.insert("dossiers".into(), codes.len().into());
    measured(opts, "lookup", t, reqs, extra).await
}

/// Public tracking by code and the phone's last four digits.
async fn tracking(opts: &Options) -> Result<Report, BenchError> {
    let t = target(opts, "tracking").await?;
    let token = token(&t.addr, "citizen1").await?;
    let codes = seed_dossiers(&t.addr, &token, 200).await?;
    let reqs = codes
        .iter()
        .map(|c| {
            get(
                &t.addr,
                &format!("/api/v1/tracking?code={c}&phone_last4=5671"),
            )
        })
        .collect();
    let mut extra = serde_json::Map::new();
    extra.insert("dossiers".into(), codes.len().into());
    measured(opts, "tracking", t, reqs, extra).await
}

static DEMO_CATALOG: &[u8] = include_bytes!("../../../data/catalog/procedures_demo.json");

/// A catalog of `n` procedures derived from the demo ones (varied actions and codes).
pub fn generated_catalog(n: usize) -> Result<serde_json::Value, BenchError> {
    let demo: Vec<serde_json::Value> =
        serde_json::from_slice(DEMO_CATALOG).map_err(|e| BenchError::Server(e.to_string()))?;
    let actions = [
        "Cấp lại",
        "Điều chỉnh",
        "Gia hạn",
        "Thu hồi",
        "Xác nhận",
        "Đính chính",
        "Cấp đổi",
        "Chấm dứt",
        "Tạm ngừng",
        "Công nhận",
    ];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let Some(base) = demo.get(i % demo.len()) else {
            break;
        };
        let mut p = base.clone();
        let action = actions
            .get((i / demo.len()) % actions.len())
            .copied()
            .unwrap_or("Cấp lại");
        let name = p
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        if let Some(obj) = p.as_object_mut() {
            obj.insert(
                "code".into(),
                serde_json::Value::String(format!("3.{:06}", 100_000 + i)),
            );
            obj.insert(
                "name".into(),
                serde_json::Value::String(format!(
                    "{action} – {name} (mẫu {})",
                    i / (demo.len() * actions.len()) + 1
                )),
            );
            let communes = obj
                .get("agency_codes")
                .and_then(|a| a.as_array())
                .is_some_and(|a| a.iter().any(|x| x == "{communes}"));
            if communes {
                obj.insert("agency_codes".into(), serde_json::json!(["135.31.90.H13"]));
            }
        }
        out.push(p);
    }
    Ok(serde_json::Value::Array(out))
}

/// W3: catalog searches over 2,000 procedures.
async fn search(opts: &Options) -> Result<Report, BenchError> {
    let (t, count) = if opts.url.is_some() {
        (target(opts, "search").await?, 0)
    } else {
        let dir = fresh_dir("search")?;
        let file = dir.join("catalog.json");
        let catalog = generated_catalog(2_000 - 32)?;
        std::fs::write(
            &file,
            serde_json::to_vec(&catalog).map_err(|e| BenchError::Server(e.to_string()))?,
        )?;
        let mut cmd = tokio::process::Command::new(&opts.exe);
        cmd.arg("--data-dir")
            .arg(&dir)
            .args(["import", "procedures"])
            .arg(&file);
        if let Some(url) = &opts.database_url {
            cmd.arg("--database-url").arg(url);
        }
        let status = cmd.stdout(std::process::Stdio::null()).status().await?;
        if !status.success() {
            return Err(BenchError::Server("catalog import failed".into()));
        }
        (target_on(opts, &dir).await?, 2_000)
    };
    let queries = [
        "cap+giay+phep+xay+dung",
        "khai+sinh",
        "l%C3%BD+l%E1%BB%8Bch+t%C6%B0+ph%C3%A1p",
        "dang+ky+kinh+doanh",
        "giay+phep+lai+xe",
        "ch%E1%BB%A9ng+th%E1%BB%B1c",
        "gia+han",
        "dat+dai",
    ];
    let reqs = queries
        .iter()
        .map(|q| get(&t.addr, &format!("/api/v1/procedures?q={q}&limit=20")))
        .collect();
    let mut extra = serde_json::Map::new();
    extra.insert("procedures".into(), count.into());
    measured(opts, "search", t, reqs, extra).await
}

/// Runs one workload by name.
pub async fn run_workload(name: &str, opts: &Options) -> Result<Report, BenchError> {
    crate::guard::check_options(opts)?;
    match name {
        "transitions" => crate::processing::transitions(opts).await,
        "due" => crate::processing::due_dates(opts).await,
        "queue" => crate::processing::work_queue(opts).await,
        "report" => crate::reports::bieu06(opts).await,
        "mixed" => crate::mixed::mixed(opts).await,
        "sign" => crate::signing::signing(opts).await,
        "soak" => crate::soak::soak(opts).await,
        "submit" => submit(opts).await,
        "lookup" => lookup(opts).await,
        "tracking" => tracking(opts).await,
        "search" => search(opts).await,
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
        other => Err(BenchError::Unknown(
            other.into(),
            [WORKLOADS, LONG_WORKLOADS].concat().join(", "),
        )),
    }
}
