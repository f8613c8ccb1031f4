//! The soak: the mixed load of W7 held at a fixed arrival rate for `--duration` (half the
//! capacity measured on the same server just before, unless `--rate` is given), while the
//! server's resident memory and open file descriptors are sampled every 10 s. Transitions
//! accept dossiers the soak itself submitted, so the mix can go on for as long as asked.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use serde::Serialize;

use crate::{
    BenchError, Report,
    client::{Conn, get, get_with, with_body},
    open_loop::{Load, open_loop},
    report::percentile,
    server::{ServerHandle, open_fds_of, rss_mb_of},
    workloads::{
        Options, closed_loop, report, seed_dossiers, submission, target, target_on, token,
    },
};

/// Seconds between two samples of memory and descriptors.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// Length of the closed-loop run that measures capacity.
const PROBE: Duration = Duration::from_secs(20);
/// Submitted dossiers kept waiting for a transition (older ones are dropped).
const MAX_WAITING: usize = 100_000;

/// The mix: per ten requests, four lookups, two catalog searches, one public tracking, two
/// submissions with a 100 KB attachment and one acceptance of a dossier the soak submitted.
struct Mix {
    lookups: Vec<Vec<u8>>,
    searches: Vec<Vec<u8>>,
    tracking: Vec<Vec<u8>>,
    submit: Vec<u8>,
    addr: String,
    desk: String,
    waiting: Mutex<VecDeque<String>>,
    window: Mutex<Window>,
}

/// What happened since the last sample.
#[derive(Default)]
struct Window {
    samples: Vec<Duration>,
    errors: u64,
}

impl Mix {
    fn read(&self, k: usize) -> Option<&Vec<u8>> {
        let turn = k / 10;
        match k % 10 {
            0..=3 => self
                .lookups
                .get((turn * 4 + k % 10) % self.lookups.len().max(1)),
            4 | 5 => self
                .searches
                .get((turn * 2 + k % 10) % self.searches.len().max(1)),
            _ => self.tracking.get(turn % self.tracking.len().max(1)),
        }
    }

    async fn submit(&self, conn: &mut Conn) -> std::io::Result<bool> {
        let (status, body) = conn.fetch(&self.submit).await?;
        let code = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned));
        if let Some(code) = code {
            let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
            if waiting.len() >= MAX_WAITING {
                waiting.pop_front();
            }
            waiting.push_back(code);
        }
        Ok((200..300).contains(&status))
    }

    async fn accept(&self, conn: &mut Conn, code: &str) -> std::io::Result<bool> {
        let request = with_body(
            "POST",
            &self.addr,
            &format!("/api/v1/dossiers/{code}/actions"),
            &[("Authorization", &self.desk)],
            "application/json",
            br#"{"action":"accept","version":1}"#,
        );
        let (status, _) = conn.roundtrip(&request).await?;
        Ok((200..300).contains(&status))
    }

    fn take_window(&self) -> Window {
        std::mem::take(&mut *self.window.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Load for Mix {
    async fn send(&self, conn: &mut Conn, k: usize) -> std::io::Result<bool> {
        match k % 10 {
            7 | 8 => return self.submit(conn).await,
            9 => {
                let code = self
                    .waiting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop_front();
                if let Some(code) = code {
                    return self.accept(conn, &code).await;
                }
            }
            _ => {}
        }
        let Some(request) = self.read(k) else {
            return Ok(false);
        };
        let (status, _) = conn.roundtrip(request).await?;
        Ok((200..300).contains(&status))
    }

    fn record(&self, latency: Option<Duration>) {
        let mut w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        match latency {
            Some(l) => w.samples.push(l),
            None => w.errors += 1,
        }
    }
}

/// One sample of the server's state.
#[derive(Debug, Serialize)]
struct Sample {
    /// Seconds since the soak started (warm-up included).
    t_s: u64,
    rss_mb: Option<f64>,
    open_fds: Option<usize>,
    /// Requests completed in the last interval.
    requests: usize,
    errors: u64,
    p99_ms: f64,
}

/// Least-squares slope of `(x, y)` points, per unit of `x`.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let num: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let den: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if den == 0.0 { 0.0 } else { num / den }
}

async fn prepare(addr: &str) -> Result<Mix, BenchError> {
    let citizen = token(addr, "citizen1").await?;
    let bearer = format!("Bearer {citizen}");
    let desk = format!("Bearer {}", token(addr, "reception@000.00.04.H13").await?);
    let readable = seed_dossiers(addr, &citizen, 100).await?;
    let lookups = readable
        .iter()
        .map(|code| {
            get_with(
                addr,
                &format!("/api/v1/dossiers/{code}"),
                &[("Authorization", &bearer)],
            )
        })
        .collect();
    let tracking = readable
        .iter()
        .map(|code| {
            get(
                addr,
                &format!("/api/v1/tracking?code={code}&phone_last4=5671"),
            )
        })
        .collect();
    let searches = [
        "khai+sinh",
        "ly+lich+tu+phap",
        "xay+dung",
        "dang+ky+kinh+doanh",
    ]
    .iter()
    .map(|q| get(addr, &format!("/api/v1/procedures?q={q}&limit=20")))
    .collect();
    Ok(Mix {
        lookups,
        searches,
        tracking,
        submit: submission(addr, &citizen),
        addr: addr.to_owned(),
        desk,
        waiting: Mutex::new(VecDeque::new()),
        window: Mutex::new(Window::default()),
    })
}

/// Closed loop of the mix for `PROBE`: completed requests per second.
async fn capacity(mix: &Arc<Mix>, addr: &str, connections: usize) -> f64 {
    let end = Instant::now() + PROBE;
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections {
        let mix = mix.clone();
        let addr = addr.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            let mut k = c;
            let Ok(mut conn) = Conn::open(&addr).await else {
                return 0;
            };
            while Instant::now() < end {
                match mix.send(&mut conn, k).await {
                    Ok(true) => done += 1,
                    Ok(false) => {}
                    Err(_) => match Conn::open(&addr).await {
                        Ok(fresh) => conn = fresh,
                        Err(_) => break,
                    },
                }
                k = k.wrapping_add(connections);
            }
            done
        }));
    }
    let mut done = 0u64;
    for t in tasks {
        done += t.await.unwrap_or_default();
    }
    done as f64 / PROBE.as_secs_f64()
}

