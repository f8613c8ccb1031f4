//! Who is calling: a bearer token, a session cookie, or nobody.

use axum::{
    extract::FromRequestParts,
    http::{Method, request::Parts},
};
use lienthong_app::{AppError, accounts, audit::AuditCtx, authz::Caller};
use lienthong_domain::Lang;

use crate::{AppState, csrf, locale, problem::ApiError};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "lt_session";

/// The caller of a request with what handlers need to act on its behalf.
#[derive(Debug, Clone)]
pub struct Auth {
    /// The caller.
    pub caller: Caller,
    /// The session cookie value and its CSRF token, when signed in by cookie.
    pub session: Option<(String, String)>,
    /// Language of the request.
    pub lang: Lang,
    /// Request id.
    pub request_id: Option<String>,
}

impl Auth {
    /// Audit context for a use case run by this request.
    pub fn audit(&self) -> AuditCtx {
        AuditCtx {
            actor: self.caller.actor(),
            request_id: self.request_id.clone(),
        }
    }

    /// CSRF token to embed in this page's forms, if signed in.
    pub fn csrf_token(&self) -> Option<&str> {
        self.session.as_ref().map(|(_, c)| c.as_str())
    }
}

/// The request id set by the request-id layer.
pub fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = locale::lang_of(parts);
        let request_id = request_id(parts);
        if let Some(token) = bearer(parts) {
            let principal = accounts::resolve_token(&state.app, token)
                .await
                .map_err(|e| ApiError(e, lang))?;
            let p = principal.ok_or(ApiError(AppError::Unauthenticated, lang))?;
            return Ok(Auth {
                caller: Caller::Account(p),
                session: None,
                lang,
                request_id,
            });
        }
        if let Some(cookie) = locale::cookie(parts, SESSION_COOKIE) {
            let resolved = accounts::resolve_session(&state.app, cookie)
                .await
                .map_err(|e| ApiError(e, lang))?;
            if let Some((p, csrf_token)) = resolved {
                let unsafe_api = parts.uri.path().starts_with("/api/")
                    && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
                if unsafe_api {
                    let sent = parts
                        .headers
                        .get("x-csrf-token")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    if !csrf::same(sent, &csrf_token) {
                        return Err(ApiError(AppError::Forbidden, lang));
                    }
                }
                return Ok(Auth {
                    caller: Caller::Account(p),
                    session: Some((cookie.to_owned(), csrf_token)),
                    lang,
                    request_id,
                });
            }
        }
        Ok(Auth {
            caller: Caller::Anonymous,
            session: None,
            lang,
            request_id,
        })
    }
}
