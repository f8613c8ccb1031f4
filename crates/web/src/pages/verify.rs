//! `/verify`: the public page that checks signatures — of an issued document reached from
//! the QR code printed on it, or of a file anyone uploads (a signed PDF, or any file with its
//! detached `.p7s`). Works without JavaScript; shows no personal data.

use askama::Template;
use axum::{
    extract::{Multipart, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use lienthong_app::{AppError, signatures};
use serde::Deserialize;

use super::{Layout, error_page, render};
use crate::{
    AppState,
    api::signatures::{VerifyOut, read_verify_parts, report_out},
    auth::Auth,
};

/// `?document=` from the QR code.
#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    /// Id of an issued document.
    #[serde(default)]
    pub document: Option<String>,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    layout: Layout,
    /// What was checked (document kind and date, or the uploaded file).
    subject: Option<String>,
    report: Option<VerifyOut>,
    error: Option<String>,
}

fn page(
    auth: &Auth,
    status: StatusCode,
    subject: Option<String>,
    report: Option<VerifyOut>,
    error: Option<String>,
) -> Response {
    render(
        status,
        &VerifyPage {
            layout: Layout::new(
                auth,
                "/verify",
                auth.lang
                    .pick("Kiểm tra chữ ký số", "Check digital signatures"),
            ),
            subject,
            report,
            error,
        },
    )
}

fn kind_label(kind: &str, auth: &Auth) -> &'static str {
    match kind {
        "result" => auth.lang.pick(
            "Kết quả giải quyết thủ tục hành chính",
            "Result of an administrative procedure",
        ),
        "receipt" => auth.lang.pick("Giấy tiếp nhận hồ sơ", "Receipt"),
        _ => auth.lang.pick(
            "Văn bản do cơ quan phát hành",
            "Document issued by an agency",
        ),
    }
}

fn failure(auth: &Auth, e: &AppError) -> Response {
    match e {
        AppError::NotFound(_) => page(
            auth,
            StatusCode::NOT_FOUND,
            None,
            None,
            Some(
                auth.lang
                    .pick(
                        "Không tìm thấy văn bản có mã này.",
                        "No document has this code.",
                    )
                    .into(),
            ),
        ),
        AppError::Validation(fields) => page(
            auth,
            StatusCode::BAD_REQUEST,
            None,
            None,
            Some(
                fields
                    .iter()
                    .map(|f| f.message(auth.lang).to_owned())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        ),
        _ => error_page(
            auth,
            "/verify",
            StatusCode::INTERNAL_SERVER_ERROR,
            ("Lỗi hệ thống", "Server error"),
            (
                "Không kiểm tra được lúc này, xin thử lại sau.",
                "The check failed; please try again later.",
            ),
        ),
    }
}

/// `GET /verify[?document=id]`.
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<VerifyQuery>,
) -> Response {
    let Some(id) = q.document.filter(|d| !d.trim().is_empty()) else {
        return page(&auth, StatusCode::OK, None, None, None);
    };
    if id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return failure(&auth, &AppError::NotFound(id));
    }
    match signatures::verify_issued(&state.app, &id).await {
        Ok((doc, report)) => {
            let when = lienthong_domain::clock::from_micros(doc.created_at)
                .to_zoned(lienthong_domain::clock::business_tz())
                .strftime("%d/%m/%Y %H:%M")
                .to_string();
            let subject = format!(
                "{} — {} {when} — SHA-256 {}",
                kind_label(&doc.kind, &auth),
                auth.lang.pick("phát hành", "issued"),
                doc.sha256
            );
            page(
                &auth,
                StatusCode::OK,
                Some(subject),
                Some(report_out(&report, auth.lang)),
                None,
            )
        }
        Err(e) => failure(&auth, &e),
    }
}

/// `POST /verify` (multipart `file`, optional `signature`).
pub async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    if !crate::csrf::same_origin(&headers) {
        return failure(&auth, &AppError::Forbidden);
    }
    let (file, signature) = match read_verify_parts(auth.lang, multipart).await {
        Ok(parts) => parts,
        Err(e) => return failure(&auth, &e.0),
    };
    match signatures::verify_file(&state.app, &file, signature.as_deref()).await {
        Ok(report) => {
            let subject = format!(
                "{} ({} bytes) — SHA-256 {}",
                auth.lang.pick("Tệp đã tải lên", "Uploaded file"),
                file.len(),
                lienthong_sign::crypto::sha256_hex(&file)
            );
            page(
                &auth,
                StatusCode::OK,
                Some(subject),
                Some(report_out(&report, auth.lang)),
                None,
            )
        }
        Err(e) => failure(&auth, &e),
    }
}
