//! Login and logout pages.

use askama::Template;
use axum::{
    Form,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{AppError, accounts, secrets::random_token};
use lienthong_domain::role::AccountKind;
use serde::Deserialize;

use super::{Layout, error_page, render, safe_next};
use crate::{
    AppState,
    auth::{Auth, SESSION_COOKIE},
    csrf::{self, LOGIN_CSRF_COOKIE},
    ratelimit::ClientIp,
};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    form_token: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

fn login_page(
    auth: &Auth,
    status: StatusCode,
    next: &str,
    username: &str,
    error: Option<String>,
) -> Response {
    let Ok(token) = random_token() else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Lỗi hệ thống / Internal error",
        )
            .into_response();
    };
    let title = auth.lang.pick("Đăng nhập", "Log in");
    let page = LoginPage {
        layout: Layout::new(auth, "/login", title),
        form_token: token.clone(),
        next: next.to_owned(),
        username: username.to_owned(),
        error,
    };
    let cookie = format!("{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict");
    ([(header::SET_COOKIE, cookie)], render(status, &page)).into_response()
}

/// `GET /login`.
pub async fn login_form(auth: Auth, Query(q): Query<LoginQuery>) -> Response {
    login_page(
        &auth,
        StatusCode::OK,
        &safe_next(q.next.as_deref(), ""),
        "",
        None,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: String,
}

pub(super) fn cookie_of<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `POST /login`: checks the anti-forgery token and origin, the rate limit, the
/// credentials; opens a fresh session and sends the user on.
pub async fn login(
    State(state): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = auth.lang;
    let next = safe_next(Some(&form.next), "");
    let token_ok =
        cookie_of(&headers, LOGIN_CSRF_COOKIE).is_some_and(|c| csrf::same(c, &form.csrf_token));
    if !token_ok || !csrf::same_origin(&headers) {
        let msg = lang.pick(
            "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này. Vui lòng đăng nhập lại.",
            "The form expired or was not sent from this site. Please log in again.",
        );
        return login_page(
            &auth,
            StatusCode::FORBIDDEN,
            &next,
            &form.username,
            Some(msg.to_owned()),
        );
    }
    if let Err(secs) = state.login_limiter.check(&ip, std::time::Instant::now()) {
        let minutes = secs.div_ceil(60);
        let msg = match lang {
            lienthong_domain::Lang::Vi => {
                format!("Bạn đã thử quá nhiều lần. Vui lòng thử lại sau khoảng {minutes} phút.")
            }
            lienthong_domain::Lang::En => {
                format!("Too many attempts. Please try again in about {minutes} minute(s).")
            }
        };
        return login_page(
            &auth,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &form.username,
            Some(msg),
        );
    }
    let ctx = auth.audit();
    let principal = match accounts::authenticate(&state.app, &ctx, &form.username, &form.password)
        .await
    {
        Ok(p) => p,
        Err(AppError::RateLimited { retry_after_secs }) => {
            let minutes = (retry_after_secs + 59) / 60;
            let msg = match lang {
                lienthong_domain::Lang::Vi => format!(
                    "Tài khoản tạm khóa do nhập sai nhiều lần. Vui lòng thử lại sau khoảng {minutes} phút."
                ),
                lienthong_domain::Lang::En => format!(
                    "The account is locked after repeated failures. Try again in about {minutes} minute(s)."
                ),
            };
            return login_page(
                &auth,
                StatusCode::TOO_MANY_REQUESTS,
                &next,
                &form.username,
                Some(msg),
            );
        }
        Err(AppError::Unauthenticated) => {
            let msg = lang.pick(
                "Tên đăng nhập hoặc mật khẩu không đúng.",
                "Wrong username or password.",
            );
            return login_page(
                &auth,
                StatusCode::UNAUTHORIZED,
                &next,
                &form.username,
                Some(msg.to_owned()),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "login failed");
            return error_page(
                &auth,
                "/login",
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                ("Vui lòng thử lại sau.", "Please try again later."),
            );
        }
    };
    let mut ctx = ctx;
    ctx.actor.clone_from(&principal.account_id);
    let previous = auth
        .session
        .as_ref()
        .map(|(t, _)| t.as_str())
        .or_else(|| cookie_of(&headers, SESSION_COOKIE));
    let session = match accounts::open_session(&state.app, &ctx, &principal, previous).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "session could not be opened");
            return error_page(
                &auth,
                "/login",
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                ("Vui lòng thử lại sau.", "Please try again later."),
            );
        }
    };
    let default = if principal.kind == AccountKind::Official {
        "/office"
    } else {
        "/account"
    };
    let target = if next.is_empty() {
        default.to_owned()
    } else {
        next
    };
    signed_in_redirect(&state, &target, Some(&session), "/login")
}

/// A 303 redirect to `target` that sets (or, without a session, clears) the session cookie
/// and clears the anti-forgery cookie of the form at `form_path`.
pub(super) fn signed_in_redirect(
    state: &AppState,
    target: &str,
    session: Option<&accounts::NewSession>,
    form_path: &str,
) -> Response {
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let session_cookie = match session {
        Some(s) => format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            s.token, s.max_age_secs
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    let clear =
        format!("{LOGIN_CSRF_COOKIE}=; Path={form_path}; HttpOnly; SameSite=Strict; Max-Age=0");
    let mut res = Redirect::to(target).into_response();
    *res.status_mut() = StatusCode::SEE_OTHER;
    for c in [session_cookie, clear] {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /logout`: ends the session on the server and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let Some((token, csrf_token)) = auth.session.clone() else {
        return Redirect::to("/").into_response();
    };
    if !csrf::same(&form.csrf_token, &csrf_token) || !csrf::same_origin(&headers) {
        return error_page(
            &auth,
            "/logout",
            StatusCode::FORBIDDEN,
            ("Yêu cầu không hợp lệ", "Invalid request"),
            (
                "Biểu mẫu không được gửi từ trang này. Vui lòng thử lại.",
                "The form was not sent from this site. Please try again.",
            ),
        );
    }
    if let Err(e) = accounts::close_session(&state.app, &auth.audit(), &token).await {
        tracing::error!(error = %e, "logout failed");
    }
    signed_in_redirect(&state, "/", None, "/login")
}
