//! Cross-cutting layers: security headers, metrics and access logs, panic answers.

use std::{sync::OnceLock, time::Instant};

use axum::{
    body::Body,
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use lienthong_domain::Lang;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::{AppState, problem::Problem};

/// The process-wide Prometheus recorder (installed once).
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ])
                .map(PrometheusBuilder::build_recorder)
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts requests and their latency per route, and writes one access-log line per request
/// (method, route template, status, duration, request id — never query strings or bodies).
pub async fn observe(State(_state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let res = next.run(req).await;
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    let labels = [
        ("method", method.to_string()),
        ("route", route.clone()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(elapsed.as_secs_f64());
    if route != "/healthz" && route != "/metrics" {
        tracing::info!(
            target: "access",
            method = %method,
            route = %route,
            status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            request_id = %request_id,
        );
    }
    res
}

/// Adds the security headers every answer carries.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "same-origin");
    set(h, "x-frame-options", "DENY");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    if state.settings.hsts {
        set(
            h,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    res
}

/// Answer given when a handler panicked: a problem in Vietnamese, nothing of the panic text.
pub fn panic_response(_err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    tracing::error!("handler panicked");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        Lang::Vi,
        ("Lỗi hệ thống", "Internal error"),
        (
            "Hệ thống gặp sự cố. Dữ liệu đã lưu không bị ảnh hưởng; vui lòng thử lại sau.",
            "",
        ),
    )
    .into_response()
}

/// Answers every API error as problem+json: the rejections of extractors (a malformed query,
/// path or body), the body limit and the request timeout otherwise come as plain text.
pub async fn api_problems(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let api = parts.uri.path().starts_with("/api/") && parts.uri.path() != "/api/openapi.json";
    if !api {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let lang = crate::locale::lang_of(&parts);
    let res = next.run(Request::from_parts(parts, body)).await;
    let status = res.status();
    let problem_already = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/problem+json"));
    if problem_already || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (slug, title, detail) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "too-large",
            ("Dữ liệu quá lớn", "Payload too large"),
            (
                "Yêu cầu vượt quá dung lượng cho phép.",
                "The request is larger than allowed.",
            ),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "media-type",
            ("Sai kiểu nội dung", "Unsupported media type"),
            (
                "Kiểu nội dung (Content-Type) của yêu cầu không được hỗ trợ.",
                "The Content-Type of the request is not supported.",
            ),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "timeout",
            ("Quá thời gian", "Request timeout"),
            (
                "Yêu cầu không hoàn tất kịp thời; vui lòng thử lại.",
                "The request did not complete in time; please try again.",
            ),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method",
            ("Phương thức không được hỗ trợ", "Method not allowed"),
            (
                "Đường dẫn này không nhận phương thức HTTP đã dùng.",
                "This path does not accept the HTTP method used.",
            ),
        ),
        s if s.is_server_error() => (
            "internal",
            ("Lỗi hệ thống", "Internal error"),
            (
                "Hệ thống gặp sự cố. Dữ liệu đã lưu không bị ảnh hưởng; vui lòng thử lại sau.",
                "The system hit a problem. Saved data is unaffected; please try again later.",
            ),
        ),
        _ => (
            "bad-request",
            ("Yêu cầu không hợp lệ", "Bad request"),
            (
                "Không đọc được tham số hoặc nội dung của yêu cầu.",
                "The parameters or body of the request could not be read.",
            ),
        ),
    };
    let mut answer = Problem::new(status, slug, lang, title, detail).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = res.headers().get(&name) {
            answer.headers_mut().insert(name, v.clone());
        }
    }
    answer
}
