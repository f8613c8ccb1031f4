//! The dossiers behind a figure of the report: officials who read an agency's dossiers can go
//! from a number to the list, classified by the same definitions as the report.

use lienthong_domain::{
    clock::from_micros,
    report::{COLUMN_KEYS, Period, day_start_us, row_of},
};
use lienthong_store::reports as rstore;
use serde::Serialize;

use super::{Tree, facts::facts};
use crate::{
    App, AppError, FieldError,
    authz::{Action, Caller, authorize},
};

/// At most this many dossiers are listed.
pub const LIMIT: usize = 500;

/// One dossier behind a figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Behind {
    /// Dossier code.
    pub code: String,
    /// Procedure code.
    pub procedure_code: String,
    /// Receiving agency.
    pub agency_code: String,
    /// Status.
    pub status: String,
    /// Accepted (RFC 3339).
    pub accepted_at: Option<String>,
    /// Statutory due instant (RFC 3339).
    pub due_at: Option<String>,
    /// Resolved or closed (RFC 3339).
    pub finished_at: Option<String>,
}

/// The dossiers of `agency` (and agencies under it) counted in `column` for `period`,
/// optionally of one procedure; `truncated` when more than [`LIMIT`] match.
pub async fn dossiers_behind(
    app: &App,
    caller: &Caller,
    period: &Period,
    agency: &str,
    procedure: Option<&str>,
    column: &str,
) -> Result<(Vec<Behind>, bool), AppError> {
    if !COLUMN_KEYS.contains(&column) {
        return Err(AppError::Validation(vec![FieldError::new(
            "column",
            format!(
                "Không có cột \"{}\" trong Biểu 06.",
                column.chars().take(40).collect::<String>()
            ),
            format!(
                "Biểu 06 has no column \"{}\".",
                column.chars().take(40).collect::<String>()
            ),
        )]));
    }
    let tree = Tree::load(app).await?;
    let scope = tree.scope(Some(agency))?;
    authorize(
        caller,
        Action::ReadDossiers,
        Some(&tree.lineage(&scope.root)),
    )?;
    let (first, last) = (period.first_day(), period.last_day());
    let since = day_start_us(first);
    let until = day_start_us(last + 1) - 1;
    let time = |us: Option<i64>| us.map(|u| from_micros(u).to_string());
    let mut out = Vec::new();
    let mut conn = app.db.read().await?;
    for a in &scope.agencies {
        let rows = rstore::candidates(
            &mut conn,
            a,
            procedure,
            since,
            until,
            i64::try_from(LIMIT * 20).unwrap_or(i64::MAX),
        )
        .await?;
        for row in rows {
            let f = facts(&row);
            if row_of(&f, first, last).get(column) != Some(1) {
                continue;
            }
            if out.len() == LIMIT {
                return Ok((out, true));
            }
            out.push(Behind {
                code: row.code.clone(),
                procedure_code: row.procedure_code.clone(),
                agency_code: row.agency_code.clone(),
                status: row.status.clone(),
                accepted_at: time(f.accepted_at),
                due_at: time(f.due_at),
                finished_at: time(f.finished.map(|x| x.0)),
            });
        }
    }
    Ok((out, false))
}
