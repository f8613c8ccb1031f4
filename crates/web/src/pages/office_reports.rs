//! The leaders' dashboard: Biểu 06 and the indicators for a period and an agency, charts drawn
//! on the server with their data tables, drill-down from the province to an agency, to its
//! procedures, to the dossiers behind a number; exports to Excel, CSV and PDF. The public
//! statistics page shares the view without drill-down.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{
    AppError,
    reports::{self, Audience, GroupBy, Report, drill, kpis},
};
use lienthong_domain::{
    Lang,
    report::{Bieu06, COLUMN_KEYS, Period},
};
use serde::Deserialize;

use super::{
    Layout,
    charts::{self, Series},
    error_page, render,
};
use crate::{AppState, api::reports::period, auth::Auth};

/// Filters of the dashboard.
#[derive(Debug, Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    group_by: Option<String>,
    #[serde(default)]
    agency: Option<String>,
    #[serde(default)]
    procedure: Option<String>,
    #[serde(default)]
    column: Option<String>,
}

/// A row as shown: name, optional link, the eleven figures with optional links.
pub struct Line {
    name: String,
    link: Option<String>,
    cells: Vec<(i64, Option<String>)>,
}

/// An indicator as shown.
pub struct Card {
    name: String,
    value: String,
    detail: String,
}

fn pct(v: Option<f64>, unit: &str) -> String {
    match (v, unit) {
        (None, _) => "—".into(),
        (Some(x), "ratio") => format!("{:.1} %", x * 100.0).replace('.', ","),
        (Some(x), _) => format!("{x:.2}").replace('.', ","),
    }
}

fn cards(k: &kpis::Indicators, lang: Lang, only: Option<&[&str]>) -> Vec<Card> {
    k.items
        .iter()
        .filter(|x| only.is_none_or(|o| o.contains(&x.key)))
        .map(|x| Card {
            name: lang.pick(x.name, x.name_en).to_owned(),
            value: pct(x.value, x.unit),
            detail: format!("{} / {}", fmt_num(x.numerator), fmt_num(x.denominator)),
        })
        .collect()
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}").replace('.', ",")
    }
}

fn query(p: &Period, agency: &str, extra: &str) -> String {
    format!("from={}&to={}&agency={}{extra}", p.from, p.to, agency)
}

fn lines(r: &Report, p: &Period, drill: bool) -> Vec<Line> {
    let cells = |v: &Bieu06, agency: &str, procedure: Option<&str>| {
        v.columns()
            .iter()
            .zip(COLUMN_KEYS)
            .map(|(n, key)| {
                let link = (drill && *n > 0).then(|| {
                    let proc_q = procedure
                        .map(|x| format!("&procedure={x}"))
                        .unwrap_or_default();
                    format!(
                        "/office/reports/dossiers?{}",
                        query(p, agency, &format!("{proc_q}&column={key}"))
                    )
                });
                (*n, link)
            })
            .collect()
    };
    let mut out: Vec<Line> = r
        .rows
        .iter()
        .map(|row| match r.group_by {
            GroupBy::Agency => Line {
                name: row.name.clone(),
                link: (row.key != r.agency).then(|| query(p, &row.key, "&group_by=agency")),
                cells: cells(&row.values, &row.key, None),
            },
            GroupBy::Procedure => Line {
                name: format!("{} ({})", row.name, row.key),
                link: None,
                cells: cells(&row.values, &r.agency, Some(&row.key)),
            },
            GroupBy::Field => Line {
                name: row.name.clone(),
                link: None,
                cells: cells(&row.values, &r.agency, None)
                    .into_iter()
                    .map(|(n, _)| (n, None))
                    .collect(),
            },
        })
        .collect();
    out.push(Line {
        name: "Tổng cộng".into(),
        link: None,
        cells: cells(&r.totals, &r.agency, None),
    });
    out
}

fn outcome_series(lang: Lang) -> Vec<Series> {
    vec![
        Series {
            label: lang.pick("Giải quyết trước hạn", "Resolved early").into(),
            colour: charts::EARLY,
        },
        Series {
            label: lang.pick("Đúng hạn", "On time").into(),
            colour: charts::ON_TIME,
        },
        Series {
            label: lang.pick("Quá hạn", "Late").into(),
            colour: charts::LATE,
        },
        Series {
            label: lang
                .pick("Đang giải quyết quá hạn", "Pending overdue")
                .into(),
            colour: charts::OVERDUE,
        },
    ]
}

fn outcome_chart(r: &Report, lang: Lang) -> String {
    let rows: Vec<(String, Vec<i64>)> = r
        .rows
        .iter()
        .take(40)
        .map(|x| {
            (
                x.name.clone(),
                vec![
                    x.values.resolved_early,
                    x.values.resolved_on_time,
                    x.values.resolved_late,
                    x.values.pending_overdue,
                ],
            )
        })
        .collect();
    charts::stacked_bars(
        "outcomes",
        lang.pick(
            "Kết quả giải quyết theo dòng của báo cáo",
            "Resolution by report row",
        ),
        &rows,
        &outcome_series(lang),
    )
}

