//! Biểu 06/VPCP/KSTT and the plans' indicators, read from aggregates kept exact by every
//! transition (see `docs/REPORTS.md` for the definitions).

pub mod drill;
pub mod export;
pub mod facts;
pub mod kpis;
mod scope;

use std::collections::{BTreeMap, HashMap};

use lienthong_domain::report::{Bieu06, Counts, MEASURES, Period, add_counts, cover};
use lienthong_store::{reports as rstore, settings};
use serde::Serialize;

pub use scope::{ReportScope, Tree};

use crate::{
    App, AppError, FieldError,
    authz::{Action, Caller, authorize},
};

/// How rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One row per agency directly under the scope (sub-agencies rolled up).
    Agency,
    /// One row per field of procedures.
    Field,
    /// One row per procedure.
    Procedure,
}

impl GroupBy {
    /// Parses the query value.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        match s {
            "agency" | "" => Ok(GroupBy::Agency),
            "field" => Ok(GroupBy::Field),
            "procedure" => Ok(GroupBy::Procedure),
            other => Err(AppError::Validation(vec![FieldError::new(
                "group_by",
                format!("Không nhóm được theo \"{other}\"; chọn agency, field hoặc procedure."),
                format!("Cannot group by \"{other}\"; use agency, field or procedure."),
            )])),
        }
    }

    /// Heading of the row dimension.
    pub fn heading_vi(self) -> &'static str {
        match self {
            GroupBy::Agency => "Đơn vị",
            GroupBy::Field => "Lĩnh vực",
            GroupBy::Procedure => "Thủ tục hành chính",
        }
    }
}

/// Turns a period error into a 400 with both languages.
pub fn period_error(e: &lienthong_domain::report::PeriodError) -> AppError {
    AppError::Validation(vec![FieldError::new("period", e.vi(), e.en())])
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    /// Agency code, field code or procedure code.
    pub key: String,
    /// Its name.
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub values: Bieu06,
}

/// A Biểu 06 report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// First day.
    pub from: String,
    /// Last day (inclusive).
    pub to: String,
    /// Row dimension.
    pub group_by: GroupBy,
    /// Scope agency code.
    pub agency: String,
    /// Scope agency name.
    pub agency_name: String,
    /// Rows, by key.
    pub rows: Vec<ReportRow>,
    /// Sum of the rows.
    pub totals: Bieu06,
}

/// Per (agency, procedure): the sums before the period and within it.
pub(crate) type PairSums = HashMap<(String, String), (Counts, Counts)>;

/// Reads the sums of the aggregates for a period, for the agencies given (all when empty).
pub(crate) async fn pair_sums(
    app: &App,
    period: &Period,
    agencies: &[String],
) -> Result<PairSums, AppError> {
    read_sums(app, period, agencies, true).await
}

/// The totals of Biểu 06 for `agency` and everything under it (the province when `None`) for
/// each period: the scope is read and authorized once, one summed row per range, for trends.
pub async fn totals(
    app: &App,
    audience: Audience<'_>,
    periods: &[Period],
    agency: Option<&str>,
) -> Result<Vec<Bieu06>, AppError> {
    let (_, scope) = scoped(app, audience, agency).await?;
    let by_pair = scope.agencies.len() > 200;
    let mut out = Vec::with_capacity(periods.len());
    for period in periods {
        let mut t = Bieu06::default();
        for (before, within) in read_sums(app, period, &scope.agencies, by_pair)
            .await?
            .values()
        {
            t.add(&Bieu06::from_sums(before, within));
        }
        out.push(t);
    }
    Ok(out)
}

async fn read_sums(
    app: &App,
    period: &Period,
    agencies: &[String],
    by_pair: bool,
) -> Result<PairSums, AppError> {
    let mut out: PairSums = HashMap::new();
    let mut conn = app.db.read().await?;
    let parts = [
        (0usize, cover(0, period.first_day() - 1)),
        (1usize, cover(period.first_day(), period.last_day())),
    ];
    // Large lists of agencies read everything and filter here.
    let filter: &[String] = if agencies.len() > 200 { &[] } else { agencies };
    for (part, ranges) in parts {
        for (grain, lo, hi) in ranges {
            let rows = rstore::sums(
                &mut conn,
                i64::from(grain.code()),
                i64::from(lo),
                i64::from(hi),
                filter,
                by_pair || filter.is_empty(),
            )
            .await?;
            for (agency, procedure, c) in rows {
                let e = out
                    .entry((agency, procedure))
                    .or_insert(([0; MEASURES], [0; MEASURES]));
                add_counts(if part == 0 { &mut e.0 } else { &mut e.1 }, &c);
            }
        }
    }
    if agencies.len() > 200 {
        let keep: std::collections::HashSet<&String> = agencies.iter().collect();
        out.retain(|(a, _), _| keep.contains(a));
    }
    Ok(out)
}

/// Who a report is for: an official (authorized on the scope) or the public (aggregates
/// only, as the public statistics publish them).
#[derive(Debug, Clone, Copy)]
pub enum Audience<'a> {
    /// Officials with a role at the scope agency or above.
    Official(&'a Caller),
    /// Anyone.
    Public,
}

/// The tree and the scope of a report on `agency` (the province when `None`), authorized.
pub(crate) async fn scoped(
    app: &App,
    audience: Audience<'_>,
    agency: Option<&str>,
) -> Result<(Tree, ReportScope), AppError> {
    let tree = Tree::load(app).await?;
    let scope = tree.scope(agency)?;
    if let Audience::Official(caller) = audience {
        authorize(
            caller,
            Action::ReadReports,
            Some(&tree.lineage(&scope.root)),
        )?;
    }
    Ok((tree, scope))
}

