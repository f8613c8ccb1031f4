//! Operations endpoints.

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

/// Liveness or readiness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when a dependency does not answer.
    pub status: &'static str,
}

/// The process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, body = Health), (status = 503, body = Health)
))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.app.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(Health { status: "ok" })),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable",
            }),
        ),
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, content_type = "text/plain", body = String)
))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // Documents actions issued that are not signed and attached yet, and those failing.
    if let Ok((waiting, failing)) = lienthong_app::processing::issuer::backlog(&state.app).await {
        metrics::gauge!("lienthong_documents_waiting").set(waiting as f64);
        metrics::gauge!("lienthong_documents_failing").set(failing as f64);
    }
    // The single SQLite writer: batches (one fsync each), writers they carried, time held.
    if let Some(g) = state.app.db.group_commits() {
        metrics::counter!("lienthong_writer_batches_total").absolute(g.batches);
        metrics::counter!("lienthong_writer_commits_total").absolute(g.writers);
        metrics::gauge!("lienthong_writer_held_seconds_total").set(g.held_seconds);
        metrics::gauge!("lienthong_writer_commit_seconds_total").set(g.commit_seconds);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
