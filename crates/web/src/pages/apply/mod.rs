//! The application journey: start or resume a draft, answer the form step by step (with an
//! eligibility question first when the procedure has one), attach files, check the answers,
//! send. Every step is saved on the server; "Back" saves too, so nothing typed is lost.

mod check;
mod files;
mod step;

use askama::Template;
use axum::{
    extract::{Multipart, Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{
    AppError, FieldError, catalog,
    drafts::{self, Draft},
};
use lienthong_domain::{
    Lang,
    catalog::Procedure,
    form::{FieldKind, FormField},
    org::UnitLevel,
    role::AccountKind,
};
use serde_json::{Map, Value};

use super::{
    Layout, error_page,
    posted::{self, Posted},
    render, today,
};
use crate::{AppState, auth::Auth};

pub(crate) use check::*;
pub(crate) use files::*;
pub(crate) use step::*;

/// The posted form of an applicant's page, or the answer to send instead (login redirect,
/// refusal for officials, or a forgery refusal).
pub(crate) fn applicant_form(
    auth: &Auth,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> Result<Posted, Box<Response>> {
    if let Some(r) = require_applicant(auth, path) {
        return Err(Box::new(r));
    }
    let form = Posted::parse(body);
    if !form.csrf_ok(auth, headers) {
        return Err(Box::new(forged(auth, path)));
    }
    Ok(form)
}

/// 200 for a clean page, 422 when it shows errors.
pub(crate) fn page_status(has_errors: bool) -> StatusCode {
    if has_errors {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

pub(crate) fn see_other(to: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r
}

/// Applicants only: anonymous callers go to the login page, officials see a refusal.
pub(crate) fn require_applicant(auth: &Auth, path: &str) -> Option<Response> {
    match auth.caller.principal() {
        None => Some(see_other(&format!("/login?next={path}"))),
        Some(p) if matches!(p.kind, AccountKind::Citizen | AccountKind::Organisation) => None,
        Some(_) => Some(error_page(
            auth,
            path,
            StatusCode::FORBIDDEN,
            (
                "Chỉ người nộp hồ sơ mới dùng được trang này",
                "Only applicants can use this page",
            ),
            (
                "Cán bộ tiếp nhận hồ sơ thay người dân tại Bộ phận một cửa.",
                "Officials register dossiers for applicants at the reception desk.",
            ),
        )),
    }
}

pub(crate) fn forged(auth: &Auth, path: &str) -> Response {
    error_page(
        auth,
        path,
        StatusCode::FORBIDDEN,
        ("Yêu cầu không hợp lệ", "Invalid request"),
        (
            "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này. Hãy mở lại trang và thử lại; thông tin đã lưu vẫn còn.",
            "The form expired or was not sent from this site. Reopen the page and try again; saved answers are kept.",
        ),
    )
}

pub(crate) fn problem_page(auth: &Auth, path: &str, e: &AppError) -> Response {
    match e {
        AppError::NotFound(_) => error_page(
            auth,
            path,
            StatusCode::NOT_FOUND,
            ("Không tìm thấy", "Not found"),
            (
                "Không có hồ sơ đang soạn hoặc thủ tục này.",
                "There is no such draft or procedure.",
            ),
        ),
        AppError::Unauthenticated => see_other(&format!("/login?next={path}")),
        AppError::Forbidden => error_page(
            auth,
            path,
            StatusCode::FORBIDDEN,
            ("Không có quyền", "Forbidden"),
            (
                "Tài khoản của bạn không được phép thực hiện thao tác này.",
                "Your account may not do this.",
            ),
        ),
        other => {
            tracing::error!(error = %lienthong_domain::redact::redact(&other.to_string()), "application journey failed");
            error_page(
                auth,
                path,
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                (
                    "Thông tin đã lưu không bị mất. Vui lòng thử lại sau.",
                    "Saved answers are kept. Please try again later.",
                ),
            )
        }
    }
}

/// `POST /procedures/{code}/apply`: starts (or resumes) a draft.
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let path = format!("/procedures/{code}");
    if let Err(r) = applicant_form(&auth, &headers, &path, &body) {
        return *r;
    }
    match drafts::start(&state.app, &auth.caller, &code).await {
        Ok(d) => see_other(&format!("/drafts/{}", d.id)),
        Err(e) => problem_page(&auth, &path, &e),
    }
}

/// The steps of a procedure's journey.
pub(crate) fn steps(p: &Procedure) -> Vec<String> {
    let mut out = Vec::new();
    if p.form.eligibility.is_some() {
        out.push("eligibility".to_owned());
    }
    out.extend((1..=p.form.steps().len()).map(|i| format!("q{i}")));
    out.push("files".to_owned());
    out.push("check".to_owned());
    out
}

pub(crate) fn neighbour(steps: &[String], step: &str, delta: isize) -> Option<String> {
    let i = steps.iter().position(|s| s == step)?;
    let j = i.checked_add_signed(delta)?;
    steps.get(j).cloned()
}

pub(crate) fn progress(steps: &[String], step: &str, lang: Lang) -> String {
    let i = steps.iter().position(|s| s == step).map_or(1, |i| i + 1);
    match lang {
        Lang::Vi => format!("Bước {i} trên {}", steps.len()),
        Lang::En => format!("Step {i} of {}", steps.len()),
    }
}

pub(crate) async fn load(
    state: &AppState,
    auth: &Auth,
    id: &str,
) -> Result<(Draft, Procedure), AppError> {
    let draft = drafts::load(&state.app, &auth.caller, id).await?;
    let procedure = catalog::procedure(&state.app, &draft.procedure_code, None)
        .await?
        .procedure;
    Ok((draft, procedure))
}

/// `GET /drafts/{id}`: back to where the applicant stopped.
pub async fn resume(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> Response {
    let path = format!("/drafts/{id}");
    if let Some(r) = require_applicant(&auth, &path) {
        return r;
    }
    match load(&state, &auth, &id).await {
        Ok((draft, procedure)) => {
            let all = steps(&procedure);
            let step = if all.contains(&draft.step) {
                draft.step
            } else {
                all.first().cloned().unwrap_or_else(|| "files".into())
            };
            see_other(&format!("/drafts/{id}/{step}"))
        }
        Err(e) => problem_page(&auth, &path, &e),
    }
}
