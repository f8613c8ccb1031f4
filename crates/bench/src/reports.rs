//! W5: Biểu 06 over generated history. The data dir is filled by `lienthong demo generate`
//! (its throughput is reported) unless an existing one is given, the aggregate upkeep of a
//! transition is timed by `lienthong report upkeep`, then the province-year report and an
//! agency's reporting month (NĐ 09/2019 cut-off) are requested over HTTP.

use std::path::Path;

use crate::{
    BenchError, Report,
    client::{Conn, get, get_with},
    server::{fresh_dir, start_server},
    workloads::{Options, Target, closed_loop, measured, report, token},
};

/// Runs `exe --data-dir dir <args>` and returns the last JSON line it printed.
async fn cli_json(exe: &Path, dir: &Path, args: &[&str]) -> Result<serde_json::Value, BenchError> {
    let out = tokio::process::Command::new(exe)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .await?;
    if !out.status.success() {
        return Err(BenchError::Server(format!(
            "{}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| BenchError::Server(format!("{}: no JSON answer", args.join(" "))))
}

/// W5: the whole-province Biểu 06 for the last full year, and one agency's month.
pub(crate) async fn bieu06(opts: &Options) -> Result<Report, BenchError> {
    if opts.url.is_some() || opts.database_url.is_some() {
        return Err(BenchError::Server(
            "the report workload generates its own embedded data (or reuses --reuse-data-dir)"
                .into(),
        ));
    }
    let mut extra = serde_json::Map::new();
    // A generated data dir is removed at the end; one given with --reuse-data-dir is kept.
    let fresh;
    let dir: &Path = match &opts.data_dir {
        Some(d) => d,
        None => {
            fresh = fresh_dir("report")?;
            let dir: &Path = &fresh;
            let generated = cli_json(
                &opts.exe,
                dir,
                &[
                    "demo",
                    "generate",
                    "--dossiers",
                    &opts.dossiers.to_string(),
                    "--seed",
                    "1",
                    "--years",
                    "5",
                ],
            )
            .await?;
            extra.insert("generator".into(), generated);
            dir
        }
    };
    let upkeep = cli_json(&opts.exe, dir, &["report", "upkeep", "--count", "20000"]).await?;
    extra.insert("aggregate_upkeep_per_transition".into(), upkeep);
    let server = start_server(&opts.exe, dir, true, None, opts.group_commit).await?;
    let addr = server.addr.clone();
    let admin = format!("Bearer {}", token(&addr, "admin@000.00.00.H13").await?);
    // The server's today, from the default period of the public statistics.
    let mut c = Conn::open(&addr).await?;
    let (_, body) = c.fetch(&get(&addr, "/api/v1/statistics")).await?;
    let year: i32 = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("to")?.as_str()?.get(0..4)?.parse().ok())
        .unwrap_or(2026)
        - 1;
    extra.insert("year".into(), year.into());
    let month = get_with(
        &addr,
        &format!(
            "/api/v1/reports/tthc?from={year}-10-15&to={year}-11-14&agency=000.00.04.H13&group_by=procedure"
        ),
        &[("Authorization", &admin)],
    );
    let (samples, errors, secs) =
        closed_loop(&addr, month, opts.concurrency, opts.warmup, opts.duration).await?;
    let m = report(
        "report-agency-month",
        "sqlite",
        opts.concurrency,
        &samples,
        errors,
        secs,
    );
    extra.insert(
        "agency_month".into(),
        serde_json::json!({
            "throughput": m.throughput, "p50_ms": m.p50_ms, "p99_ms": m.p99_ms,
            "max_ms": m.max_ms, "errors": m.errors,
        }),
    );
    let requests = vec![get_with(
        &addr,
        &format!("/api/v1/reports/tthc?from={year}-01-01&to={year}-12-31&group_by=agency"),
        &[("Authorization", &admin)],
    )];
    let t = Target {
        addr,
        server: Some(server),
        engine: "sqlite".into(),
    };
    measured(opts, "report", t, requests, extra).await
}
