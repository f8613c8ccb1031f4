//! Reports and indicators: Biểu 06 (JSON, CSV, XLSX, PDF), the plans' indicators, the dossiers
//! behind a figure, and the public statistics.

use axum::{
    Json,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use lienthong_app::{
    AppError,
    authz::Caller,
    reports::{self, Audience, GroupBy, drill, export, kpis},
};
use lienthong_domain::{
    lang::Lang,
    report::{Bieu06, Period},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::processing::file;
use crate::{AppState, auth::Auth, problem::Problem};

/// A 400 problem for a bad query parameter (other errors keep their status): the fields and
/// their reasons as for any validation problem.
pub(crate) fn query_error(e: AppError, lang: Lang) -> Response {
    let mut p = Problem::from_app(&e, lang);
    if matches!(e, AppError::Validation(_)) {
        p.status = StatusCode::BAD_REQUEST.as_u16();
        p.title = lang
            .pick("Tham số không hợp lệ", "Invalid query")
            .to_owned();
    }
    p.into_response()
}

/// The period of a query: `from`/`to`, or the year so far.
pub(crate) fn period(
    app: &lienthong_app::App,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Period, AppError> {
    let today = app.clock.today();
    let from = from
        .filter(|s| !s.trim().is_empty())
        .map_or_else(|| format!("{}-01-01", today.year()), str::to_owned);
    let to = to
        .filter(|s| !s.trim().is_empty())
        .map_or_else(|| today.to_string(), str::to_owned);
    Period::parse(&from, &to).map_err(|e| reports::period_error(&e))
}

/// Period, grouping, scope and format of a report.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD` (default: 1 January of this year).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today).
    #[serde(default)]
    pub to: Option<String>,
    /// `agency` (default), `field` or `procedure`.
    #[serde(default)]
    pub group_by: Option<String>,
    /// Agency code: the report covers it and every agency under it (default: the province).
    #[serde(default)]
    pub agency: Option<String>,
    /// `json` (default), `csv`, `xlsx` or `pdf`.
    #[serde(default)]
    pub format: Option<String>,
}

/// Figures of one Biểu 06 row (columns 3–13) and the withdrawn dossiers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Figures {
    /// Column 3 = 4 + 5 + 6.
    pub received_total: i64,
    /// Column 4.
    pub received_online: i64,
    /// Column 5.
    pub received_direct_postal: i64,
    /// Column 6.
    pub carried_over: i64,
    /// Column 7 = 8 + 9 + 10.
    pub resolved_total: i64,
    /// Column 8.
    pub resolved_early: i64,
    /// Column 9.
    pub resolved_on_time: i64,
    /// Column 10.
    pub resolved_late: i64,
    /// Column 11 = 12 + 13.
    pub pending_total: i64,
    /// Column 12.
    pub pending_on_time: i64,
    /// Column 13.
    pub pending_overdue: i64,
    /// Withdrawn after acceptance in the period (received = resolved + pending + withdrawn).
    pub withdrawn: i64,
}

impl From<Bieu06> for Figures {
    fn from(b: Bieu06) -> Self {
        Self {
            received_total: b.received_total,
            received_online: b.received_online,
            received_direct_postal: b.received_direct_postal,
            carried_over: b.carried_over,
            resolved_total: b.resolved_total,
            resolved_early: b.resolved_early,
            resolved_on_time: b.resolved_on_time,
            resolved_late: b.resolved_late,
            pending_total: b.pending_total,
            pending_on_time: b.pending_on_time,
            pending_overdue: b.pending_overdue,
            withdrawn: b.withdrawn,
        }
    }
}

/// One row.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowOut {
    /// Agency, field or procedure code.
    pub key: String,
    /// Its name.
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// A Biểu 06 report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// `agency`, `field` or `procedure`.
    pub group_by: String,
    /// Scope agency.
    pub agency: String,
    /// Its name.
    pub agency_name: String,
    /// Rows.
    pub rows: Vec<RowOut>,
    /// Sum of the rows.
    pub totals: Figures,
}

fn report_out(r: reports::Report) -> ReportOut {
    ReportOut {
        from: r.from,
        to: r.to,
        group_by: match r.group_by {
            GroupBy::Agency => "agency",
            GroupBy::Field => "field",
            GroupBy::Procedure => "procedure",
        }
        .into(),
        agency: r.agency,
        agency_name: r.agency_name,
        rows: r
            .rows
            .into_iter()
            .map(|x| RowOut {
                key: x.key,
                name: x.name,
                figures: x.values.into(),
            })
            .collect(),
        totals: r.totals.into(),
    }
}

