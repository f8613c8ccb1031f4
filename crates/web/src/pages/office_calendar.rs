//! The province's working calendar: days off of a year and the form that records the Prime
//! Minister's or the province's decisions (extra days off, make-up working days).

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{
    AppError,
    authz::{Action, authorize},
    calendar,
};
use lienthong_domain::{
    Lang,
    calendar::{HolidayKind, Override},
};
use serde::Deserialize;

use super::{Layout, error_page, posted::Posted, render};
use crate::{AppState, auth::Auth};

#[derive(Template)]
#[template(path = "office_calendar.html")]
struct CalendarPage {
    layout: Layout,
    year: i16,
    holidays: Vec<(String, String, String)>,
    saved: Option<String>,
    error: Option<String>,
}

/// Query of the calendar page.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<i16>,
}

fn kind_label(k: HolidayKind, lang: Lang) -> &'static str {
    match k {
        HolidayKind::Statutory => lang.pick("Nghỉ lễ, Tết", "Public holiday"),
        HolidayKind::Compensatory => lang.pick("Nghỉ bù", "Compensatory"),
        HolidayKind::Province => lang.pick("Quyết định của tỉnh", "Province decision"),
    }
}

fn guard(auth: &Auth) -> Option<Response> {
    if auth.caller.principal().is_none() {
        return Some(Redirect::to("/login?next=/office/calendar").into_response());
    }
    authorize(&auth.caller, Action::ManageOrganisation, None)
        .err()
        .map(|_| {
            error_page(
                auth,
                "/office/calendar",
                StatusCode::FORBIDDEN,
                ("Không có quyền", "Forbidden"),
                (
                    "Chỉ quản trị viên sửa được lịch làm việc.",
                    "Only administrators edit the working calendar.",
                ),
            )
        })
}

async fn page(
    state: &AppState,
    auth: &Auth,
    year: i16,
    saved: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = auth.lang;
    let holidays = calendar::holidays(&state.app, year)
        .await
        .unwrap_or_default();
    let view = CalendarPage {
        layout: Layout::new(
            auth,
            "/office/calendar",
            lang.pick("Lịch làm việc", "Working calendar"),
        ),
        year,
        holidays: holidays
            .into_iter()
            .map(|h| {
                (
                    h.date.strftime("%d/%m/%Y").to_string(),
                    h.name,
                    kind_label(h.kind, lang).to_owned(),
                )
            })
            .collect(),
        saved,
        error,
    };
    render(status, &view)
}

/// `GET /office/calendar?year=`.
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<YearQuery>,
) -> Response {
    if let Some(r) = guard(&auth) {
        return r;
    }
    let year = q
        .year
        .filter(|y| (1900..=2199).contains(y))
        .unwrap_or_else(|| state.app.clock.today().year());
    page(&state, &auth, year, None, None, StatusCode::OK).await
}

/// `POST /office/calendar`: records one day.
pub async fn save(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = guard(&auth) {
        return r;
    }
    let form = Posted::parse(&body);
    if !form.csrf_ok(&auth, &headers) {
        return error_page(
            &auth,
            "/office/calendar",
            StatusCode::FORBIDDEN,
            ("Yêu cầu không hợp lệ", "Invalid request"),
            ("Hãy mở lại trang.", "Reopen the page."),
        );
    }
    if let Some(r) = super::province_guard(
        &state,
        &auth,
        lienthong_app::authz::Action::ManageOrganisation,
        "/office/calendar",
    )
    .await
    {
        return r;
    }
    let lang = auth.lang;
    let this_year = state.app.clock.today().year();
    let Ok(date) = form.get("day").parse::<jiff::civil::Date>() else {
        return page(
            &state,
            &auth,
            this_year,
            None,
            Some(lang.pick("Hãy chọn ngày.", "Choose a date.").into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let name = lienthong_domain::text::nfc(&form.get("name"));
    if name.is_empty() || name.chars().count() > 200 {
        return page(
            &state,
            &auth,
            date.year(),
            None,
            Some(
                lang.pick(
                    "Hãy ghi căn cứ hoặc lý do (tối đa 200 ký tự).",
                    "Give the reason (at most 200 characters).",
                )
                .into(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let o = Override {
        date,
        day_off: form.get("kind") != "work",
        name,
    };
    match calendar::set_override(&state.app, &auth.caller, &auth.audit(), &o).await {
        Ok(()) => {
            page(
                &state,
                &auth,
                date.year(),
                Some(lang.pick("Đã lưu.", "Saved.").into()),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::Forbidden) => error_page(
            &auth,
            "/office/calendar",
            StatusCode::FORBIDDEN,
            ("Không có quyền", "Forbidden"),
            (
                "Chỉ quản trị viên sửa được lịch làm việc.",
                "Only administrators edit the working calendar.",
            ),
        ),
        Err(e) => {
            tracing::error!(error = %e, "calendar save failed");
            error_page(
                &auth,
                "/office/calendar",
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                ("Vui lòng thử lại sau.", "Please try again later."),
            )
        }
    }
}
