//! Administrators manage how dossiers are processed: the workflow definitions (TOML, checked
//! with the offending line) and the working hours after which idle dossiers are flagged.

use askama::Template;
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{AppError, processing::queue, workflows};

use super::{Layout, error_page, posted::Posted, render};
use crate::{AppState, auth::Auth};

#[derive(Template)]
#[template(path = "office_workflows.html")]
struct WorkflowsPage {
    layout: Layout,
    /// (name, version id, definition).
    workflows: Vec<(String, String, String)>,
    stale_hours: u32,
    errors: Vec<String>,
    saved: bool,
    draft_name: String,
    draft: String,
}

fn guard(auth: &Auth) -> Option<Response> {
    if auth.caller.principal().is_none() {
        return Some(Redirect::to("/login?next=/office/workflows").into_response());
    }
    lienthong_app::authz::authorize(
        &auth.caller,
        lienthong_app::authz::Action::ManageCatalog,
        None,
    )
    .err()
    .map(|_| {
        error_page(
            auth,
            "/office/workflows",
            StatusCode::FORBIDDEN,
            ("Không có quyền", "Forbidden"),
            (
                "Chỉ quản trị viên quản lý luồng xử lý.",
                "Administrators only.",
            ),
        )
    })
}

async fn page(
    state: &AppState,
    auth: &Auth,
    errors: Vec<String>,
    saved: bool,
    draft: (String, String),
    status: StatusCode,
) -> Response {
    let lang = auth.lang;
    let list = workflows::list(&state.app).await.unwrap_or_default();
    let view = WorkflowsPage {
        layout: Layout::new(
            auth,
            "/office/workflows",
            lang.pick("Luồng xử lý hồ sơ", "Workflows"),
        ),
        workflows: list
            .into_iter()
            .map(|w| (w.name, w.id, w.definition))
            .collect(),
        stale_hours: queue::stale_working_hours(&state.app)
            .await
            .unwrap_or(queue::STALE_DEFAULT_HOURS),
        errors,
        saved,
        draft_name: draft.0,
        draft: draft.1,
    };
    render(status, &view)
}

/// `GET /office/workflows`.
pub async fn show(State(state): State<AppState>, auth: Auth) -> Response {
    if let Some(r) = guard(&auth) {
        return r;
    }
    page(
        &state,
        &auth,
        Vec::new(),
        false,
        (String::new(), String::new()),
        StatusCode::OK,
    )
    .await
}

/// `POST /office/workflows`: saves a workflow version or the idle threshold.
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
            "/office/workflows",
            StatusCode::FORBIDDEN,
            ("Yêu cầu không hợp lệ", "Invalid request"),
            ("Hãy mở lại trang.", "Reopen the page."),
        );
    }
    if let Some(r) = super::province_guard(
        &state,
        &auth,
        lienthong_app::authz::Action::ManageCatalog,
        "/office/workflows",
    )
    .await
    {
        return r;
    }
    let lang = auth.lang;
    let draft = (form.get("name"), form.get("definition"));
    let outcome = if form.get("kind") == "stale" {
        match form.get("stale_hours").trim().parse::<u32>() {
            Ok(h) => {
                queue::set_stale_working_hours(&state.app, &auth.caller, &auth.audit(), h).await
            }
            Err(_) => Err(AppError::Validation(vec![lienthong_app::FieldError::new(
                "stale_hours",
                "Số giờ làm việc là một số nguyên từ 1 đến 400.",
                "Working hours are a whole number from 1 to 400.",
            )])),
        }
    } else {
        workflows::save(
            &state.app,
            &auth.caller,
            &auth.audit(),
            draft.0.trim(),
            &draft.1,
        )
        .await
        .map(|_| ())
    };
    match outcome {
        Ok(()) => {
            page(
                &state,
                &auth,
                Vec::new(),
                true,
                (String::new(), String::new()),
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::Validation(e)) => {
            let errors = e.iter().map(|f| f.message(lang).to_owned()).collect();
            page(
                &state,
                &auth,
                errors,
                false,
                draft,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => {
            tracing::error!(error = %e, "saving a workflow failed");
            page(
                &state,
                &auth,
                vec![lang.pick("Lỗi hệ thống.", "Internal error.").to_owned()],
                false,
                draft,
                StatusCode::INTERNAL_SERVER_ERROR,
            )
            .await
        }
    }
}
