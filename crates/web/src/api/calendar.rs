//! `GET /api/v1/calendar/due` and `GET /api/v1/calendar/holidays`.

use axum::{
    Json,
    extract::{Query, State},
};
use lienthong_app::{AppError, FieldError, calendar};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{AppState, api::dossiers::rfc3339, auth::Auth, problem::ApiError};

/// Due-date query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DueQuery {
    /// Receipt instant, RFC 3339 with offset.
    pub from: String,
    /// Working days (halves allowed, e.g. 0.5).
    pub working_days: String,
}

/// A skipped day.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedOut {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Why it is not a working day.
    pub reason: String,
}

/// A due date.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueOut {
    /// RFC 3339, Vietnam time.
    pub due: String,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    /// Days off passed over.
    pub skipped: Vec<SkippedOut>,
}

fn bad(field: &str, vi: &str, en: &str, auth: &Auth) -> ApiError {
    ApiError(
        AppError::Validation(vec![FieldError::new(field, vi, en)]),
        auth.lang,
    )
}

/// The due instant of N working days counted from a receipt.
#[utoipa::path(get, path = "/api/v1/calendar/due", tag = "calendar", params(DueQuery),
    responses(
        (status = 200, body = DueOut),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn due(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DueQuery>,
) -> Result<Json<DueOut>, ApiError> {
    let from: jiff::Timestamp = q.from.parse().map_err(|_| {
        bad(
            "from",
            "Thời điểm cần dạng RFC 3339, ví dụ 2026-11-23T09:00:00+07:00.",
            "from must be RFC 3339, e.g. 2026-11-23T09:00:00+07:00.",
            &auth,
        )
    })?;
    let days: f64 = q.working_days.replace(',', ".").parse().map_err(|_| {
        bad(
            "working_days",
            "Số ngày làm việc là một số, ví dụ 3 hoặc 0.5.",
            "working_days is a number, e.g. 3 or 0.5.",
            &auth,
        )
    })?;
    let d = calendar::due(&state.app, from, days)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok(Json(DueOut {
        due: rfc3339(d.due.as_microsecond()),
        due_date: d.due_date.to_string(),
        skipped: d
            .skipped
            .into_iter()
            .map(|(date, reason)| SkippedOut {
                date: date.to_string(),
                reason,
            })
            .collect(),
    }))
}

/// Holidays query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct HolidayQuery {
    /// Year, e.g. 2026.
    pub year: String,
}

/// A day off.
#[derive(Debug, Serialize, ToSchema)]
pub struct HolidayOut {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Name.
    pub name: String,
    /// `statutory`, `compensatory` or `province`.
    pub kind: String,
}

/// Days off of a year.
#[derive(Debug, Serialize, ToSchema)]
pub struct HolidayList {
    /// In date order.
    pub items: Vec<HolidayOut>,
}

/// The days off of a year: statutory holidays, compensatory days and province decisions.
#[utoipa::path(get, path = "/api/v1/calendar/holidays", tag = "calendar", params(HolidayQuery),
    responses(
        (status = 200, body = HolidayList),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn holidays(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<HolidayQuery>,
) -> Result<Json<HolidayList>, ApiError> {
    let year: i16 = q.year.trim().parse().map_err(|_| {
        bad(
            "year",
            "Năm là số có 4 chữ số, ví dụ 2026.",
            "year is a 4-digit number, e.g. 2026.",
            &auth,
        )
    })?;
    let list = calendar::holidays(&state.app, year)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok(Json(HolidayList {
        items: list
            .into_iter()
            .map(|h| HolidayOut {
                date: h.date.to_string(),
                name: h.name,
                kind: serde_json::to_value(h.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            })
            .collect(),
    }))
}
