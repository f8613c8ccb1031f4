//! `POST /api/v1/accounts`: an agency administrator creates an account.

use axum::{Json, extract::State, http::StatusCode};
use lienthong_app::{
    AppError,
    accounts::{self, NewAccount},
};
use lienthong_domain::role::{AccountKind, Role};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{auth::MeResponse, json::ApiJson};
use crate::{
    AppState,
    auth::Auth,
    problem::{ApiError, Problem},
};

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountRequest {
    /// Login name (3–64 characters: unaccented letters, digits, `. _ - @`).
    pub username: String,
    /// `citizen`, `organisation` or `official`.
    pub kind: String,
    /// Full name or organisation name.
    pub full_name: String,
    /// Initial password (10–256 characters).
    pub password: String,
    /// 12-digit CCCD (citizens).
    pub cccd: Option<String>,
    /// Tax code (organisations).
    pub tax_code: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Agency code (officials).
    pub agency_code: Option<String>,
    /// Roles at that agency.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Creates an account. Officials are created by an administrator of their agency (or of an
/// agency above it).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "auth", security(("bearer" = [])),
    request_body = NewAccountRequest,
    responses(
        (status = 201, body = MeResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewAccountRequest>,
) -> Result<(StatusCode, Json<MeResponse>), ApiError> {
    let lang = auth.lang;
    if auth.caller.principal().is_none() {
        return Err(ApiError(AppError::Unauthenticated, lang));
    }
    let mut field_errors = Vec::new();
    let kind = AccountKind::parse(&body.kind);
    if kind.is_none() {
        field_errors.push(lienthong_app::FieldError::new(
            "kind",
            "Loại tài khoản phải là citizen, organisation hoặc official.",
            "kind must be citizen, organisation or official.",
        ));
    }
    let mut roles = Vec::new();
    for r in &body.roles {
        match r.parse::<Role>() {
            Ok(role) => roles.push(role),
            Err(e) => field_errors.push(lienthong_app::FieldError::from_domain("roles", &e)),
        }
    }
    let input = NewAccount {
        username: body.username,
        kind,
        full_name: body.full_name,
        password: body.password,
        cccd: body.cccd,
        tax_code: body.tax_code,
        email: body.email,
        phone: body.phone,
        agency_code: body.agency_code,
        roles,
    };
    if !field_errors.is_empty() {
        // Report every problem at once, not only the ones found before the use case.
        if let Err(AppError::Validation(more)) = accounts::check_new_account(&state.app, &input) {
            field_errors.extend(more);
        }
        return Err(ApiError(AppError::Validation(field_errors), lang));
    }
    let v = accounts::create(&state.app, Some(&auth.caller), &auth.audit(), &input)
        .await
        .map_err(|e| ApiError(e, lang))?;
    Ok((StatusCode::CREATED, Json(super::auth::me_response(v))))
}
