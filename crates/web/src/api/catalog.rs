//! `GET /api/v1/procedures` and `GET /api/v1/procedures/{code}`.

use axum::{
    Json,
    extract::{Path, Query, State},
};
use lienthong_app::{AppError, FieldError, authz, catalog};
use lienthong_domain::catalog::ProcedureLevel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{AppState, auth::Auth, problem::ApiError};

/// Search filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Words of the name, code or field, with or without diacritics (NFC or NFD).
    pub q: Option<String>,
    /// Field code.
    pub field: Option<String>,
    /// Agency code.
    pub agency: Option<String>,
    /// `province` or `commune`.
    pub level: Option<String>,
    /// Page size (1–100, default 20).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A field (lĩnh vực).
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldOut {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// A procedure in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureItem {
    /// National code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Field.
    pub field: FieldOut,
    /// Receiving agencies.
    pub agency_codes: Vec<String>,
    /// `province` or `commune`.
    pub level: String,
    /// Processing time in working days.
    pub processing_days: f64,
    /// 1–4.
    pub online_level: u8,
    /// `full`, `partial` or `none`.
    pub online_mode: String,
}

/// A page of procedures.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureList {
    /// Results, best first when `q` is given.
    pub items: Vec<ProcedureItem>,
    /// Cursor of the next page, if any.
    pub next_cursor: Option<String>,
    /// Number of matches.
    pub total: usize,
}

fn bad(field: &str, vi: &str, en: &str, auth: &Auth) -> ApiError {
    ApiError(
        AppError::Validation(vec![FieldError::new(field, vi, en)]),
        auth.lang,
    )
}

/// Parses the level filter.
pub fn parse_level(s: Option<&str>) -> Result<Option<ProcedureLevel>, ()> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some("province") => Ok(Some(ProcedureLevel::Province)),
        Some("commune") => Ok(Some(ProcedureLevel::Commune)),
        Some("central") => Ok(Some(ProcedureLevel::Central)),
        Some(_) => Err(()),
    }
}

/// Searches the catalog.
#[utoipa::path(get, path = "/api/v1/procedures", tag = "catalog", params(SearchParams),
    responses(
        (status = 200, body = ProcedureList),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn search(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<SearchParams>,
) -> Result<Json<ProcedureList>, ApiError> {
    authz::authorize(&auth.caller, authz::Action::ReadPublic, None)
        .map_err(|e| ApiError(e, auth.lang))?;
    let limit = match p.limit.as_deref().filter(|s| !s.is_empty()) {
        None => 20,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                bad(
                    "limit",
                    "limit phải từ 1 đến 100.",
                    "limit must be 1 to 100.",
                    &auth,
                )
            })?,
    };
    let offset = match p.cursor.as_deref().filter(|s| !s.is_empty()) {
        None => 0,
        Some(s) => s
            .parse::<usize>()
            .map_err(|_| bad("cursor", "cursor không hợp lệ.", "Invalid cursor.", &auth))?,
    };
    let level = parse_level(p.level.as_deref()).map_err(|()| {
        bad(
            "level",
            "Cấp phải là province hoặc commune.",
            "level must be province or commune.",
            &auth,
        )
    })?;
    let q =
        p.q.as_deref()
            .map(|q| q.chars().take(200).collect::<String>());
    let query = catalog::search::Query {
        q,
        field: p.field.filter(|s| !s.is_empty()),
        agency: p.agency.filter(|s| !s.is_empty()),
        level,
    };
    let (hits, total) = state.app.search.search(&query, offset, limit);
    let next = offset + hits.len();
    Ok(Json(ProcedureList {
        items: hits.into_iter().map(item).collect(),
        next_cursor: (next < total).then(|| next.to_string()),
        total,
    }))
}

fn item(s: catalog::search::Summary) -> ProcedureItem {
    ProcedureItem {
        code: s.code,
        name: s.name,
        field: FieldOut {
            code: s.field_code,
            name: s.field_name,
        },
        agency_codes: s.agency_codes,
        level: s.level.as_str().to_owned(),
        processing_days: s.processing_days,
        online_level: s.online_level,
        online_mode: s.online_mode.as_str().to_owned(),
    }
}

/// A procedure with everything a citizen needs before applying.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureDetail {
    /// National code.
    pub code: String,
    /// Version in force.
    pub version: i64,
    /// Name.
    pub name: String,
    /// Field.
    pub field: FieldOut,
    /// `province` or `commune`.
    pub level: String,
    /// Receiving agencies.
    pub agency_codes: Vec<String>,
    /// Processing time in working days.
    pub processing_days: f64,
    /// `{"working_days": n}` or `{"working_hours": n}`.
    #[schema(value_type = Object)]
    pub processing_time: serde_json::Value,
    /// Documents to submit.
    #[schema(value_type = Vec<Object>)]
    pub required_documents: serde_json::Value,
    /// Fees in đồng.
    #[schema(value_type = Vec<Object>)]
    pub fees: serde_json::Value,
    /// Result issued.
    #[schema(value_type = Object)]
    pub result: serde_json::Value,
    /// Legal texts.
    pub legal_basis: Vec<String>,
    /// 1–4.
    pub online_level: u8,
    /// `full`, `partial` or `none`.
    pub online_mode: String,
    /// Who may apply.
    pub applicants: Option<String>,
    /// The e-form: `{"fields":[...],"documents":[...]}`.
    #[schema(value_type = Object)]
    pub form: serde_json::Value,
    /// First day of this version.
    pub valid_from: String,
}

/// One procedure, as in force today.
#[utoipa::path(get, path = "/api/v1/procedures/{code}", tag = "catalog",
    params(("code" = String, Path, description = "National procedure code, e.g. 1.001193")),
    responses(
        (status = 200, body = ProcedureDetail),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<Json<ProcedureDetail>, ApiError> {
    authz::authorize(&auth.caller, authz::Action::ReadPublic, None)
        .map_err(|e| ApiError(e, auth.lang))?;
    let published = catalog::procedure(&state.app, &code, None)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    let p = published.procedure;
    let v = |x: serde_json::Result<serde_json::Value>| x.unwrap_or(serde_json::Value::Null);
    Ok(Json(ProcedureDetail {
        code: p.code,
        version: published.version,
        name: p.name,
        field: FieldOut {
            code: p.field.code,
            name: p.field.name,
        },
        level: p.level.as_str().to_owned(),
        agency_codes: p.agency_codes,
        processing_days: p.processing_time.as_days(),
        processing_time: v(serde_json::to_value(p.processing_time)),
        required_documents: v(serde_json::to_value(&p.required_documents)),
        fees: v(serde_json::to_value(&p.fees)),
        result: v(serde_json::to_value(&p.result)),
        legal_basis: p.legal_basis,
        online_level: p.online_level,
        online_mode: p.online_mode.as_str().to_owned(),
        applicants: p.applicants,
        form: v(serde_json::to_value(&p.form)),
        valid_from: p.valid_from.to_string(),
    }))
}
