//! A JSON body extractor whose rejections are problem+json in the caller's language.

use axum::{
    extract::{FromRequest, Request, rejection::JsonRejection},
    http::StatusCode,
};
use lienthong_domain::Lang;
use serde::de::DeserializeOwned;

use crate::{locale::lang_of, problem::Problem};

/// `axum::Json` with RFC 9457 rejections: 400 for malformed JSON or wrong fields, 413 for an
/// oversized body, 415 for a missing `Content-Type: application/json`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let lang = lang_of(&parts);
        let req = Request::from_parts(parts, body);
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_problem(&rejection, lang)),
        }
    }
}

fn json_problem(rejection: &JsonRejection, lang: Lang) -> Problem {
    let status = rejection.status();
    let detail_en = rejection.body_text();
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            status,
            "too-large",
            lang,
            ("Dữ liệu gửi lên quá lớn", "Request body too large"),
            (
                "Nội dung vượt quá giới hạn cho phép.",
                "The body exceeds the allowed size.",
            ),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::new(
            status,
            "media-type",
            lang,
            ("Sai kiểu nội dung", "Unsupported media type"),
            (
                "Cần gửi JSON với Content-Type: application/json.",
                "Send JSON with Content-Type: application/json.",
            ),
        ),
        _ => {
            let vi = format!("Nội dung JSON không hợp lệ: {detail_en}");
            Problem::new(
                StatusCode::BAD_REQUEST,
                "malformed-json",
                lang,
                ("JSON không hợp lệ", "Malformed JSON"),
                (&vi, &detail_en),
            )
        }
    }
}