/// Months of the trend: up to twelve whole months ending with the period's last month.
async fn trend(
    state: &AppState,
    audience: Audience<'_>,
    p: &Period,
    agency: Option<&str>,
) -> Result<Vec<(String, Bieu06)>, AppError> {
    let mut labels = Vec::new();
    let mut periods = Vec::new();
    let mut first = p.to.first_of_month();
    for _ in 0..12 {
        if first < p.from.first_of_month() {
            break;
        }
        let last = first.last_of_month().min(p.to);
        if let Ok(m) = Period::new(first.max(p.from), last) {
            labels.push(first.strftime("%m/%Y").to_string());
            periods.push(m);
        }
        let Ok(prev) = first.yesterday() else { break };
        first = prev.first_of_month();
    }
    let totals = reports::totals(&state.app, audience, &periods, agency).await?;
    let mut months: Vec<(String, Bieu06)> = labels.into_iter().zip(totals).collect();
    months.reverse();
    Ok(months)
}

fn trend_chart(months: &[(String, Bieu06)], lang: Lang) -> String {
    let groups: Vec<(String, Vec<i64>)> = months
        .iter()
        .map(|(m, v)| {
            (
                m.chars().take(2).collect(),
                vec![
                    v.received_online + v.received_direct_postal,
                    v.resolved_total,
                    v.resolved_late,
                ],
            )
        })
        .collect();
    charts::grouped_columns(
        "trend",
        lang.pick(
            "Hồ sơ tiếp nhận và giải quyết theo tháng",
            "Dossiers received and resolved by month",
        ),
        &groups,
        &[
            Series {
                label: lang.pick("Tiếp nhận", "Received").into(),
                colour: charts::RECEIVED,
            },
            Series {
                label: lang.pick("Đã giải quyết", "Resolved").into(),
                colour: charts::ON_TIME,
            },
            Series {
                label: lang.pick("Quá hạn", "Late").into(),
                colour: charts::LATE,
            },
        ],
    )
}

#[derive(Template)]
#[template(path = "office_reports.html")]
struct DashboardPage {
    layout: Layout,
    public: bool,
    action: String,
    from: String,
    to: String,
    group_by: String,
    agency: String,
    agency_name: String,
    up: Option<String>,
    cards: Vec<Card>,
    lines: Vec<Line>,
    outcome_svg: String,
    trend_svg: String,
    months: Vec<(String, Bieu06)>,
    export_query: String,
}

fn problem_page(auth: &Auth, path: &str, e: &AppError) -> Response {
    match e {
        AppError::Forbidden | AppError::Unauthenticated => error_page(
            auth,
            path,
            StatusCode::FORBIDDEN,
            ("Không có quyền", "Forbidden"),
            (
                "Tài khoản của bạn không xem được báo cáo của đơn vị này.",
                "Your account cannot read this agency's reports.",
            ),
        ),
        AppError::Validation(fields) => {
            let msg: Vec<String> = fields
                .iter()
                .map(|f| f.message(auth.lang).to_owned())
                .collect();
            let text = msg.join(" ");
            error_page(
                auth,
                path,
                StatusCode::BAD_REQUEST,
                ("Tham số không hợp lệ", "Invalid parameters"),
                (&text, &text),
            )
        }
        other => {
            tracing::error!(error = %other, "report failed");
            error_page(
                auth,
                path,
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                ("Vui lòng thử lại sau.", "Please try again later."),
            )
        }
    }
}

async fn dashboard(state: &AppState, auth: &Auth, f: Filters, public: bool) -> Response {
    let path = if public {
        "/statistics"
    } else {
        "/office/reports"
    };
    let lang = auth.lang;
    let audience = if public {
        Audience::Public
    } else {
        Audience::Official(&auth.caller)
    };
    let built = async {
        let tree = reports::Tree::load(&state.app).await?;
        let agency = f
            .agency
            .clone()
            .filter(|a| !a.trim().is_empty())
            .or_else(|| (!public).then(|| start_agency(auth, &tree)).flatten());
        let p = period(&state.app, f.from.as_deref(), f.to.as_deref())?;
        let g = GroupBy::parse(f.group_by.as_deref().unwrap_or(""))?;
        let r = reports::bieu06(&state.app, audience, &p, g, agency.as_deref()).await?;
        let k = kpis::indicators(&state.app, audience, &p, agency.as_deref()).await?;
        let months = trend(state, audience, &p, agency.as_deref()).await?;
        Ok::<_, AppError>((p, g, r, k, months, tree))
    }
    .await;
    let (p, g, r, k, months, tree) = match built {
        Ok(x) => x,
        Err(e) => return problem_page(auth, path, &e),
    };
    let parent = tree.lineage(&r.agency).lineage.get(1).cloned();
    let public_keys = [
        "on_time_rate",
        "online_submission_share",
        "satisfaction_rate",
        "full_online_procedures_share",
        "average_processing_days",
    ];
    let page = DashboardPage {
        layout: Layout::new(
            auth,
            path,
            if public {
                lang.pick(
                    "Thống kê giải quyết thủ tục hành chính",
                    "Administrative procedure statistics",
                )
            } else {
                lang.pick("Báo cáo, chỉ số", "Reports and indicators")
            },
        ),
        public,
        action: path.into(),
        from: p.from.to_string(),
        to: p.to.to_string(),
        group_by: match g {
            GroupBy::Agency => "agency",
            GroupBy::Field => "field",
            GroupBy::Procedure => "procedure",
        }
        .into(),
        agency: r.agency.clone(),
        agency_name: r.agency_name.clone(),
        up: parent.map(|a| query(&p, &a, "&group_by=agency")),
        cards: cards(&k, lang, public.then_some(&public_keys[..])),
        lines: lines(&r, &p, !public),
        outcome_svg: outcome_chart(&r, lang),
        trend_svg: trend_chart(&months, lang),
        months,
        export_query: format!(
            "{}&group_by={}",
            query(&p, &r.agency, ""),
            f.group_by.as_deref().unwrap_or("agency")
        ),
    };
    render(StatusCode::OK, &page)
}

