//! The HTTP surface of lienthong.
//!
//! Server-rendered pages for citizens (portal) and officials (office) that work without
//! JavaScript, the JSON API described by an OpenAPI 3.1 document generated from the code, and
//! the operations endpoints. Authentication and authorization decisions are taken by the
//! application layer; this crate only extracts who is calling and maps errors to answers.

mod api;
mod auth;
mod csrf;
mod locale;
mod middleware;
mod pages;
mod permissions;
mod problem;
mod ratelimit;
mod state;

pub use permissions::{Permission, ROUTES, RouteSpec};
pub use problem::Problem;
pub use state::{AppState, SharedState, WebSettings};

use axum::{Router, extract::DefaultBodyLimit};
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
};

/// The OpenAPI 3.1 document of every `/api` route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::router_and_spec().1
}

/// The OpenAPI document as pretty JSON, the form committed to the repository.
pub fn openapi_json() -> String {
    openapi().to_pretty_json().unwrap_or_default()
}

/// Builds the whole application router.
pub fn router(state: AppState) -> Router {
    let (api_router, spec) = api::router_and_spec();
    let spec = std::sync::Arc::new(spec);
    let max_body = state.settings.max_body_bytes;
    let timeout = state.settings.request_timeout;
    Router::new()
        .merge(api_router)
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let spec = spec.clone();
                async move { axum::Json(spec.as_ref().clone()) }
            }),
        )
        .merge(pages::router())
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::from_fn(middleware::api_problems))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
