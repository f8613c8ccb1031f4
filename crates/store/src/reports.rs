//! The report aggregates: per (grain, bucket, agency, procedure), one column per measure of
//! `lienthong_domain::report::Measure`, each the sum of the dossiers' contributions.

use crate::exec::{Exec, Row, query};
use lienthong_domain::report::{Counts, MEASURES, Measure};

use crate::Result;

/// One aggregate row's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// 0 day, 1 month, 2 year.
    pub grain: i64,
    /// Bucket within the grain.
    pub bucket: i64,
    /// Receiving agency.
    pub agency_code: String,
    /// Procedure code.
    pub procedure_code: String,
}

fn columns() -> String {
    Measure::ALL
        .iter()
        .map(|m| m.column())
        .collect::<Vec<_>>()
        .join(", ")
}

fn upsert_sql(conn: &Exec<'_>, rows: usize) -> String {
    let cols = columns();
    let params = crate::bulk::placeholders(conn, rows, 4 + MEASURES);
    let sets = Measure::ALL
        .iter()
        .map(|m| format!("{c} = report_counts.{c} + excluded.{c}", c = m.column()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO report_counts (grain, bucket, agency_code, procedure_code, {cols}) \
         VALUES {params} ON CONFLICT (grain, bucket, agency_code, procedure_code) \
         DO UPDATE SET {sets}"
    )
}

/// Adds each row's counts, several rows per statement; the keys must be distinct.
pub async fn add_many<'c>(conn: impl Into<Exec<'c>>, rows: &[(&Key, &Counts)]) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    for chunk in rows.chunks(50) {
        let sql = upsert_sql(conn, chunk.len());
        let mut q = query(sql);
        for (key, counts) in chunk {
            q = q
                .bind(key.grain)
                .bind(key.bucket)
                .bind(&key.agency_code)
                .bind(&key.procedure_code);
            for v in *counts {
                q = q.bind(*v);
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Removes every aggregate (before a rebuild).
pub async fn clear<'c>(conn: impl Into<Exec<'c>>) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("DELETE FROM report_counts")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn counts(r: &Row, offset: usize) -> Result<Counts> {
    let mut c = [0; MEASURES];
    for (i, v) in c.iter_mut().enumerate() {
        // SUM over no rows is NULL on both engines.
        let x: Option<i64> = r.try_get(offset + i)?;
        *v = x.unwrap_or(0);
    }
    Ok(c)
}

/// Sums over the buckets `lo..=hi` of `grain` for the given agencies (all when `agencies` is
/// empty): per (agency, procedure) with `by_pair`, else one row summed over all of them (with
/// empty codes).
pub async fn sums<'c>(
    conn: impl Into<Exec<'c>>,
    grain: i64,
    lo: i64,
    hi: i64,
    agencies: &[String],
    by_pair: bool,
) -> Result<Vec<(String, String, Counts)>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sums = Measure::ALL
        .iter()
        .map(|m| format!("CAST(SUM({}) AS BIGINT)", m.column()))
        .collect::<Vec<_>>()
        .join(", ");
    let filter = if agencies.is_empty() {
        String::new()
    } else {
        let marks = (0..agencies.len())
            .map(|i| format!("${}", i + 4))
            .collect::<Vec<_>>()
            .join(",");
        format!(" AND agency_code IN ({marks})")
    };
    let (keys, group) = if by_pair {
        (
            "agency_code, procedure_code",
            " GROUP BY agency_code, procedure_code",
        )
    } else {
        ("'' AS agency_code, '' AS procedure_code", "")
    };
    let sql = format!(
        "SELECT {keys}, {sums} FROM report_counts \
         WHERE grain = $1 AND bucket >= $2 AND bucket <= $3{filter}{group}"
    );
    let mut q = query(sql).bind(grain).bind(lo).bind(hi);
    for a in agencies {
        q = q.bind(a);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, counts(r, 2)?)))
        .collect()
}

/// Every stored aggregate row, in key order (for verification).
pub async fn all<'c>(conn: impl Into<Exec<'c>>) -> Result<Vec<(Key, Counts)>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT grain, bucket, agency_code, procedure_code, {} FROM report_counts \
         ORDER BY grain, bucket, agency_code, procedure_code",
        columns()
    );
    let rows = query(sql).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            let c: Vec<Option<i64>> = (4..4 + MEASURES)
                .map(|i| r.try_get(i))
                .collect::<std::result::Result<_, _>>()?;
            let mut out = [0; MEASURES];
            for (o, v) in out.iter_mut().zip(c) {
                *o = v.unwrap_or(0);
            }
            Ok((
                Key {
                    grain: r.try_get(0)?,
                    bucket: r.try_get(1)?,
                    agency_code: r.try_get(2)?,
                    procedure_code: r.try_get(3)?,
                },
                out,
            ))
        })
        .collect()
}

/// A page of dossiers in id order after `after`, for rebuilding and verifying aggregates.
pub async fn dossiers_after<'c>(
    conn: impl Into<Exec<'c>>,
    after: &str,
    limit: i64,
) -> Result<Vec<crate::dossiers::DossierRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {} FROM dossiers WHERE id > $1 ORDER BY id LIMIT $2",
        crate::dossiers::COLUMNS
    );
    let rows = query(sql)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| crate::dossiers::dossier(&r.rec()))
        .collect()
}

/// An agency's dossiers of one procedure (all procedures when `None`) accepted by `until`
/// (µs) and not finished before `since` (µs): the candidates behind any figure of a period.
pub async fn candidates<'c>(
    conn: impl Into<Exec<'c>>,
    agency_code: &str,
    procedure_code: Option<&str>,
    since: i64,
    until: i64,
    limit: i64,
) -> Result<Vec<crate::dossiers::DossierRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {} FROM dossiers WHERE agency_code = $1 AND ($2 IS NULL OR procedure_code = $2) \
         AND accepted_at IS NOT NULL AND accepted_at <= $3 \
         AND COALESCE(resolved_at, closed_at, $4) >= $4 ORDER BY accepted_at, code LIMIT $5",
        crate::dossiers::COLUMNS
    );
    let rows = query(sql)
        .bind(agency_code)
        .bind(procedure_code)
        .bind(until)
        .bind(since)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| crate::dossiers::dossier(&r.rec()))
        .collect()
}
