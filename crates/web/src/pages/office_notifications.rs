//! Message templates the province rewords (administrators) and the delivery log of every
//! notification (administrators and auditors).

use askama::Template;
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{AppError, notify};

use super::{Layout, error_page, posted::Posted, render};
use crate::{AppState, auth::Auth};

#[derive(Template)]
#[template(path = "office_notifications.html")]
struct NotificationsPage {
    layout: Layout,
    can_edit: bool,
    placeholders: String,
    /// (topic, subject, body).
    templates: Vec<(String, String, String)>,
    /// (when, channel, recipient, subject, status, attempts, error).
    log: Vec<(String, String, String, String, String, i64, String)>,
    error: Option<String>,
    saved: bool,
}

fn when(us: i64) -> String {
    lienthong_domain::clock::from_micros(us)
        .to_zoned(lienthong_domain::clock::business_tz())
        .strftime("%H:%M %d/%m/%Y")
        .to_string()
}

fn mask(recipient: &str, channel: &str) -> String {
    if channel == "email" {
        lienthong_domain::redact::redact(recipient)
    } else {
        "—".to_owned()
    }
}

async fn page(
    state: &AppState,
    auth: &Auth,
    error: Option<String>,
    saved: bool,
    status: StatusCode,
) -> Response {
    let lang = auth.lang;
    let log = match notify::delivery_log(&state.app, &auth.caller).await {
        Ok(l) => l,
        Err(AppError::Unauthenticated) => {
            return Redirect::to("/login?next=/office/notifications").into_response();
        }
        Err(_) => {
            return error_page(
                auth,
                "/office/notifications",
                StatusCode::FORBIDDEN,
                ("Không có quyền", "Forbidden"),
                (
                    "Chỉ quản trị viên và kiểm tra viên xem được trang này.",
                    "Administrators and auditors only.",
                ),
            );
        }
    };
    let can_edit = lienthong_app::authz::authorize(
        &auth.caller,
        lienthong_app::authz::Action::ManageCatalog,
        None,
    )
    .is_ok();
    let mut templates = Vec::new();
    for (topic, _, _) in notify::templates::DEFAULTS {
        if let Ok(Some((subject, body))) = notify::templates::template(&state.app, topic).await {
            templates.push((topic.to_owned(), subject, body));
        }
    }
    let view = NotificationsPage {
        layout: Layout::new(
            auth,
            "/office/notifications",
            lang.pick("Thông báo", "Notifications"),
        ),
        can_edit,
        placeholders: notify::templates::PLACEHOLDERS
            .map(|p| format!("{{{p}}}"))
            .join(", "),
        templates,
        log: log
            .into_iter()
            .map(|n| {
                (
                    when(n.created_at),
                    n.channel.clone(),
                    mask(&n.recipient, &n.channel),
                    n.subject,
                    n.status,
                    n.attempts,
                    n.last_error.unwrap_or_default(),
                )
            })
            .collect(),
        error,
        saved,
    };
    render(status, &view)
}

/// `GET /office/notifications`.
pub async fn show(State(state): State<AppState>, auth: Auth) -> Response {
    page(&state, &auth, None, false, StatusCode::OK).await
}

/// `POST /office/notifications`: saves one template.
pub async fn save(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form = Posted::parse(&body);
    if !form.csrf_ok(&auth, &headers) {
        return error_page(
            &auth,
            "/office/notifications",
            StatusCode::FORBIDDEN,
            ("Yêu cầu không hợp lệ", "Invalid request"),
            ("Hãy mở lại trang.", "Reopen the page."),
        );
    }
    if let Some(r) = super::province_guard(
        &state,
        &auth,
        lienthong_app::authz::Action::ManageCatalog,
        "/office/notifications",
    )
    .await
    {
        return r;
    }
    let lang = auth.lang;
    match notify::templates::save(
        &state.app,
        &auth.caller,
        &auth.audit(),
        &form.get("topic"),
        &form.get("subject"),
        &form.get("body"),
    )
    .await
    {
        Ok(()) => page(&state, &auth, None, true, StatusCode::OK).await,
        Err(AppError::Validation(e)) => {
            let msg = e
                .iter()
                .map(|f| f.message(lang).to_owned())
                .collect::<Vec<_>>()
                .join(" ");
            page(
                &state,
                &auth,
                Some(msg),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Forbidden) => {
            page(
                &state,
                &auth,
                Some(
                    lang.pick(
                        "Chỉ quản trị viên sửa được mẫu thông báo.",
                        "Only administrators edit templates.",
                    )
                    .to_owned(),
                ),
                false,
                StatusCode::FORBIDDEN,
            )
            .await
        }
        Err(e @ (AppError::NotFound(_) | AppError::Conflict(_) | AppError::NotNow { .. })) => {
            let p = crate::problem::Problem::from_app(&e, lang);
            page(
                &state,
                &auth,
                Some(p.detail),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => super::app_error_page(&auth, "/office/notifications", &e),
    }
}
