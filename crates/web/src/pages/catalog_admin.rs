//! The office catalog editor: administrators change a procedure, which creates a new version
//! from a chosen day (dossiers keep the version they were submitted under).

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{
    AppError, FieldError,
    authz::{Action, authorize},
    catalog,
};
use lienthong_domain::{
    Lang,
    catalog::{Fee, OnlineMode, Procedure, ProcessingTime},
};

use super::{Layout, error_page, posted::Posted, render};
use crate::{AppState, auth::Auth};

fn guard(auth: &Auth, path: &str) -> Option<Response> {
    if auth.caller.principal().is_none() {
        return Some(Redirect::to(&format!("/login?next={path}")).into_response());
    }
    authorize(&auth.caller, Action::ManageCatalog, None)
        .err()
        .map(|_| {
            error_page(
                auth,
                path,
                StatusCode::FORBIDDEN,
                ("Không có quyền", "Forbidden"),
                (
                    "Chỉ quản trị viên được sửa danh mục thủ tục.",
                    "Only administrators may edit the catalog.",
                ),
            )
        })
}

#[derive(Template)]
#[template(path = "office_procedures.html")]
struct ListPage {
    layout: Layout,
    items: Vec<(String, String, String)>,
}

/// `GET /office/procedures`.
pub async fn list(State(state): State<AppState>, auth: Auth) -> Response {
    if let Some(r) = guard(&auth, "/office/procedures") {
        return r;
    }
    let items = match catalog::export(&state.app).await {
        Ok(all) => all
            .into_iter()
            .map(|p| (p.code, p.name, p.field.name))
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "catalog list failed");
            Vec::new()
        }
    };
    render(
        StatusCode::OK,
        &ListPage {
            layout: Layout::new(
                &auth,
                "/office/procedures",
                auth.lang.pick("Danh mục thủ tục", "Procedure catalog"),
            ),
            items,
        },
    )
}

#[derive(Template)]
#[template(path = "office_procedure_edit.html")]
struct EditPage {
    layout: Layout,
    code: String,
    version: i64,
    name: String,
    working_days: String,
    online_level: String,
    online_mode: String,
    modes: Vec<(&'static str, &'static str)>,
    fees: String,
    legal_basis: String,
    form: String,
    valid_from: String,
    errors: Vec<(String, String)>,
    saved: Option<String>,
}

fn fees_text(fees: &[Fee]) -> String {
    fees.iter()
        .map(|f| match &f.option {
            Some(o) => format!("{} | {} | {o}", f.name, f.amount_vnd),
            None => format!("{} | {}", f.name, f.amount_vnd),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn page(
    auth: &Auth,
    p: &Procedure,
    version: i64,
    valid_from: &str,
    errors: &[FieldError],
    saved: Option<String>,
) -> Response {
    let lang = auth.lang;
    let days = match p.processing_time {
        ProcessingTime::WorkingDays(d) => d.to_string().replace('.', ","),
        ProcessingTime::WorkingHours(h) => format!("{}", f64::from(h) / 8.0).replace('.', ","),
    };
    let view = EditPage {
        layout: Layout::new(auth, &format!("/office/procedures/{}", p.code), &p.name),
        code: p.code.clone(),
        version,
        name: p.name.clone(),
        working_days: days,
        online_level: p.online_level.to_string(),
        online_mode: p.online_mode.as_str().to_owned(),
        modes: vec![
            ("full", lang.pick("Toàn trình", "Full")),
            ("partial", lang.pick("Một phần", "Partial")),
            (
                "none",
                lang.pick("Chỉ cung cấp thông tin", "Information only"),
            ),
        ],
        fees: fees_text(&p.fees),
        legal_basis: p.legal_basis.join("\n"),
        form: serde_json::to_string_pretty(&p.form).unwrap_or_default(),
        valid_from: valid_from.to_owned(),
        errors: errors
            .iter()
            .map(|e| (e.field.clone(), e.message(lang).to_owned()))
            .collect(),
        saved,
    };
    render(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &view,
    )
}

/// `GET /office/procedures/{code}`.
pub async fn edit(State(state): State<AppState>, auth: Auth, Path(code): Path<String>) -> Response {
    let path = format!("/office/procedures/{code}");
    if let Some(r) = guard(&auth, &path) {
        return r;
    }
    match catalog::procedure(&state.app, &code, None).await {
        Ok(p) => {
            let tomorrow = state
                .app
                .clock
                .today()
                .tomorrow()
                .map(|d| d.to_string())
                .unwrap_or_default();
            page(&auth, &p.procedure, p.version, &tomorrow, &[], None)
        }
        Err(_) => error_page(
            &auth,
            &path,
            StatusCode::NOT_FOUND,
            ("Không có thủ tục này", "No such procedure"),
            ("Kiểm tra lại mã thủ tục.", "Check the procedure code."),
        ),
    }
}

fn parse_fees(text: &str) -> Result<Vec<Fee>, FieldError> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split('|').map(str::trim).collect();
            let amount = parts
                .get(1)
                .map(|a| a.replace(['.', ' '], ""))
                .and_then(|a| a.parse::<i64>().ok());
            match (parts.first(), amount) {
                (Some(name), Some(amount_vnd)) if !name.is_empty() => Ok(Fee {
                    name: (*name).to_owned(),
                    amount_vnd,
                    option: parts
                        .get(2)
                        .filter(|o| !o.is_empty())
                        .map(|o| (*o).to_owned()),
                }),
                _ => Err(FieldError::new(
                    "fees",
                    "Mỗi dòng phí: tên | số tiền (đồng) | trường hợp (nếu có).",
                    "Each fee line: name | amount (VND) | case (optional).",
                )),
            }
        })
        .collect()
}

