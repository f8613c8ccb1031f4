//! The one-stop desk registers a dossier brought in person or by post on the applicant's
//! behalf (assisted mode): the same form and checks as online, accepted at once, then the
//! receipt (Mẫu 01) is printed from the dossier page.

use askama::Template;
use axum::{
    extract::{Multipart, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{AppError, FieldError, dossiers};
use lienthong_domain::{dossier::Channel, role::Role};
use serde::Deserialize;
use serde_json::Map;

use super::{
    Layout,
    apply::{FieldView, default_province, field_view, posted_answers},
    error_page,
    posted::token_ok,
    render,
};
use crate::{AppState, auth::Auth};

/// Query of the desk page.
#[derive(Debug, Deserialize)]
pub struct DeskQuery {
    #[serde(default)]
    procedure: Option<String>,
}

#[derive(Template)]
#[template(path = "office_desk.html")]
struct DeskPage {
    layout: Layout,
    procedures: Vec<(String, String)>,
    procedure: Option<(String, String)>,
    agencies: Vec<(String, String, bool)>,
    postal: bool,
    fields: Vec<FieldView>,
    documents: Vec<(String, String, bool)>,
    errors: Vec<(String, String)>,
}

/// Agencies where the caller works at the desk, with their names.
async fn desk_agencies(state: &AppState, auth: &Auth) -> Vec<(String, String)> {
    let Some(p) = auth.caller.principal() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for g in p.roles.iter().filter(|g| g.role == Role::Reception) {
        let name = lienthong_app::org::agencies(&state.app, None, Some(&g.agency_code), None)
            .await
            .ok()
            .and_then(|v| v.into_iter().find(|a| a.code == g.agency_code))
            .map_or_else(|| g.agency_code.clone(), |a| a.name);
        out.push((g.agency_code.clone(), name));
    }
    out
}

#[expect(
    clippy::too_many_arguments,
    reason = "one page, its inputs and its errors"
)]
async fn page(
    state: &AppState,
    auth: &Auth,
    procedure_code: Option<&str>,
    answers: &Map<String, serde_json::Value>,
    chosen_agency: &str,
    postal: bool,
    errors: &[FieldError],
    status: StatusCode,
) -> Response {
    let lang = auth.lang;
    let agencies = desk_agencies(state, auth).await;
    if agencies.is_empty() {
        return error_page(
            auth,
            "/office/desk",
            StatusCode::FORBIDDEN,
            ("Không có quyền", "Forbidden"),
            (
                "Chỉ Bộ phận tiếp nhận và trả kết quả nhận hồ sơ tại quầy.",
                "Only the reception desk registers dossiers.",
            ),
        );
    }
    let codes: Vec<String> = agencies.iter().map(|a| a.0.clone()).collect();
    let mut list: Vec<(String, String)> = lienthong_app::catalog::export(&state.app)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.agency_codes.iter().any(|c| codes.contains(c)))
        .map(|p| (p.code, p.name))
        .collect();
    list.sort();
    let mut view = DeskPage {
        layout: Layout::new(
            auth,
            "/office/desk",
            lang.pick("Nhận hồ sơ tại quầy", "Register at the desk"),
        ),
        procedures: list,
        procedure: None,
        agencies: Vec::new(),
        postal,
        fields: Vec::new(),
        documents: Vec::new(),
        errors: errors
            .iter()
            .map(|e| (e.field.clone(), e.message(lang).to_owned()))
            .collect(),
    };
    if let Some(code) = procedure_code
        && let Ok(p) = lienthong_app::catalog::procedure(&state.app, code, None).await
    {
        let p = p.procedure;
        let province = default_province(state, &p).await;
        for f in &p.form.fields {
            view.fields
                .push(field_view(state, f, answers, errors, lang, &province).await);
        }
        view.documents = p
            .form
            .documents
            .iter()
            .map(|d| (d.slot.clone(), d.name.clone(), d.required))
            .collect();
        view.agencies = agencies
            .iter()
            .filter(|(c, _)| p.agency_codes.contains(c))
            .map(|(c, n)| (c.clone(), n.clone(), c == chosen_agency))
            .collect();
        view.procedure = Some((p.code.clone(), p.name.clone()));
    }
    render(status, &view)
}

/// `GET /office/desk`.
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DeskQuery>,
) -> Response {
    if auth.caller.principal().is_none() {
        return Redirect::to("/login?next=/office/desk").into_response();
    }
    page(
        &state,
        &auth,
        q.procedure.as_deref(),
        &Map::new(),
        "",
        false,
        &[],
        StatusCode::OK,
    )
    .await
}

/// `POST /office/desk`: the form (multipart, with the files).
pub async fn register(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let lang = auth.lang;
    if auth.caller.principal().is_none() {
        return Redirect::to("/login?next=/office/desk").into_response();
    }
    let (texts, files) =
        match crate::api::dossiers::read_parts(&state, lang, multipart, |_, has_file| !has_file)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                let errors = match e.0 {
                    AppError::Validation(f) => f,
                    _ => vec![FieldError::new(
                        "files",
                        "Không đọc được tệp gửi lên.",
                        "The upload could not be read.",
                    )],
                };
                return page(
                    &state,
                    &auth,
                    None,
                    &Map::new(),
                    "",
                    false,
                    &errors,
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
        return error_page(
            &auth,
            "/office/desk",
            StatusCode::FORBIDDEN,
            ("Yêu cầu không hợp lệ", "Invalid request"),
            ("Hãy mở lại trang.", "Reopen the page."),
        );
    }
    let code = text("procedure");
    let Ok(p) = lienthong_app::catalog::procedure(&state.app, &code, None).await else {
        return page(
            &state,
            &auth,
            None,
            &Map::new(),
            "",
            false,
            &[],
            StatusCode::NOT_FOUND,
        )
        .await;
    };
    let answers = posted_answers(&p.procedure.form.fields, &texts);
    let agency = text("agency_code");
    let postal = text("channel") == "postal";
    if text("_nav") == "refresh" {
        return page(
            &state,
            &auth,
            Some(&code),
            &answers,
            &agency,
            postal,
            &[],
            StatusCode::OK,
        )
        .await;
    }
    let submission = dossiers::Submission {
        procedure_code: code.clone(),
        agency_code: agency.clone(),
        answers: answers.clone(),
        files,
        idempotency_key: None,
    };
    let channel = if postal {
        Channel::Postal
    } else {
        Channel::Direct
    };
    match dossiers::register_at_desk(&state.app, &auth.caller, &auth.audit(), submission, channel)
        .await
    {
        Ok(v) => {
            let mut r = Redirect::to(&format!("/office/dossiers/{}", v.row.code)).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        Err(AppError::Validation(errors)) => {
            page(
                &state,
                &auth,
                Some(&code),
                &answers,
                &agency,
                postal,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Forbidden | AppError::NotFound(_)) => {
            let errors = [FieldError::new(
                "agency_code",
                "Bạn không nhận hồ sơ cho cơ quan này.",
                "You do not register dossiers for this agency.",
            )];
            page(
                &state,
                &auth,
                Some(&code),
                &answers,
                &agency,
                postal,
                &errors,
                StatusCode::FORBIDDEN,
            )
            .await
        }
        Err(e) => {
            tracing::error!(error = %e, "desk registration failed");
            error_page(
                &auth,
                "/office/desk",
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                ("Vui lòng thử lại sau.", "Please try again later."),
            )
        }
    }
}