/// Where an official's dashboard starts: the province when they hold a role at its top
/// agency, else the highest agency they hold a role at.
fn start_agency(auth: &Auth, tree: &reports::Tree) -> Option<String> {
    let p = auth.caller.principal()?;
    if p.roles.iter().any(|g| tree.roots.contains(&g.agency_code)) {
        return None;
    }
    p.roles
        .iter()
        .map(|g| g.agency_code.clone())
        .min_by_key(|c| (tree.lineage(c).lineage.len(), c.clone()))
}

/// `GET /office/reports`.
pub async fn show(State(state): State<AppState>, auth: Auth, Query(f): Query<Filters>) -> Response {
    if auth.caller.principal().is_none() {
        return Redirect::to("/login?next=/office/reports").into_response();
    }
    dashboard(&state, &auth, f, false).await
}

/// `GET /statistics`: the public statistics.
pub async fn public(
    State(state): State<AppState>,
    auth: Auth,
    Query(f): Query<Filters>,
) -> Response {
    dashboard(&state, &auth, f, true).await
}

#[derive(Template)]
#[template(path = "office_report_dossiers.html")]
struct BehindPage {
    layout: Layout,
    heading: String,
    back: String,
    items: Vec<drill::Behind>,
    truncated: bool,
}

/// `GET /office/reports/dossiers`: the dossiers behind a figure.
pub async fn behind(
    State(state): State<AppState>,
    auth: Auth,
    Query(f): Query<Filters>,
) -> Response {
    let path = "/office/reports/dossiers";
    if auth.caller.principal().is_none() {
        return Redirect::to("/login?next=/office/reports").into_response();
    }
    // Officials only, before the query is checked; the use case checks the agency.
    if let Err(e) =
        lienthong_app::authz::authorize(&auth.caller, lienthong_app::authz::Action::UseOffice, None)
    {
        return super::app_error_page(&auth, path, &e);
    }
    let agency = f.agency.clone().unwrap_or_default();
    let column = f.column.clone().unwrap_or_default();
    let found = async {
        let p = period(&state.app, f.from.as_deref(), f.to.as_deref())?;
        let r = drill::dossiers_behind(
            &state.app,
            &auth.caller,
            &p,
            &agency,
            f.procedure.as_deref().filter(|s| !s.is_empty()),
            &column,
        )
        .await?;
        Ok::<_, AppError>((p, r))
    }
    .await;
    match found {
        Ok((p, (items, truncated))) => {
            let label = crate::api::reports::column_label(&column, auth.lang);
            render(
                StatusCode::OK,
                &BehindPage {
                    layout: Layout::new(
                        &auth,
                        path,
                        auth.lang
                            .pick("Hồ sơ theo số liệu", "Dossiers behind a figure"),
                    ),
                    heading: format!("{label} — {agency} ({} – {})", p.from, p.to),
                    back: format!(
                        "/office/reports?{}",
                        query(&p, &agency, "&group_by=procedure")
                    ),
                    items,
                    truncated,
                },
            )
        }
        Err(e) => problem_page(&auth, path, &e),
    }
}

#[derive(Template)]
#[template(path = "open_data.html")]
struct OpenDataPage {
    layout: Layout,
    licence: &'static str,
    licence_name: &'static str,
    years: Vec<i16>,
}

/// `GET /open-data`: the datasets, their formats and licence.
pub async fn open_data(State(state): State<AppState>, auth: Auth) -> Response {
    let year = state.app.clock.today().year();
    render(
        StatusCode::OK,
        &OpenDataPage {
            layout: Layout::new(
                &auth,
                "/open-data",
                auth.lang.pick("Dữ liệu mở", "Open data"),
            ),
            licence: crate::api::open_data::LICENCE,
            licence_name: crate::api::open_data::LICENCE_NAME,
            years: (year - 4..=year).rev().collect(),
        },
    )
}
