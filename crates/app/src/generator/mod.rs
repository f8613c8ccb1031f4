//! `lienthong demo generate`: realistic history for demos and benchmarks. Dossiers are
//! generated day by day over several years for the province's procedures and agencies, each
//! following the one-stop rules (calendar due instants, supplement pauses, workflow steps),
//! and written in large transactions with the report aggregates they contribute.

mod life;
mod rng;

use lienthong_store::Exec;
use std::collections::HashMap;

use lienthong_domain::{
    catalog::ProcedureLevel,
    dossier::dossier_sequence_key,
    org::AgencyLevel,
    report::{self, Counts, Grain, MEASURES, day_number, day_start_us},
};
use lienthong_store::{bulk, catalog as cstore, org as ostore, reports as rstore, settings};

use self::{
    life::{Desk, Life, Proc, World},
    rng::Rng,
};
use crate::{App, AppError, reports::facts::facts};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Number of dossiers.
    pub dossiers: u64,
    /// Seed: the same seed on the same province gives the same data.
    pub seed: u64,
    /// Years of history, ending yesterday.
    pub years: u16,
}

/// What was generated.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Generated {
    /// Dossiers written.
    pub dossiers: u64,
    /// History entries written.
    pub history: u64,
    /// Aggregate rows written (or added to).
    pub aggregates: u64,
}

/// Dossiers per transaction.
const BATCH: usize = 10_000;

type AggKey = (Grain, i32, u32, u32);

struct Sink {
    agencies: Vec<String>,
    procedures: Vec<String>,
    pending: HashMap<AggKey, Counts>,
    written: u64,
}

impl Sink {
    fn add(&mut self, life: &Life) {
        for (day, m, v) in report::contributions(&facts(&life.row)) {
            for g in Grain::ALL {
                let c = self
                    .pending
                    .entry((g, g.bucket(day), life.agency, life.procedure))
                    .or_insert([0; MEASURES]);
                if let Some(x) = c.get_mut(m.index()) {
                    *x += v;
                }
            }
        }
    }

    /// Writes the buckets no later dossier can add to (all when `before` is `None`).
    async fn flush<'c>(
        &mut self,
        conn: impl Into<Exec<'c>>,
        before: Option<i32>,
    ) -> Result<(), AppError> {
        let conn: &mut Exec<'_> = &mut conn.into();
        let closed = |k: &AggKey| match before {
            None => true,
            Some(day) => k.1 < k.0.bucket(day),
        };
        let mut keys: Vec<AggKey> = self.pending.keys().filter(|k| closed(k)).copied().collect();
        keys.sort();
        let mut rows = Vec::with_capacity(keys.len());
        for k in keys {
            let Some(c) = self.pending.remove(&k) else {
                continue;
            };
            let (Some(agency), Some(procedure)) = (
                self.agencies.get(k.2 as usize),
                self.procedures.get(k.3 as usize),
            ) else {
                continue;
            };
            let key = rstore::Key {
                grain: i64::from(k.0.code()),
                bucket: i64::from(k.1),
                agency_code: agency.clone(),
                procedure_code: procedure.clone(),
            };
            rows.push((key, c));
        }
        let refs: Vec<(&rstore::Key, &Counts)> = rows.iter().map(|(k, c)| (k, c)).collect();
        rstore::add_many(&mut *conn, &refs).await?;
        self.written += u64::try_from(rows.len()).unwrap_or(0);
        Ok(())
    }
}

async fn world(app: &App, first_year: i16) -> Result<(World, Sink), AppError> {
    let today = app.clock.today();
    let (agencies, versions) = {
        let mut conn = app.db.read().await?;
        (
            ostore::agencies_at(&mut conn, today, None).await?,
            cstore::all_at(&mut conn, today).await?,
        )
    };
    let mut sink = Sink {
        agencies: Vec::new(),
        procedures: Vec::new(),
        pending: HashMap::new(),
        written: 0,
    };
    // One index per agency code, however many procedures it serves.
    let desk = |code: &str, version_id: &str, sink: &mut Sink| {
        let index = match sink.agencies.iter().position(|a| a == code) {
            Some(i) => i,
            None => {
                sink.agencies.push(code.to_owned());
                sink.agencies.len() - 1
            }
        };
        Desk {
            index: u32::try_from(index).unwrap_or(u32::MAX),
            code: code.to_owned(),
            version_id: version_id.to_owned(),
        }
    };
    let communes: Vec<Desk> = agencies
        .iter()
        .filter(|a| a.level == AgencyLevel::Commune && a.kind == "people_committee")
        .map(|a| desk(&a.code, &a.id, &mut sink))
        .collect();
    let departments = agencies
        .iter()
        .filter(|a| a.kind == "department")
        .map(|a| a.code.clone())
        .collect();
    let mut procedures = Vec::new();
    for v in versions {
        let p = crate::catalog::shared_version(app, &v.id)
            .await?
            .procedure
            .clone();
        // The agencies named by the procedure ("{communes}" or a list: every commune).
        let mut desks: Vec<Desk> = Vec::new();
        for code in &p.agency_codes {
            if code.starts_with('{') {
                desks.extend(communes.iter().cloned());
            } else if let Some(a) = agencies.iter().find(|a| &a.code == code) {
                desks.push(desk(&a.code, &a.id, &mut sink));
            }
        }
        if desks.is_empty() {
            continue;
        }
        let index = u32::try_from(sink.procedures.len()).unwrap_or(u32::MAX);
        sink.procedures.push(p.code.clone());
        procedures.push(Proc {
            index,
            code: p.code.clone(),
            version_id: v.id.clone(),
            working_days: p.processing_time.as_days(),
            online_mode: p.online_mode,
            desks,
            weight: if p.level == ProcedureLevel::Commune {
                40
            } else {
                12
            },
        });
    }
    if procedures.is_empty() {
        return Err(AppError::NotNow {
            vi: "Chưa có thủ tục và cơ quan để sinh dữ liệu; hãy tạo tỉnh mẫu trước (serve --demo).".into(),
            en: "No procedures and agencies to generate for; create the demo province first (serve --demo).".into(),
        });
    }
    let (workflow_id, wf) = crate::workflows::current(app, crate::workflows::DEFAULT_NAME).await?;
    let mut steps = Vec::new();
    let mut at = wf.first();
    while let Some(s) = at {
        if steps.len() > 32 {
            break;
        }
        steps.push(s.clone());
        at = s.next.as_deref().and_then(|n| wf.step(n));
    }
    let calendar = crate::calendar::load(app, first_year, today.year() + 1).await?;
    let total_weight = procedures.iter().map(|p| p.weight).sum();
    Ok((
        World {
            procedures,
            departments,
            calendar,
            hours: lienthong_domain::calendar::OfficeHours::default(),
            workflow_id,
            steps,
            now: app.now_us(),
            total_weight,
        },
        sink,
    ))
}

