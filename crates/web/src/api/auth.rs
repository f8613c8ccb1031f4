//! `POST /api/v1/auth/token` and `GET /api/v1/me`.

use axum::{Json, extract::State};
use lienthong_app::{AppError, accounts};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::{
    AppState,
    auth::Auth,
    locale::Locale,
    problem::{ApiError, Problem},
    ratelimit::ClientIp,
};

/// Credentials exchanged for a bearer token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Login name (case-insensitive).
    pub username: String,
    /// Password.
    pub password: String,
}

/// An issued bearer token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The token, to be sent as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// Exchanges a username and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn token(
    State(state): State<AppState>,
    Locale(lang): Locale,
    ClientIp(ip): ClientIp,
    auth: Auth,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    state
        .login_limiter
        .check(&ip, std::time::Instant::now())
        .map_err(|secs| {
            ApiError(
                AppError::RateLimited {
                    retry_after_secs: i64::try_from(secs).unwrap_or(60),
                },
                lang,
            )
        })?;
    let ctx = auth.audit();
    let principal = accounts::authenticate(&state.app, &ctx, &body.username, &body.password)
        .await
        .map_err(|e| ApiError(e, lang))?;
    let mut ctx = ctx;
    ctx.actor.clone_from(&principal.account_id);
    let issued = accounts::issue_token(&state.app, &ctx, &principal)
        .await
        .map_err(|e| ApiError(e, lang))?;
    Ok(Json(TokenResponse {
        access_token: issued.access_token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
    }))
}

/// A role held within an agency.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleOut {
    /// `reception`, `specialist`, `leader`, `clerk`, `admin` or `auditor`.
    pub role: String,
    /// Agency code.
    pub agency_code: String,
}

/// The caller's own account.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    /// Account id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// `citizen`, `organisation` or `official`.
    pub kind: String,
    /// Name.
    pub full_name: String,
    /// Home agency of an official.
    pub agency_code: Option<String>,
    /// Roles.
    pub roles: Vec<RoleOut>,
}

/// The account of the caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, body = MeResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn me(State(state): State<AppState>, auth: Auth) -> Result<Json<MeResponse>, ApiError> {
    let v = accounts::me(&state.app, &auth.caller)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok(Json(me_response(v)))
}

/// The API view of an account.
pub fn me_response(v: accounts::AccountView) -> MeResponse {
    MeResponse {
        id: v.id,
        username: v.username,
        kind: v.kind.as_str().to_owned(),
        full_name: v.full_name,
        agency_code: v.agency_code,
        roles: v
            .roles
            .into_iter()
            .map(|r| RoleOut {
                role: r.role.as_str().to_owned(),
                agency_code: r.agency_code,
            })
            .collect(),
    }
}