async fn render(state: &AppState, audience: Audience<'_>, q: &ReportQuery, lang: Lang) -> Response {
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv" | "xlsx" | "pdf") {
        return query_error(
            AppError::Validation(vec![lienthong_app::FieldError::new(
                "format",
                "Định dạng: json, csv, xlsx hoặc pdf.",
                "Format: json, csv, xlsx or pdf.",
            )]),
            lang,
        );
    }
    let result = async {
        let p = period(&state.app, q.from.as_deref(), q.to.as_deref())?;
        let g = GroupBy::parse(q.group_by.as_deref().unwrap_or(""))?;
        reports::bieu06(&state.app, audience, &p, g, q.agency.as_deref()).await
    }
    .await;
    let r = match result {
        Ok(r) => r,
        Err(e) => return query_error(e, lang),
    };
    let name = format!("bieu-06-{}-{}-{}", r.agency, r.from, r.to);
    let made = match format {
        "csv" => {
            export::csv(&r).map(|b| file("text/csv; charset=utf-8", &format!("{name}.csv"), b))
        }
        "xlsx" => export::xlsx(&r).map(|b| {
            file(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{name}.xlsx"),
                b,
            )
        }),
        "pdf" => export::pdf(&r, state.app.clock.today())
            .map(|b| file("application/pdf", &format!("{name}.pdf"), b)),
        _ => Ok(Json(report_out(r)).into_response()),
    };
    made.unwrap_or_else(|e| Problem::from_app(&e, lang).into_response())
}