/// Generates `opts.dossiers` dossiers over `opts.years` years ending yesterday; `progress`
/// is called with (done, total) after each transaction.
pub async fn generate(
    app: &App,
    opts: &Options,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Generated, AppError> {
    crate::reports::ensure_built(app).await?;
    let today = app.clock.today();
    let last = day_number(today) - 1;
    let first = last - i32::from(opts.years.clamp(1, 20)) * 365;
    let first_year = i16::try_from(report::civil(first).0).unwrap_or(2000);
    let (w, mut sink) = world(app, first_year).await?;
    let working: Vec<i32> = (first..=last)
        .filter(|d| report::date_of(*d).is_some_and(|date| w.calendar.is_working_day(date)))
        .collect();
    let mut rng = Rng::new(opts.seed);
    // Busier and quieter days around an even spread.
    let weights: Vec<u64> = working.iter().map(|_| 70 + rng.below(61)).collect();
    let total_w: u64 = weights.iter().sum::<u64>().max(1);
    let mut counts: Vec<u64> = weights
        .iter()
        .map(|x| opts.dossiers.saturating_mul(*x) / total_w)
        .collect();
    let short = opts.dossiers.saturating_sub(counts.iter().sum());
    for c in counts.iter_mut().take(usize::try_from(short).unwrap_or(0)) {
        *c += 1;
    }
    let mut sequences: HashMap<String, i64> = {
        let mut conn = app.db.read().await?;
        bulk::sequences(&mut conn, "dossier:")
            .await?
            .into_iter()
            .collect()
    };
    {
        let mut tx = app.db.write().await?;
        settings::set(tx.conn(), "reports.aggregates", "0").await?;
        tx.commit().await?;
    }
    let mut out = Generated::default();
    let mut batch: Vec<Life> = Vec::with_capacity(BATCH);
    let mut serial: u64 = 0;
    let office_minutes: [(i64, i64); 2] =
        [(7 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 16 * 60 + 45)];
    for (day, n) in working.iter().zip(counts) {
        for _ in 0..n {
            let (lo, hi) = if rng.chance(0.6) {
                office_minutes[0]
            } else {
                office_minutes[1]
            };
            let at =
                day_start_us(*day) + rng.between(lo, hi) * 60_000_000 + rng.between(0, 60_000_000);
            serial += 1;
            let id = format!("gen-{:x}-{serial:010}", opts.seed);
            let mut seq = |agency: &str, date: jiff::civil::Date| {
                let v = sequences
                    .entry(dossier_sequence_key(agency, date))
                    .or_insert(0);
                *v += 1;
                *v
            };
            if let Some(l) = life::live(&w, &mut rng, id, at, &mut seq) {
                sink.add(&l);
                batch.push(l);
            }
        }
        if batch.len() >= BATCH {
            write(app, &mut batch, &mut sink, Some(*day + 1), &mut out).await?;
            progress(out.dossiers, opts.dossiers);
        }
    }
    write(app, &mut batch, &mut sink, None, &mut out).await?;
    let mut tx = app.db.write().await?;
    let conn = &mut tx.conn();
    let mut names: Vec<(&String, &i64)> = sequences.iter().collect();
    names.sort();
    for (name, value) in names {
        bulk::raise_sequence(&mut *conn, name, *value).await?;
    }
    settings::set(&mut *conn, "reports.aggregates", "1").await?;
    tx.commit().await?;
    progress(out.dossiers, opts.dossiers);
    out.aggregates = sink.written;
    Ok(out)
}

async fn write(
    app: &App,
    batch: &mut Vec<Life>,
    sink: &mut Sink,
    before: Option<i32>,
    out: &mut Generated,
) -> Result<(), AppError> {
    let rows: Vec<_> = batch.iter().map(|l| l.row.clone()).collect();
    let history: Vec<_> = batch
        .iter()
        .flat_map(|l| l.history.iter().map(|h| (l.row.id.clone(), h.clone())))
        .collect();
    let mut tx = app.db.write().await?;
    let conn = &mut tx.conn();
    bulk::insert_dossiers(&mut *conn, &rows).await.map_err(|e| match e {
        lienthong_store::StoreError::Duplicate => AppError::Conflict(
            "dữ liệu với hạt giống này đã được sinh / data from this seed was already generated".into(),
        ),
        other => other.into(),
    })?;
    bulk::insert_history(&mut *conn, &history).await?;
    sink.flush(&mut *conn, before).await?;
    tx.commit().await?;
    out.dossiers += u64::try_from(rows.len()).unwrap_or(0);
    out.history += u64::try_from(history.len()).unwrap_or(0);
    batch.clear();
    Ok(())
}