/// Biểu 06 for `period`, grouped by `group_by`, for the agency `agency` with everything under
/// it (the whole province when `None`).
pub async fn bieu06(
    app: &App,
    audience: Audience<'_>,
    period: &Period,
    group_by: GroupBy,
    agency: Option<&str>,
) -> Result<Report, AppError> {
    let (tree, scope) = scoped(app, audience, agency).await?;
    build(app, tree, &scope, period, group_by).await
}

async fn build(
    app: &App,
    mut tree: Tree,
    scope: &ReportScope,
    period: &Period,
    group_by: GroupBy,
) -> Result<Report, AppError> {
    let sums = pair_sums(app, period, &scope.agencies).await?;
    let mut unknown: Vec<String> = sums
        .keys()
        .map(|(a, _)| a.clone())
        .filter(|a| !tree.contains(a))
        .collect();
    unknown.sort();
    unknown.dedup();
    tree.adopt(app, &unknown).await?;
    let tree = &tree;
    let names = procedure_names(app).await?;
    let mut rows: BTreeMap<String, ReportRow> = BTreeMap::new();
    let mut totals = Bieu06::default();
    for ((agency, procedure), (before, within)) in &sums {
        let Some(group) = scope.group_of(tree, agency) else {
            continue;
        };
        let values = Bieu06::from_sums(before, within);
        if values == Bieu06::default() {
            continue;
        }
        let info = names.get(procedure);
        let (key, name) = match group_by {
            GroupBy::Agency => (group.clone(), tree.name(&group)),
            GroupBy::Field => info.map_or_else(
                || ("?".into(), "Chưa phân loại".into()),
                |p| (p.field_code.clone(), p.field_name.clone()),
            ),
            GroupBy::Procedure => (
                procedure.clone(),
                info.map_or_else(|| procedure.clone(), |p| p.name.clone()),
            ),
        };
        rows.entry(key.clone())
            .or_insert_with(|| ReportRow {
                key,
                name,
                values: Bieu06::default(),
            })
            .values
            .add(&values);
        totals.add(&values);
    }
    Ok(Report {
        from: period.from.to_string(),
        to: period.to.to_string(),
        group_by,
        agency: scope.root.clone(),
        agency_name: tree.name(&scope.root),
        rows: rows.into_values().collect(),
        totals,
    })
}

/// Name and field of a procedure.
#[derive(Debug, Clone)]
pub(crate) struct ProcedureInfo {
    pub name: String,
    pub field_code: String,
    pub field_name: String,
}

pub(crate) async fn procedure_names(app: &App) -> Result<HashMap<String, ProcedureInfo>, AppError> {
    Ok(crate::catalog::export(app)
        .await?
        .into_iter()
        .map(|p| {
            (
                p.code.clone(),
                ProcedureInfo {
                    name: p.name,
                    field_code: p.field.code,
                    field_name: p.field.name,
                },
            )
        })
        .collect())
}

const BUILT: &str = "reports.aggregates";
const BUILT_VERSION: &str = "1";

/// Builds the aggregates from the stored dossiers unless they already are (first start after
/// the reports arrived, or after a restore). Returns whether it rebuilt.
pub async fn ensure_built(app: &App) -> Result<bool, AppError> {
    {
        let mut conn = app.db.read().await?;
        if settings::get(&mut conn, BUILT).await?.as_deref() == Some(BUILT_VERSION) {
            return Ok(false);
        }
    }
    let mut tx = app.db.write().await?;
    let conn = &mut tx.conn();
    let b = facts::recompute(&mut *conn).await?;
    rstore::clear(&mut *conn).await?;
    b.write(&mut *conn).await?;
    settings::set(&mut *conn, BUILT, BUILT_VERSION).await?;
    tx.commit().await?;
    Ok(true)
}

/// One aggregate that differs from a recomputation from raw dossiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// Grain code, bucket, agency, procedure.
    pub key: (i64, i64, String, String),
    /// Stored sums.
    pub stored: Vec<i64>,
    /// Recomputed sums.
    pub recomputed: Vec<i64>,
}

/// Compares every stored aggregate with a recomputation from the raw dossiers.
pub async fn verify(app: &App) -> Result<(usize, Vec<Mismatch>), AppError> {
    let mut conn = app.db.read().await?;
    let fresh = facts::recompute(&mut conn).await?.rows;
    let stored: HashMap<rstore::Key, Counts> = rstore::all(&mut conn)
        .await?
        .into_iter()
        .filter(|(_, c)| c.iter().any(|v| *v != 0))
        .collect();
    let mut keys: Vec<&rstore::Key> = fresh.keys().chain(stored.keys()).collect();
    keys.sort();
    keys.dedup();
    let zero = [0; MEASURES];
    let mismatches = keys
        .iter()
        .filter_map(|k| {
            let a = stored.get(*k).unwrap_or(&zero);
            let b = fresh.get(*k).unwrap_or(&zero);
            (a != b).then(|| Mismatch {
                key: (
                    k.grain,
                    k.bucket,
                    k.agency_code.clone(),
                    k.procedure_code.clone(),
                ),
                stored: a.to_vec(),
                recomputed: b.to_vec(),
            })
        })
        .collect();
    Ok((keys.len(), mismatches))
}
