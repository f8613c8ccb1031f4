//! `lienthong demo generate` and `lienthong report …`: generated history, and the report
//! aggregates checked against the raw dossiers.

use std::{
    io::{IsTerminal, Write},
    process::ExitCode,
    sync::atomic::{AtomicU64, Ordering},
    time::Instant,
};

use clap::Subcommand;
use lienthong_app::{App, generator, reports};

/// `demo` subcommands.
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Generate realistic dossier history for the demo province (through the one-stop rules).
    Generate {
        /// Number of dossiers.
        #[arg(long, default_value_t = 10_000)]
        dossiers: u64,
        /// Seed: the same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Years of history, ending yesterday.
        #[arg(long, default_value_t = 3)]
        years: u16,
    },
}

/// `report` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Recompute every report aggregate from the raw dossiers and compare (exit 2 on a mismatch).
    Verify,
    /// Time the aggregate upkeep of `count` transitions on stored dossiers, in a transaction
    /// that is rolled back (nothing changes).
    Upkeep {
        /// Transitions to time.
        #[arg(long, default_value_t = 20_000)]
        count: usize,
    },
    /// Print Biểu 06 as JSON.
    Bieu06 {
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        /// agency, field or procedure.
        #[arg(long, default_value = "agency")]
        group_by: String,
        /// Agency code (the province when absent).
        #[arg(long)]
        agency: Option<String>,
    },
}

fn bar(done: u64, total: u64, started: Instant) -> String {
    let pct = (done * 100).checked_div(total).unwrap_or(100);
    let filled = usize::try_from(pct / 4).unwrap_or(25).min(25);
    let secs = started.elapsed().as_secs_f64().max(0.001);
    #[expect(clippy::cast_precision_loss, reason = "a rate for display")]
    let rate = done as f64 / secs;
    format!(
        "[{}{}] {pct:>3}% {done}/{total} hồ sơ, {rate:.0}/s",
        "#".repeat(filled),
        " ".repeat(25 - filled)
    )
}

/// Runs `demo generate`.
pub async fn demo(app: &App, cmd: DemoCommand) -> anyhow::Result<ExitCode> {
    let DemoCommand::Generate {
        dossiers,
        seed,
        years,
    } = cmd;
    lienthong_app::demo::ensure_demo(app)
        .await
        .map_err(|e| anyhow::anyhow!("demo province: {e}"))?;
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let last_decile = AtomicU64::new(0);
    let progress = |done: u64, total: u64| {
        let mut err = std::io::stderr();
        if tty {
            let _ = write!(err, "\r{}", bar(done, total, started));
        } else {
            let decile = (done * 10).checked_div(total).unwrap_or(10);
            if last_decile.swap(decile, Ordering::Relaxed) != decile {
                let _ = writeln!(err, "{}", bar(done, total, started));
            }
        }
    };
    let out = generator::generate(
        app,
        &generator::Options {
            dossiers,
            seed,
            years,
        },
        &progress,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if tty {
        eprintln!();
    }
    let secs = started.elapsed().as_secs_f64();
    #[expect(clippy::cast_precision_loss, reason = "a rate for display")]
    let rate = out.dossiers as f64 / secs.max(0.001);
    println!(
        "{}",
        serde_json::json!({
            "dossiers": out.dossiers,
            "history": out.history,
            "aggregate_rows": out.aggregates,
            "seconds": (secs * 10.0).round() / 10.0,
            "dossiers_per_second": rate.round(),
        })
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs a `report` subcommand.
pub async fn report(app: &App, cmd: ReportCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ReportCommand::Verify => {
            let started = Instant::now();
            let (checked, mismatches) = reports::verify(app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for m in mismatches.iter().take(20) {
                println!("{}", serde_json::to_string(m)?);
            }
            println!(
                "{}",
                serde_json::json!({
                    "aggregates_checked": checked,
                    "mismatches": mismatches.len(),
                    "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
                })
            );
            Ok(if mismatches.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        ReportCommand::Upkeep { count } => {
            let (n, spent) = reports::facts::upkeep_cost(app, count.clamp(1, 1_000_000))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            #[expect(clippy::cast_precision_loss, reason = "a mean for display")]
            let mean_us = spent.as_secs_f64() * 1e6 / (n.max(1) as f64);
            println!(
                "{}",
                serde_json::json!({"transitions": n, "mean_us": (mean_us * 10.0).round() / 10.0})
            );
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Bieu06 {
            from,
            to,
            group_by,
            agency,
        } => {
            let period = lienthong_domain::report::Period::parse(&from, &to)
                .map_err(|e| anyhow::anyhow!("{} / {}", e.vi(), e.en()))?;
            let group = reports::GroupBy::parse(&group_by).map_err(|e| anyhow::anyhow!("{e}"))?;
            let started = Instant::now();
            let r = reports::bieu06(
                app,
                reports::Audience::Public,
                &period,
                group,
                agency.as_deref(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("{:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
            println!("{}", serde_json::to_string_pretty(&r)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