/// Biểu 06/VPCP/KSTT for a period, grouped by agency, field or procedure, for an agency and
/// everything under it; officials with a role at that agency or above.
#[utoipa::path(get, path = "/api/v1/reports/tthc", tag = "reports", security(("bearer" = [])),
    params(ReportQuery),
    responses(
        (status = 200, body = ReportOut, description = "JSON, or the file when `format` is csv, xlsx or pdf"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn tthc(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ReportQuery>,
) -> Response {
    if matches!(auth.caller, Caller::Anonymous) {
        return Problem::from_app(&AppError::Unauthenticated, auth.lang).into_response();
    }
    render(&state, Audience::Official(&auth.caller), &q, auth.lang).await
}

/// The public statistics: Biểu 06 figures (aggregates only, no personal data) for anyone.
#[utoipa::path(get, path = "/api/v1/statistics", tag = "reports",
    params(ReportQuery),
    responses(
        (status = 200, body = ReportOut),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn statistics(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ReportQuery>,
) -> Response {
    render(&state, Audience::Public, &q, auth.lang).await
}

/// Period and scope of the indicators.
#[derive(Debug, Deserialize, IntoParams)]
pub struct KpiQuery {
    /// First day, `YYYY-MM-DD` (default: 1 January of this year).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today).
    #[serde(default)]
    pub to: Option<String>,
    /// Agency code (default: the province).
    #[serde(default)]
    pub agency: Option<String>,
}

/// One indicator.
#[derive(Debug, Serialize, ToSchema)]
pub struct KpiOut {
    /// Stable key.
    pub key: String,
    /// Name (Vietnamese).
    pub name: String,
    /// Name (English).
    pub name_en: String,
    /// numerator / denominator; null when the denominator is 0.
    pub value: Option<f64>,
    /// Numerator.
    pub numerator: f64,
    /// Denominator.
    pub denominator: f64,
    /// `ratio`, `days` or `rounds`.
    pub unit: String,
}

/// The indicators.
#[derive(Debug, Serialize, ToSchema)]
pub struct KpisOut {
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Scope agency.
    pub agency: String,
    /// Its name.
    pub agency_name: String,
    /// Indicators.
    pub items: Vec<KpiOut>,
    /// Average processing time per procedure (value in days).
    pub processing_time_by_procedure: Vec<KpiOut>,
}

pub(crate) fn kpis_out(k: kpis::Indicators) -> KpisOut {
    KpisOut {
        from: k.from,
        to: k.to,
        agency: k.agency,
        agency_name: k.agency_name,
        items: k
            .items
            .into_iter()
            .map(|x| KpiOut {
                key: x.key.into(),
                name: x.name.into(),
                name_en: x.name_en.into(),
                value: x.value,
                numerator: x.numerator,
                denominator: x.denominator,
                unit: x.unit.into(),
            })
            .collect(),
        processing_time_by_procedure: k
            .processing_time_by_procedure
            .into_iter()
            .map(|x| KpiOut {
                key: x.key,
                name: x.name.clone(),
                name_en: x.name,
                value: x.value,
                numerator: x.numerator,
                denominator: x.denominator,
                unit: "days".into(),
            })
            .collect(),
    }
}

/// The plans' indicators for a period, each with numerator and denominator.
#[utoipa::path(get, path = "/api/v1/kpis", tag = "reports", security(("bearer" = [])),
    params(KpiQuery),
    responses(
        (status = 200, body = KpisOut),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn indicators(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<KpiQuery>,
) -> Response {
    if matches!(auth.caller, Caller::Anonymous) {
        return Problem::from_app(&AppError::Unauthenticated, auth.lang).into_response();
    }
    let result = async {
        let p = period(&state.app, q.from.as_deref(), q.to.as_deref())?;
        kpis::indicators(
            &state.app,
            Audience::Official(&auth.caller),
            &p,
            q.agency.as_deref(),
        )
        .await
    }
    .await;
    match result {
        Ok(k) => Json(kpis_out(k)).into_response(),
        Err(e) => query_error(e, auth.lang),
    }
}

/// Which figure to list the dossiers of.
#[derive(Debug, Deserialize, IntoParams)]
pub struct BehindQuery {
    /// First day, `YYYY-MM-DD`.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[serde(default)]
    pub to: Option<String>,
    /// Agency code (with the agencies under it).
    #[serde(default)]
    pub agency: Option<String>,
    /// Procedure code (all when absent).
    #[serde(default)]
    pub procedure: Option<String>,
    /// Figure: `received_total`, `received_online`, …, `pending_overdue`, `withdrawn`.
    #[serde(default)]
    pub column: Option<String>,
}

/// One dossier behind a figure.
#[derive(Debug, Serialize, ToSchema)]
pub struct BehindOut {
    /// Dossier code.
    pub code: String,
    /// Procedure code.
    pub procedure_code: String,
    /// Receiving agency.
    pub agency_code: String,
    /// Status.
    pub status: String,
    /// Accepted.
    pub accepted_at: Option<String>,
    /// Statutory due instant.
    pub due_at: Option<String>,
    /// Resolved or closed.
    pub finished_at: Option<String>,
}

/// The dossiers behind a figure.
#[derive(Debug, Serialize, ToSchema)]
pub struct BehindList {
    /// Dossiers (at most 500).
    pub items: Vec<BehindOut>,
    /// More dossiers match than listed.
    pub truncated: bool,
}

/// The dossiers counted in one figure of Biểu 06; officials who read the agency's dossiers.
#[utoipa::path(get, path = "/api/v1/reports/tthc/dossiers", tag = "reports", security(("bearer" = [])),
    params(BehindQuery),
    responses(
        (status = 200, body = BehindList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn behind(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<BehindQuery>,
) -> Response {
    // Officials only, before the query is checked; the use case checks the agency.
    if let Err(e) =
        lienthong_app::authz::authorize(&auth.caller, lienthong_app::authz::Action::UseOffice, None)
    {
        return Problem::from_app(&e, auth.lang).into_response();
    }
    let result = async {
        let p = period(&state.app, q.from.as_deref(), q.to.as_deref())?;
        drill::dossiers_behind(
            &state.app,
            &auth.caller,
            &p,
            q.agency.as_deref().unwrap_or_default(),
            q.procedure.as_deref().filter(|s| !s.is_empty()),
            q.column.as_deref().unwrap_or_default(),
        )
        .await
    }
    .await;
    match result {
        Ok((items, truncated)) => Json(BehindList {
            items: items
                .into_iter()
                .map(|b| BehindOut {
                    code: b.code,
                    procedure_code: b.procedure_code,
                    agency_code: b.agency_code,
                    status: b.status,
                    accepted_at: b.accepted_at,
                    due_at: b.due_at,
                    finished_at: b.finished_at,
                })
                .collect(),
            truncated,
        })
        .into_response(),
        Err(e) => query_error(e, auth.lang),
    }
}

/// The label of a figure of Biểu 06 (`received_total`, …, `withdrawn`).
pub(crate) fn column_label(key: &str, lang: Lang) -> String {
    let i = lienthong_domain::report::COLUMN_KEYS
        .iter()
        .position(|k| *k == key);
    match i.and_then(|i| export::FIGURE_HEADERS.get(i)) {
        Some((group, name)) => lang.pick(&format!("{group}: {name}"), key).to_owned(),
        None if key == "withdrawn" => lang.pick("Hồ sơ rút", "Withdrawn").to_owned(),
        None => key.to_owned(),
    }
}