/// `POST /office/procedures/{code}`: saves a new version.
pub async fn save(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let path = format!("/office/procedures/{code}");
    if let Some(r) = guard(&auth, &path) {
        return r;
    }
    let form = Posted::parse(&body);
    let get = |k: &str| form.get(k);
    if !form.csrf_ok(&auth, &headers) {
        return error_page(
            &auth,
            &path,
            StatusCode::FORBIDDEN,
            ("Yêu cầu không hợp lệ", "Invalid request"),
            ("Hãy mở lại trang.", "Reopen the page."),
        );
    }
    let current = match catalog::procedure(&state.app, &code, None).await {
        Ok(p) => p,
        Err(_) => {
            return error_page(
                &auth,
                &path,
                StatusCode::NOT_FOUND,
                ("Không có thủ tục này", "No such procedure"),
                ("Kiểm tra lại mã thủ tục.", "Check the procedure code."),
            );
        }
    };
    if let Err(e) = catalog::authorize_procedures(
        &state.app,
        &auth.caller,
        std::slice::from_ref(&current.procedure),
    )
    .await
    {
        return super::app_error_page(&auth, &path, &e);
    }
    let mut p = current.procedure.clone();
    let mut errors = Vec::new();
    p.name = lienthong_domain::text::nfc(&get("name"));
    match get("working_days").replace(',', ".").trim().parse::<f64>() {
        Ok(d) => p.processing_time = ProcessingTime::WorkingDays(d),
        Err(_) => errors.push(FieldError::new(
            "working_days",
            "Thời hạn là một số ngày làm việc, ví dụ 5 hoặc 0,5.",
            "Give a number of working days, e.g. 5 or 0.5.",
        )),
    }
    match get("online_level").trim().parse::<u8>() {
        Ok(l) => p.online_level = l,
        Err(_) => errors.push(FieldError::new(
            "online_level",
            "Mức độ là một số từ 1 đến 4.",
            "The level is a number from 1 to 4.",
        )),
    }
    p.online_mode = match get("online_mode").as_str() {
        "full" => OnlineMode::Full,
        "partial" => OnlineMode::Partial,
        _ => OnlineMode::None,
    };
    match parse_fees(&get("fees")) {
        Ok(f) => p.fees = f,
        Err(e) => errors.push(e),
    }
    p.legal_basis = get("legal_basis")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(lienthong_domain::text::nfc)
        .collect();
    match serde_json::from_str(&get("form")) {
        Ok(f) => p.form = f,
        Err(e) => errors.push(FieldError {
            field: "form".into(),
            vi: format!("Biểu mẫu JSON không hợp lệ: {e}"),
            en: format!("Invalid form JSON: {e}"),
        }),
    }
    match get("valid_from").parse() {
        Ok(d) => p.valid_from = d,
        Err(_) => errors.push(FieldError::new(
            "valid_from",
            "Ngày hiệu lực có dạng năm-tháng-ngày.",
            "The date looks like 2026-12-01.",
        )),
    }
    let valid_from = get("valid_from");
    if errors.is_empty() {
        match catalog::import(
            &state.app,
            Some(&auth.caller),
            &auth.audit(),
            "office",
            std::slice::from_ref(&p),
        )
        .await
        {
            Ok(s) if s.versioned == 1 => {
                let msg = match auth.lang {
                    Lang::Vi => format!(
                        "Đã lưu phiên bản {} có hiệu lực từ {}.",
                        current.version + 1,
                        p.valid_from
                    ),
                    Lang::En => format!(
                        "Saved version {} in force from {}.",
                        current.version + 1,
                        p.valid_from
                    ),
                };
                return page(&auth, &p, current.version, &valid_from, &[], Some(msg));
            }
            Ok(_) => {
                return page(
                    &auth,
                    &p,
                    current.version,
                    &valid_from,
                    &[],
                    Some(
                        auth.lang
                            .pick("Không có thay đổi nào.", "Nothing changed.")
                            .to_owned(),
                    ),
                );
            }
            Err(AppError::Validation(e)) => errors.extend(e.into_iter().map(|mut f| {
                f.field = f
                    .field
                    .split("].")
                    .nth(1)
                    .unwrap_or(&f.field)
                    .split(['.', '['])
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                f
            })),
            Err(AppError::Forbidden) => {
                return error_page(
                    &auth,
                    &path,
                    StatusCode::FORBIDDEN,
                    ("Không có quyền", "Forbidden"),
                    (
                        "Thủ tục này do cơ quan khác quản lý.",
                        "Another agency manages this procedure.",
                    ),
                );
            }
            Err(AppError::Conflict(c)) => errors.push(FieldError {
                field: "valid_from".into(),
                vi: format!("Ngày hiệu lực phải sau phiên bản trước ({c})."),
                en: format!("The date must come after the previous version ({c})."),
            }),
            Err(e) => {
                tracing::error!(error = %e, "procedure save failed");
                return error_page(
                    &auth,
                    &path,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ("Lỗi hệ thống", "Internal error"),
                    ("Vui lòng thử lại sau.", "Please try again later."),
                );
            }
        }
    }
    page(&auth, &p, current.version, &valid_from, &errors, None)
}
