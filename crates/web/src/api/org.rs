//! `GET /api/v1/admin-units`, `GET /api/v1/agencies`, `GET /api/v1/agencies/{code}`.

use axum::{
    Json,
    extract::{Path, Query, State},
};
use jiff::civil::Date;
use lienthong_app::{AppError, authz, org};
use lienthong_domain::{Lang, org::UnitLevel};
use lienthong_store::org::{AdminUnit, Agency};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{AppState, auth::Auth, problem::ApiError};

fn bad_query(field: &str, vi: &str, en: &str, lang: Lang) -> ApiError {
    ApiError(
        AppError::Validation(vec![lienthong_app::FieldError::new(field, vi, en)]),
        lang,
    )
}

fn parse_date(s: Option<&str>, lang: Lang) -> Result<Option<Date>, ApiError> {
    s.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Date>().map_err(|_| {
                bad_query(
                    "at",
                    "Ngày cần có dạng YYYY-MM-DD.",
                    "A date must look like YYYY-MM-DD.",
                    lang,
                )
            })
        })
        .transpose()
}

/// Filters of the administrative-unit list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UnitQuery {
    /// `province`, `district` or `commune`.
    pub level: Option<String>,
    /// Code of the parent unit.
    pub parent: Option<String>,
    /// Day on which the units were valid (`YYYY-MM-DD`, today by default).
    pub at: Option<String>,
}

/// One administrative-unit version.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitOut {
    /// GSO code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// `province`, `district` or `commune`.
    pub level: String,
    /// Type as officially written (Phường, Xã, Tỉnh…).
    pub kind: String,
    /// Parent unit code.
    pub parent_code: Option<String>,
    /// First valid day (null: before records began).
    pub valid_from: Option<String>,
    /// First day no longer valid (null: still valid).
    pub valid_to: Option<String>,
}

impl From<AdminUnit> for UnitOut {
    fn from(u: AdminUnit) -> Self {
        UnitOut {
            code: u.code,
            name: u.name,
            level: u.level.as_str().to_owned(),
            kind: u.kind,
            parent_code: u.parent_code,
            valid_from: u.valid_from.map(|d| d.to_string()),
            valid_to: u.valid_to.map(|d| d.to_string()),
        }
    }
}

/// A list of units.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitList {
    /// The units, ordered by level and code.
    pub items: Vec<UnitOut>,
}

/// Administrative units valid on a day.
#[utoipa::path(get, path = "/api/v1/admin-units", tag = "organisation", params(UnitQuery),
    responses(
        (status = 200, body = UnitList),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn admin_units(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<UnitQuery>,
) -> Result<Json<UnitList>, ApiError> {
    authz::authorize(&auth.caller, authz::Action::ReadPublic, None)
        .map_err(|e| ApiError(e, auth.lang))?;
    let level = match q.level.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => Some(UnitLevel::parse(l).ok_or_else(|| {
            bad_query(
                "level",
                "Cấp phải là province, district hoặc commune.",
                "level must be province, district or commune.",
                auth.lang,
            )
        })?),
    };
    let at = parse_date(q.at.as_deref(), auth.lang)?;
    let units = org::admin_units(
        &state.app,
        level,
        q.parent.as_deref().filter(|p| !p.is_empty()),
        at,
    )
    .await
    .map_err(|e| ApiError(e, auth.lang))?;
    Ok(Json(UnitList {
        items: units.into_iter().map(UnitOut::from).collect(),
    }))
}

/// Filters of the agency list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AgencyQuery {
    /// Code of the parent agency.
    pub parent: Option<String>,
    /// Words of the name or code, with or without diacritics.
    pub q: Option<String>,
    /// Day on which the agencies were valid (`YYYY-MM-DD`, today by default).
    pub at: Option<String>,
}

/// One agency version.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyOut {
    /// National agency code.
    pub code: String,
    /// Name of this version.
    pub name: String,
    /// Abbreviation.
    pub short_name: String,
    /// `central`, `province`, `district` or `commune`.
    pub level: String,
    /// `people_committee`, `department`, `service_centre` or `other`.
    pub kind: String,
    /// Parent agency code.
    pub parent_code: Option<String>,
    /// Administrative unit served.
    pub admin_unit_code: Option<String>,
    /// First valid day.
    pub valid_from: Option<String>,
    /// First day no longer valid.
    pub valid_to: Option<String>,
}

impl From<Agency> for AgencyOut {
    fn from(a: Agency) -> Self {
        AgencyOut {
            code: a.code,
            name: a.name,
            short_name: a.short_name,
            level: a.level.as_str().to_owned(),
            kind: a.kind,
            parent_code: a.parent_code,
            admin_unit_code: a.admin_unit_code,
            valid_from: a.valid_from.map(|d| d.to_string()),
            valid_to: a.valid_to.map(|d| d.to_string()),
        }
    }
}

/// A list of agencies.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyList {
    /// The agencies, ordered by code.
    pub items: Vec<AgencyOut>,
}

/// Agencies valid on a day.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "organisation", params(AgencyQuery),
    responses(
        (status = 200, body = AgencyList),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn agencies(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<AgencyQuery>,
) -> Result<Json<AgencyList>, ApiError> {
    authz::authorize(&auth.caller, authz::Action::ReadPublic, None)
        .map_err(|e| ApiError(e, auth.lang))?;
    let at = parse_date(q.at.as_deref(), auth.lang)?;
    let list = org::agencies(
        &state.app,
        q.parent.as_deref().filter(|p| !p.is_empty()),
        q.q.as_deref(),
        at,
    )
    .await
    .map_err(|e| ApiError(e, auth.lang))?;
    Ok(Json(AgencyList {
        items: list.into_iter().map(AgencyOut::from).collect(),
    }))
}

/// An agency with every version and how each was succeeded.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyHistory {
    /// Versions, oldest first.
    pub versions: Vec<AgencyVersionOut>,
}

/// One version with its successors.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyVersionOut {
    /// The version.
    #[serde(flatten)]
    pub agency: AgencyOut,
    /// Versions that continued this one (`rename`, `full`, `partial`).
    pub succeeded_by: Vec<SuccessorOut>,
}

/// A successor version.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuccessorOut {
    /// Successor agency code.
    pub code: String,
    /// Successor name.
    pub name: String,
    /// `rename`, `full` or `partial`.
    pub kind: String,
    /// First day of the successor.
    pub effective_on: Option<String>,
}

/// Every version of one agency, with its successions.
#[utoipa::path(get, path = "/api/v1/agencies/{code}", tag = "organisation",
    params(("code" = String, Path, description = "National agency code")),
    responses(
        (status = 200, body = AgencyHistory),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn agency(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<Json<AgencyHistory>, ApiError> {
    authz::authorize(&auth.caller, authz::Action::ReadPublic, None)
        .map_err(|e| ApiError(e, auth.lang))?;
    let history = org::agency_history(&state.app, &code)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    if history.is_empty() {
        return Err(ApiError(AppError::NotFound(code), auth.lang));
    }
    Ok(Json(AgencyHistory {
        versions: history
            .into_iter()
            .map(|(a, successors)| AgencyVersionOut {
                agency: a.into(),
                succeeded_by: successors
                    .into_iter()
                    .map(|(s, kind)| SuccessorOut {
                        code: s.code,
                        name: s.name,
                        kind: kind.as_str().to_owned(),
                        effective_on: s.valid_from.map(|d| d.to_string()),
                    })
                    .collect(),
            })
            .collect(),
    }))
}
