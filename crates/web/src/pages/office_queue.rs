//! The office work queue: the dossiers waiting for me or held by my unit, most urgent first,
//! with overdue, at-risk and stale dossiers marked; searchable; leaders also see the dossiers
//! idle for too long.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{
    AppError,
    processing::queue::{self, QueueItem, QueueScope},
};
use lienthong_domain::{Lang, role::Role};
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::{AppState, auth::Auth};

/// Query of the queue page.
#[derive(Debug, Deserialize)]
pub struct QueueParams {
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    page: Option<i64>,
}

/// One row as shown.
pub struct Row {
    code: String,
    procedure: String,
    applicant: String,
    status: String,
    due: String,
    flags: Vec<String>,
}

fn rows(items: Vec<QueueItem>, lang: Lang) -> Vec<Row> {
    items
        .into_iter()
        .map(|i| {
            let mut flags = Vec::new();
            if i.overdue {
                flags.push(lang.pick("Quá hạn", "Overdue").to_owned());
            }
            if i.at_risk {
                flags.push(lang.pick("Sắp đến hạn", "Due soon").to_owned());
            }
            if i.stale {
                flags.push(lang.pick("Chậm luân chuyển", "Idle").to_owned());
            }
            Row {
                code: i.row.code,
                procedure: i.procedure_name,
                applicant: i.row.applicant_name,
                status: lang
                    .pick(i.status.label_vi(), i.status.label_en())
                    .to_owned(),
                due: i
                    .row
                    .due_date
                    .map(|d| lienthong_app::processing::vn_date(&d))
                    .unwrap_or_else(|| "—".into()),
                flags,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "office_queue.html")]
struct QueuePage {
    layout: Layout,
    unit: bool,
    q: String,
    page: i64,
    rows: Vec<Row>,
    stale: Vec<Row>,
    is_leader: bool,
    agencies: Vec<String>,
    today: String,
}

/// `GET /office/dossiers`.
pub async fn queue_page(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<QueueParams>,
) -> Response {
    let Some(principal) = auth.caller.principal() else {
        return Redirect::to("/login?next=/office/dossiers").into_response();
    };
    let lang = auth.lang;
    let unit = p.scope.as_deref() == Some("unit");
    let scope = if unit {
        QueueScope::Unit
    } else {
        QueueScope::Mine
    };
    let page = p.page.unwrap_or(0).clamp(0, 10_000);
    let is_leader = principal.roles.iter().any(|g| g.role == Role::Leader);
    let mut agencies: Vec<String> = principal
        .roles
        .iter()
        .map(|g| g.agency_code.clone())
        .collect();
    agencies.sort_unstable();
    agencies.dedup();
    let listed = queue::queue(&state.app, &auth.caller, scope, p.q.as_deref(), page).await;
    let stale = if is_leader {
        queue::stale(&state.app, &auth.caller).await
    } else {
        Ok(Vec::new())
    };
    match (listed, stale) {
        (Ok(list), Ok(stale)) => render(
            StatusCode::OK,
            &QueuePage {
                layout: Layout::new(
                    &auth,
                    "/office/dossiers",
                    lang.pick("Hồ sơ cần xử lý", "Work queue"),
                ),
                unit,
                q: p.q.unwrap_or_default(),
                page,
                rows: rows(list, lang),
                stale: rows(stale, lang),
                is_leader,
                agencies,
                today: state.app.clock.today().to_string(),
            },
        ),
        (Err(AppError::Forbidden | AppError::Unauthenticated), _)
        | (_, Err(AppError::Forbidden | AppError::Unauthenticated)) => error_page(
            &auth,
            "/office/dossiers",
            StatusCode::FORBIDDEN,
            ("Không có quyền", "Forbidden"),
            (
                "Tài khoản của bạn không xem được hồ sơ.",
                "Your account cannot read dossiers.",
            ),
        ),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "queue failed");
            error_page(
                &auth,
                "/office/dossiers",
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                ("Vui lòng thử lại sau.", "Please try again later."),
            )
        }
    }
}