/// The soak (issue figures: RSS and descriptors at start and end, their trend, errors).
pub(crate) async fn soak(opts: &Options) -> Result<Report, BenchError> {
    // On `--reuse-data-dir` when given, so that the soak can run over a database of a
    // million dossiers.
    let t = match &opts.data_dir {
        Some(dir) if opts.url.is_none() => target_on(opts, dir).await?,
        _ => target(opts, "soak").await?,
    };
    let pid = t.server.as_ref().and_then(ServerHandle::pid);
    let mix = Arc::new(prepare(&t.addr).await?);
    let conns = opts.concurrency.clamp(1, 1024);
    let (ceiling_samples, _, csecs) = closed_loop(
        &t.addr,
        get(&t.addr, "/healthz"),
        conns,
        Duration::from_secs(1),
        Duration::from_secs(5),
    )
    .await?;
    let ceiling = ceiling_samples.len() as f64 / csecs;
    let measured_capacity = capacity(&mix, &t.addr, conns).await;
    let rate = opts.rate.unwrap_or(measured_capacity / 2.0).max(1.0);
    mix.take_window();

    let started = Instant::now();
    let sampler = {
        let mix = mix.clone();
        let total = opts.warmup + opts.duration;
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            loop {
                tick.tick().await;
                if started.elapsed() >= total {
                    break;
                }
                let w = mix.take_window();
                let mut lat = w.samples;
                lat.sort_unstable();
                samples.push(Sample {
                    t_s: started.elapsed().as_secs(),
                    rss_mb: pid.and_then(rss_mb_of),
                    open_fds: pid.and_then(open_fds_of),
                    requests: lat.len(),
                    errors: w.errors,
                    p99_ms: percentile(&lat, 99.0),
                });
            }
            samples
        })
    };
    let run = open_loop(
        &t.addr,
        mix.clone(),
        rate,
        conns,
        opts.warmup,
        opts.duration,
    )
    .await?;
    let samples = sampler.await.unwrap_or_default();

    let mut r = report("soak", &t.engine, conns, &run.samples, run.errors, run.secs);
    let measured: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.t_s >= opts.warmup.as_secs())
        .collect();
    r.rss_mb_before = measured.first().and_then(|s| s.rss_mb);
    r.rss_mb_after = measured.last().and_then(|s| s.rss_mb);
    r.ceiling_throughput = ceiling;
    r.ratio = if ceiling > 0.0 {
        r.throughput / ceiling
    } else {
        0.0
    };
    let half = measured.len() / 2;
    let trend = |f: &dyn Fn(&Sample) -> Option<f64>, from: usize| {
        let points: Vec<(f64, f64)> = measured
            .iter()
            .skip(from)
            .filter_map(|s| Some((s.t_s as f64 / 60.0, f(s)?)))
            .collect();
        slope(&points)
    };
    let rss = |s: &Sample| s.rss_mb;
    let fds = |s: &Sample| s.open_fds.map(|n| n as f64);
    let e = &mut r.extra;
    e.insert("mode".into(), "open".into());
    e.insert("capacity_throughput".into(), measured_capacity.into());
    e.insert("rate".into(), rate.into());
    e.insert("offered".into(), run.offered.into());
    e.insert("rss_mb_per_min".into(), trend(&rss, 0).into());
    e.insert(
        "rss_mb_per_min_second_half".into(),
        trend(&rss, half).into(),
    );
    e.insert("fds_per_min".into(), trend(&fds, 0).into());
    e.insert(
        "open_fds_start".into(),
        measured.first().and_then(|s| s.open_fds).into(),
    );
    e.insert(
        "open_fds_end".into(),
        measured.last().and_then(|s| s.open_fds).into(),
    );
    e.insert(
        "samples".into(),
        serde_json::to_value(&samples).unwrap_or_default(),
    );
    e.insert(
        "mix".into(),
        "70% reads (lookup 40, search 20, tracking 10), 20% submissions, 10% accept of the soak's own submissions"
            .into(),
    );
    if let Some(s) = t.server {
        s.stop().await;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::slope;

    #[test]
    fn slope_of_a_line_and_of_flat_or_short_series() {
        let line: Vec<(f64, f64)> = (0..10)
            .map(|x| (f64::from(x), 3.0 * f64::from(x) + 1.0))
            .collect();
        assert!((slope(&line) - 3.0).abs() < 1e-9);
        assert_eq!(slope(&[(0.0, 5.0), (1.0, 5.0), (2.0, 5.0)]), 0.0);
        assert_eq!(slope(&[(1.0, 2.0)]), 0.0);
        assert_eq!(slope(&[(1.0, 2.0), (1.0, 4.0)]), 0.0);
    }
}
