//! The office work queue and the dossier page where officials take actions.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{AppError, dossiers, processing};
use lienthong_domain::{Lang, clock::from_micros, dossier::Status, workflow::DossierAction};

use super::{Layout, error_page, posted::Posted, render};
use crate::{AppState, auth::Auth};

fn when(us: i64) -> String {
    from_micros(us)
        .to_zoned(lienthong_domain::clock::business_tz())
        .strftime("%H:%M %d/%m/%Y")
        .to_string()
}

fn action_label(a: &str, lang: Lang) -> String {
    let (vi, en) = match a {
        "accept" => ("Tiếp nhận", "Accept"),
        "refuse" => ("Từ chối tiếp nhận", "Refuse"),
        "forward" => ("Chuyển xử lý", "Forward for processing"),
        "approve" => ("Phê duyệt", "Approve"),
        "return_result" => ("Trả kết quả", "Return the result"),
        "withdraw" => ("Rút hồ sơ", "Withdraw"),
        other => (other, other),
    };
    lang.pick(vi, en).to_owned()
}

#[derive(Template)]
#[template(path = "office_queue.html")]
struct QueuePage {
    layout: Layout,
    rows: Vec<(String, String, String, String, String)>,
}

/// `GET /office/dossiers`.
pub async fn queue(State(state): State<AppState>, auth: Auth) -> Response {
    if auth.caller.principal().is_none() {
        return Redirect::to("/login?next=/office/dossiers").into_response();
    }
    let lang = auth.lang;
    match processing::queue(&state.app, &auth.caller).await {
        Ok(list) => {
            let rows = list
                .into_iter()
                .map(|v| {
                    let due = v.row.due_date.clone().unwrap_or_else(|| "—".into());
                    (
                        v.row.code,
                        v.procedure_name,
                        v.row.applicant_name,
                        lang.pick(v.status.label_vi(), v.status.label_en())
                            .to_owned(),
                        due,
                    )
                })
                .collect();
            render(
                StatusCode::OK,
                &QueuePage {
                    layout: Layout::new(
                        &auth,
                        "/office/dossiers",
                        lang.pick("Hồ sơ của cơ quan", "Agency dossiers"),
                    ),
                    rows,
                },
            )
        }
        Err(AppError::Forbidden | AppError::Unauthenticated) => error_page(
            &auth,
            "/office/dossiers",
            StatusCode::FORBIDDEN,
            ("Không có quyền", "Forbidden"),
            (
                "Tài khoản của bạn không xem được hồ sơ.",
                "Your account cannot read dossiers.",
            ),
        ),
        Err(e) => {
            tracing::error!(error = %e, "queue failed");
            error_page(
                &auth,
                "/office/dossiers",
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                ("Vui lòng thử lại sau.", "Please try again later."),
            )
        }
    }
}

#[derive(Template)]
#[template(path = "office_dossier.html")]
struct DossierPage {
    layout: Layout,
    code: String,
    procedure_name: String,
    applicant: String,
    status: String,
    due: String,
    version: i64,
    actions: Vec<(String, String)>,
    history: Vec<(String, String, String, Option<String>)>,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    auth: &Auth,
    code: &str,
    error: Option<String>,
    status_code: StatusCode,
) -> Response {
    let path = format!("/office/dossiers/{code}");
    let lang = auth.lang;
    match dossiers::get(&state.app, &auth.caller, code).await {
        Ok(v) => {
            let view = DossierPage {
                layout: Layout::new(auth, &path, &v.row.code),
                code: v.row.code.clone(),
                procedure_name: v.procedure_name.clone(),
                applicant: v.row.applicant_name.clone(),
                status: lang
                    .pick(v.status.label_vi(), v.status.label_en())
                    .to_owned(),
                due: v.row.due_date.clone().unwrap_or_else(|| "—".into()),
                version: v.row.version,
                actions: v
                    .allowed_actions
                    .iter()
                    .filter(|a| a.as_str() != "withdraw")
                    .map(|a| (a.clone(), action_label(a, lang)))
                    .collect(),
                history: v
                    .history
                    .iter()
                    .map(|h| {
                        (
                            when(h.at),
                            Status::parse(&h.status).map_or_else(
                                || h.status.clone(),
                                |s| lang.pick(s.label_vi(), s.label_en()).to_owned(),
                            ),
                            h.actor_name.clone(),
                            h.note.clone(),
                        )
                    })
                    .collect(),
                error,
            };
            render(status_code, &view)
        }
        Err(AppError::Unauthenticated) => {
            Redirect::to(&format!("/login?next={path}")).into_response()
        }
        Err(_) => error_page(
            auth,
            &path,
            StatusCode::NOT_FOUND,
            ("Không tìm thấy hồ sơ", "Dossier not found"),
            (
                "Hồ sơ không có hoặc không thuộc cơ quan của bạn.",
                "No such dossier in your agency.",
            ),
        ),
    }
}

/// `GET /office/dossiers/{code}`.
pub async fn show(State(state): State<AppState>, auth: Auth, Path(code): Path<String>) -> Response {
    page(&state, &auth, &code, None, StatusCode::OK).await
}

/// `POST /office/dossiers/{code}`: takes the chosen action.
pub async fn act(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let form = Posted::parse(&body);
    let path = format!("/office/dossiers/{code}");
    if !form.csrf_ok(&auth, &headers) {
        return error_page(
            &auth,
            &path,
            StatusCode::FORBIDDEN,
            ("Yêu cầu không hợp lệ", "Invalid request"),
            ("Hãy mở lại trang.", "Reopen the page."),
        );
    }
    let lang = auth.lang;
    let (Some(action), Ok(version)) = (
        DossierAction::parse(&form.get("action")),
        form.get("version").parse::<i64>(),
    ) else {
        return page(
            &state,
            &auth,
            &code,
            Some(
                lang.pick("Thao tác không hợp lệ.", "Invalid action.")
                    .into(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let note = Some(form.get("note")).filter(|n| !n.trim().is_empty());
    match processing::act(
        &state.app,
        &auth.caller,
        &auth.audit(),
        &code,
        processing::ActionRequest {
            action,
            version,
            note,
        },
    )
    .await
    {
        Ok(_) => {
            let mut r = Redirect::to(&path).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        Err(AppError::Validation(e)) => {
            let msg = e
                .first()
                .map(|f| f.message(lang).to_owned())
                .unwrap_or_default();
            page(
                &state,
                &auth,
                &code,
                Some(msg),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict(_)) => {
            page(
                &state,
                &auth,
                &code,
                Some(
                    lang.pick(
                        "Hồ sơ vừa được người khác xử lý; trang đã được tải lại.",
                        "Someone else acted on the dossier; the page was reloaded.",
                    )
                    .into(),
                ),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(AppError::Forbidden) => error_page(
            &auth,
            &path,
            StatusCode::FORBIDDEN,
            ("Không có quyền", "Forbidden"),
            (
                "Vai trò của bạn không thực hiện được thao tác này.",
                "Your role cannot take this action.",
            ),
        ),
        Err(e) => {
            tracing::error!(error = %e, "office action failed");
            error_page(
                &auth,
                &path,
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                ("Vui lòng thử lại sau.", "Please try again later."),
            )
        }
    }
}
