//! What applicants do on their dossier page: send the requested supplement (multipart, only
//! the requested items), rate the service once, withdraw.

use axum::{
    extract::{Multipart, Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{AppError, processing};
use lienthong_domain::workflow::DossierAction;

use super::{
    dossiers::page,
    posted::{Posted, token_ok},
};
use crate::{AppState, auth::Auth};

async fn outcome(
    state: &AppState,
    auth: &Auth,
    code: &str,
    req: processing::ActionRequest,
) -> Response {
    let lang = auth.lang;
    let error = match processing::act(&state.app, &auth.caller, &auth.audit(), code, req).await {
        Ok(_) => {
            let mut r = Redirect::to(&format!("/dossiers/{code}")).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            return r;
        }
        Err(AppError::Validation(e)) => (
            e.iter()
                .map(|f| f.message(lang).to_owned())
                .collect::<Vec<_>>()
                .join(" "),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(AppError::NotNow { vi, en }) => (
            match lang {
                lienthong_domain::Lang::Vi => vi,
                lienthong_domain::Lang::En => en,
            },
            StatusCode::CONFLICT,
        ),
        Err(AppError::Unauthenticated) => {
            return Redirect::to(&format!("/login?next=/dossiers/{code}")).into_response();
        }
        Err(AppError::Forbidden | AppError::NotFound(_)) => (
            lang.pick(
                "Không thực hiện được với hồ sơ này.",
                "Not possible on this dossier.",
            )
            .to_owned(),
            StatusCode::NOT_FOUND,
        ),
        Err(e) => {
            tracing::error!(error = %e, "applicant action failed");
            (
                lang.pick(
                    "Lỗi hệ thống, vui lòng thử lại sau.",
                    "Internal error, please try again later.",
                )
                .to_owned(),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    };
    page(state, auth, code, false, Some(error.0), error.1).await
}

fn forbidden(auth: &Auth, code: &str) -> Response {
    super::error_page(
        auth,
        &format!("/dossiers/{code}"),
        StatusCode::FORBIDDEN,
        ("Yêu cầu không hợp lệ", "Invalid request"),
        ("Hãy mở lại trang.", "Reopen the page."),
    )
}

/// `POST /dossiers/{code}/supplement`: the requested fields (`answer_<name>`) and files (one
/// part per requested document slot).
pub async fn supplement(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    multipart: Multipart,
) -> Response {
    let lang = auth.lang;
    let parsed = crate::api::dossiers::read_parts(&state, lang, multipart, |n, _| {
        n == "csrf_token" || n == "version" || n.starts_with("answer_")
    })
    .await;
    let (texts, files) = match parsed {
        Ok(p) => p,
        Err(e) => {
            let msg = match &e.0 {
                AppError::Validation(f) => f
                    .iter()
                    .map(|x| x.message(lang).to_owned())
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => lang
                    .pick(
                        "Không đọc được dữ liệu gửi lên.",
                        "The upload could not be read.",
                    )
                    .to_owned(),
            };
            return page(
                &state,
                &auth,
                &code,
                false,
                Some(msg),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let text = |k: &str| {
        texts
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if !token_ok(&auth, &headers, &text("csrf_token")) {
        return forbidden(&auth, &code);
    }
    let mut req = processing::ActionRequest::new(
        DossierAction::Supplement,
        text("version").parse().unwrap_or(0),
    );
    for (name, value) in &texts {
        if let Some(field) = name.strip_prefix("answer_") {
            req.answers
                .insert(field.to_owned(), serde_json::Value::String(value.clone()));
        }
    }
    req.files = files;
    outcome(&state, &auth, &code, req).await
}

/// `POST /dossiers/{code}/rate`.
pub async fn rate(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let form = Posted::parse(&body);
    if !form.csrf_ok(&auth, &headers) {
        return forbidden(&auth, &code);
    }
    let mut req = processing::ActionRequest::new(
        DossierAction::Rate,
        form.get("version").parse().unwrap_or(0),
    );
    req.rating = form.get("rating").parse().ok();
    req.comment = Some(form.get("comment")).filter(|c| !c.trim().is_empty());
    outcome(&state, &auth, &code, req).await
}

/// `POST /dossiers/{code}/withdraw`.
pub async fn withdraw(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let form = Posted::parse(&body);
    if !form.csrf_ok(&auth, &headers) {
        return forbidden(&auth, &code);
    }
    let mut req = processing::ActionRequest::new(
        DossierAction::Withdraw,
        form.get("version").parse().unwrap_or(0),
    );
    req.note = Some(form.get("note"));
    outcome(&state, &auth, &code, req).await
}
