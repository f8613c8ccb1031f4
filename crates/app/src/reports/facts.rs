//! From stored dossiers to report facts, and keeping the aggregates in step: every change of a
//! dossier adds the difference of its contributions in the transaction that changes it.

use lienthong_store::Exec;
use std::collections::HashMap;

use lienthong_domain::{
    dossier::Status,
    report::{self, Counts, Facts, Grain, MEASURES, Measure, Outcome},
};
use lienthong_store::{dossiers::DossierRow, processing::ProcessingState, reports as rstore};

use crate::AppError;

/// The report facts of a dossier with the given status and processing state.
pub fn facts_of(channel: &str, status: &str, s: &ProcessingState) -> Facts {
    let status = Status::parse(status);
    let finished = match (s.resolved_at, s.closed_at, status) {
        (Some(at), _, _) => Some((at, Outcome::Resolved)),
        (None, Some(at), Some(Status::Stopped)) => Some((at, Outcome::Rejected)),
        (None, Some(at), Some(Status::Withdrawn)) => Some((at, Outcome::Withdrawn)),
        _ => None,
    };
    Facts {
        online: channel == "online",
        accepted_at: s.accepted_at,
        due_at: s.statutory_due_at,
        finished,
        supplement_rounds: s.supplement_rounds,
        apologized: s.apologized_at.is_some(),
        rating: s.rated_at.zip(s.rating),
        result_electronic: s.result_sha256.is_some(),
        result_signed: false,
    }
}

/// The report facts of a stored dossier.
pub fn facts(row: &DossierRow) -> Facts {
    facts_of(&row.channel, &row.status, &row.state)
}

/// Aggregate rows (all three grains) keyed by bucket, accumulated in memory.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Buckets {
    /// Sums per key.
    pub rows: HashMap<rstore::Key, Counts>,
}

impl Buckets {
    /// Adds `contributions` of one dossier of `agency` and `procedure`.
    pub fn add(&mut self, agency: &str, procedure: &str, contributions: &[(i32, Measure, i64)]) {
        for (day, measure, value) in contributions {
            for grain in Grain::ALL {
                let key = rstore::Key {
                    grain: i64::from(grain.code()),
                    bucket: i64::from(grain.bucket(*day)),
                    agency_code: agency.to_owned(),
                    procedure_code: procedure.to_owned(),
                };
                let counts = self.rows.entry(key).or_insert([0; MEASURES]);
                if let Some(c) = counts.get_mut(measure.index()) {
                    *c += value;
                }
            }
        }
    }

    /// Multiplies every sum by `n` (for `n` identical copies of the dossiers added).
    pub fn scale(&mut self, n: i64) {
        for c in self.rows.values_mut() {
            for v in c.iter_mut() {
                *v *= n;
            }
        }
    }

    /// Writes the sums into the aggregates (added to what is there).
    pub async fn write<'c>(&self, conn: impl Into<Exec<'c>>) -> Result<(), AppError> {
        let conn: &mut Exec<'_> = &mut conn.into();
        let mut rows: Vec<(&rstore::Key, &Counts)> = self
            .rows
            .iter()
            .filter(|(_, c)| c.iter().any(|v| *v != 0))
            .collect();
        // A stable order keeps concurrent writers on PostgreSQL from deadlocking.
        rows.sort_by(|a, b| a.0.cmp(b.0));
        rstore::add_many(&mut *conn, &rows).await?;
        Ok(())
    }
}

/// Records, in the caller's transaction, how a dossier's change moves the aggregates.
pub async fn record_change<'c>(
    conn: impl Into<Exec<'c>>,
    row: &DossierRow,
    after: &Facts,
) -> Result<(), AppError> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let d = report::delta(&facts(row), after);
    if d.is_empty() {
        return Ok(());
    }
    let mut b = Buckets::default();
    b.add(&row.agency_code, &row.procedure_code, &d);
    b.write(&mut *conn).await
}

/// The aggregates recomputed from every stored dossier.
pub async fn recompute<'c>(conn: impl Into<Exec<'c>>) -> Result<Buckets, AppError> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let mut b = Buckets::default();
    let mut after = String::new();
    loop {
        let page = rstore::dossiers_after(&mut *conn, &after, 5_000).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.id.clone();
        for row in &page {
            b.add(
                &row.agency_code,
                &row.procedure_code,
                &report::contributions(&facts(row)),
            );
        }
    }
    b.rows.retain(|_, c| c.iter().any(|v| *v != 0));
    Ok(b)
}

/// Measures the aggregate upkeep of `n` transitions on stored dossiers (an open dossier
/// resolved now, a finished one rated now) inside one transaction that is rolled back:
/// returns how many were timed and the total time spent in [`record_change`].
pub async fn upkeep_cost(
    app: &crate::App,
    n: usize,
) -> Result<(usize, std::time::Duration), AppError> {
    let rows = {
        let mut conn = app.db.read().await?;
        rstore::dossiers_after(conn.as_mut(), "", i64::try_from(n).unwrap_or(i64::MAX)).await?
    };
    let now = app.now_us();
    let mut tx = app.db.write().await?;
    let conn = &mut tx.conn();
    let mut spent = std::time::Duration::ZERO;
    let mut timed = 0;
    for row in &rows {
        let before = facts(row);
        if before.accepted_at.is_none() {
            continue;
        }
        let mut after = before.clone();
        if after.finished.is_none() {
            after.finished = Some((now, Outcome::Resolved));
        } else {
            after.rating = Some((now, 3));
        }
        let started = std::time::Instant::now();
        record_change(&mut *conn, row, &after).await?;
        spent += started.elapsed();
        timed += 1;
    }
    // Dropping the transaction rolls the measurement back.
    drop(tx);
    Ok((timed, spent))
}
