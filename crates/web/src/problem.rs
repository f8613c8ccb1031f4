//! RFC 9457 problem details, in the caller's language.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use lienthong_app::AppError;
use lienthong_domain::Lang;
use serde::Serialize;
use utoipa::ToSchema;

/// A problem with one field of the input.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// Name of the field.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An `application/problem+json` answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Explanation of this occurrence.
    pub detail: String,
    /// Field errors of a validation problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// Seconds to wait before retrying (rate limits).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem of kind `slug` with texts in `lang`.
    pub fn new(
        status: StatusCode,
        slug: &str,
        lang: Lang,
        title: (&str, &str),
        detail: (&str, &str),
    ) -> Self {
        Problem {
            kind: format!("urn:lienthong:problem:{slug}"),
            title: lang.pick(title.0, title.1).to_owned(),
            status: status.as_u16(),
            detail: lang.pick(detail.0, detail.1).to_owned(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// The problem describing `e`, in `lang`.
    pub fn from_app(e: &AppError, lang: Lang) -> Self {
        match e {
            AppError::Validation(fields) => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    lang,
                    ("Dữ liệu không hợp lệ", "Invalid input"),
                    (
                        "Vui lòng sửa các trường được nêu.",
                        "Please correct the fields listed.",
                    ),
                );
                p.errors = fields
                    .iter()
                    .map(|f| ProblemField {
                        field: f.field.clone(),
                        message: f.message(lang).to_owned(),
                    })
                    .collect();
                p
            }
            AppError::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                lang,
                ("Chưa xác thực", "Not authenticated"),
                (
                    "Tên đăng nhập hoặc mật khẩu không đúng, hoặc phiên đã hết hạn.",
                    "Wrong username or password, or the session has expired.",
                ),
            ),
            AppError::Forbidden => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                lang,
                ("Không có quyền", "Forbidden"),
                (
                    "Tài khoản của bạn không được phép thực hiện thao tác này.",
                    "Your account may not take this action.",
                ),
            ),
            AppError::NotFound(_) => Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                lang,
                ("Không tìm thấy", "Not found"),
                (
                    "Không có dữ liệu với mã đã cho.",
                    "Nothing exists with the given identifier.",
                ),
            ),
            AppError::Conflict(what) => {
                let mut p = Problem::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    lang,
                    ("Xung đột dữ liệu", "Conflict"),
                    (
                        "Dữ liệu đã tồn tại hoặc đã được thay đổi.",
                        "The data already exists or has changed.",
                    ),
                );
                p.detail = format!("{} ({what})", p.detail);
                p
            }
            AppError::NotNow { vi, en } => Problem::new(
                StatusCode::CONFLICT,
                "not-now",
                lang,
                ("Không thực hiện được lúc này", "Not possible now"),
                (vi, en),
            ),
            AppError::RateLimited { retry_after_secs } => {
                let minutes = (retry_after_secs + 59) / 60;
                let vi = format!(
                    "Bạn đã thử quá nhiều lần. Vui lòng thử lại sau khoảng {minutes} phút."
                );
                let en =
                    format!("Too many attempts. Please try again in about {minutes} minute(s).");
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    lang,
                    ("Quá nhiều yêu cầu", "Too many requests"),
                    (&vi, &en),
                );
                p.retry_after = u64::try_from(*retry_after_secs).ok();
                p
            }
            AppError::Import { .. } => {
                let text = e.to_string();
                Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "import",
                    lang,
                    ("Tệp nhập không hợp lệ", "Invalid import file"),
                    (&text, &text),
                )
            }
            AppError::Store(_) | AppError::Internal(_) => {
                tracing::error!(error = %lienthong_domain::redact::redact(&e.to_string()), "request failed");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    lang,
                    ("Lỗi hệ thống", "Internal error"),
                    (
                        "Hệ thống gặp sự cố. Dữ liệu đã lưu không bị ảnh hưởng; vui lòng thử lại sau.",
                        "The system hit a problem. Saved data is unaffected; please try again later.",
                    ),
                )
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = self.retry_after;
        let mut res = (status, Json(self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = retry
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// An application error to be answered as problem+json in a language.
pub struct ApiError(pub AppError, pub Lang);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        Problem::from_app(&self.0, self.1).into_response()
    }
}
