//! Processing endpoints besides actions: issued documents (result, notices), the control
//! sheet (Mẫu 05), the desk register (Mẫu 06), work queues and workflow definitions.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use jiff::civil::Date;
use lienthong_app::processing::{
    queue::{self, QueueScope},
    registers,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dossiers::{field_error, rfc3339};
use crate::{AppState, auth::Auth, problem::ApiError};

fn safe(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect()
}

/// A file response, shown inline, never cached by shared caches.
pub(crate) fn file(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}\"", safe(name)),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// The result document once issued (signed by the issuer moments after the approval).
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/result.pdf", tag = "dossiers", security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code")),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Approved; the result is being signed and issued", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn result(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let (name, bytes) = registers::document(&state.app, &auth.caller, &code, "result")
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok(file("application/pdf", &name, bytes))
}

/// A document issued for the dossier (supplement request, refusal, apology, result…).
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/documents/{id}", tag = "dossiers", security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code"), ("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The document is being signed and issued", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn document(
    State(state): State<AppState>,
    auth: Auth,
    Path((code, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (name, bytes) = registers::document(&state.app, &auth.caller, &code, &id)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok(file("application/pdf", &name, bytes))
}

/// The control sheet (Mẫu 05): every hand-over with its agency, step, times and timeliness.
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/control-sheet.pdf", tag = "dossiers", security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code")),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn control_sheet(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let bytes = registers::control_sheet_pdf(&state.app, &auth.caller, &code)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok(file(
        "application/pdf",
        &format!("phieu-kiem-soat-{code}.pdf"),
        bytes,
    ))
}

/// Period and format of the desk register.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RegisterQuery {
    /// First day, `YYYY-MM-DD`.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[serde(default)]
    pub to: Option<String>,
    /// `json` (default), `pdf` or `xlsx`.
    #[serde(default)]
    pub format: Option<String>,
}

/// One register line.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterOut {
    /// Dossier code.
    pub code: String,
    /// Procedure code.
    pub procedure_code: String,
    /// Applicant.
    pub applicant_name: String,
    /// Received (local time).
    pub received: String,
    /// Channel.
    pub channel: String,
    /// Due date.
    pub due_date: String,
    /// Status.
    pub status: String,
    /// Returned (local time).
    pub returned: String,
}

/// The register's lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterList {
    /// Lines in order of receipt.
    pub items: Vec<RegisterOut>,
}

/// The one-stop desk register (Mẫu 06) of an agency for a period, as JSON, PDF or XLSX.
#[utoipa::path(get, path = "/api/v1/agencies/{code}/register", tag = "dossiers", security(("bearer" = [])),
    params(("code" = String, Path, description = "Agency code"), RegisterQuery),
    responses(
        (status = 200, body = RegisterList),
        (status = 400, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn register(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(q): Query<RegisterQuery>,
) -> Result<Response, ApiError> {
    let lang = auth.lang;
    // Officials only, before the query is checked; the use case checks the agency.
    lienthong_app::authz::authorize(&auth.caller, lienthong_app::authz::Action::UseOffice, None)
        .map_err(|e| ApiError(e, lang))?;
    let parse = |d: &Option<String>| d.as_deref().and_then(|d| d.parse::<Date>().ok());
    let (Some(from), Some(to)) = (parse(&q.from), parse(&q.to)) else {
        return Err(field_error(
            "from",
            "Ngày có dạng NNNN-TT-NN.",
            "Dates have the form YYYY-MM-DD.",
            lang,
        ));
    };
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "pdf" | "xlsx") {
        return Err(field_error(
            "format",
            "Định dạng: json, pdf hoặc xlsx.",
            "Format: json, pdf or xlsx.",
            lang,
        ));
    }
    let rows = registers::desk_register(&state.app, &auth.caller, &code, from, to)
        .await
        .map_err(|e| ApiError(e, lang))?;
    let agency_name = lienthong_app::org::agencies(&state.app, None, Some(&code), None)
        .await
        .ok()
        .and_then(|v| v.into_iter().find(|a| a.code == code))
        .map_or_else(|| code.clone(), |a| a.name);
    let name = format!("so-theo-doi-{code}-{from}-{to}");
    Ok(match format {
        "pdf" => file(
            "application/pdf",
            &format!("{name}.pdf"),
            registers::register_pdf(&agency_name, from, to, &rows)
                .map_err(|e| ApiError(e, lang))?,
        ),
        "xlsx" => file(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{name}.xlsx"),
            registers::register_xlsx(&agency_name, from, to, &rows)
                .map_err(|e| ApiError(e, lang))?,
        ),
        _ => Json(RegisterList {
            items: rows
                .into_iter()
                .map(|r| RegisterOut {
                    code: r.code,
                    procedure_code: r.procedure_code,
                    applicant_name: r.applicant_name,
                    received: r.received,
                    channel: r.channel,
                    due_date: r.due_date,
                    status: r.status,
                    returned: r.returned,
                })
                .collect(),
        })
        .into_response(),
    })
}

/// Which queue and page.
#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueQuery {
    /// `mine` (default): waiting for my roles; `unit`: held by my agencies.
    #[serde(default)]
    pub scope: Option<String>,
    /// Code prefix, applicant name or procedure code.
    #[serde(default)]
    pub q: Option<String>,
    /// Page from 0.
    #[serde(default)]
    pub page: Option<i64>,
}

/// One queue row.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueRowOut {
    /// Dossier code.
    pub code: String,
    /// Procedure name.
    pub procedure_name: String,
    /// Applicant.
    pub applicant_name: String,
    /// Status.
    pub status: String,
    /// Due date.
    pub due_date: Option<String>,
    /// When the holder must act by (RFC 3339).
    pub attention_at: Option<String>,
    /// Current step.
    pub current_step: Option<String>,
    /// Past due.
    pub overdue: bool,
    /// Due within a working day.
    pub at_risk: bool,
    /// No transition for longer than the configured working hours.
    pub stale: bool,
}

/// A queue page.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueOut {
    /// Rows, most urgent first.
    pub items: Vec<QueueRowOut>,
}

/// The caller's work queue, most urgent first.
#[utoipa::path(get, path = "/api/v1/queue", tag = "dossiers", security(("bearer" = [])),
    params(QueueQuery),
    responses(
        (status = 200, body = QueueOut),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn work_queue(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<QueueQuery>,
) -> Result<Json<QueueOut>, ApiError> {
    let scope = match q.scope.as_deref() {
        Some("unit") => QueueScope::Unit,
        _ => QueueScope::Mine,
    };
    let items = queue::queue(
        &state.app,
        &auth.caller,
        scope,
        q.q.as_deref(),
        q.page.unwrap_or(0),
    )
    .await
    .map_err(|e| ApiError(e, auth.lang))?;
    Ok(Json(QueueOut {
        items: items.into_iter().map(queue_row).collect(),
    }))
}

/// A queue item as the API shows it.
pub fn queue_row(i: queue::QueueItem) -> QueueRowOut {
    QueueRowOut {
        code: i.row.code,
        procedure_name: i.procedure_name,
        applicant_name: i.row.applicant_name,
        status: i.status.as_str().to_owned(),
        due_date: i.row.due_date,
        attention_at: i.row.state.attention_at.map(rfc3339),
        current_step: i.row.state.current_step,
        overdue: i.overdue,
        at_risk: i.at_risk,
        stale: i.stale,
    }
}

/// A workflow definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowOut {
    /// Name procedures refer to.
    pub name: String,
    /// Version id.
    pub id: String,
    /// TOML source.
    pub definition: String,
}

/// Current workflow definitions.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowList {
    /// Definitions by name.
    pub items: Vec<WorkflowOut>,
}

/// The current workflow definitions.
#[utoipa::path(get, path = "/api/v1/workflows", tag = "catalog", security(("bearer" = [])),
    responses(
        (status = 200, body = WorkflowList),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn workflows(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<WorkflowList>, ApiError> {
    lienthong_app::authz::authorize(&auth.caller, lienthong_app::authz::Action::UseOffice, None)
        .map_err(|e| ApiError(e, auth.lang))?;
    if auth.caller.principal().is_none() {
        return Err(ApiError(
            lienthong_app::AppError::Unauthenticated,
            auth.lang,
        ));
    }
    let rows = lienthong_app::workflows::list(&state.app)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok(Json(WorkflowList {
        items: rows
            .into_iter()
            .map(|r| WorkflowOut {
                name: r.name,
                id: r.id,
                definition: r.definition,
            })
            .collect(),
    }))
}

/// Saves a new version of a workflow (TOML in the body). Invalid definitions are refused
/// with the offending line.
#[utoipa::path(put, path = "/api/v1/workflows/{name}", tag = "catalog", security(("bearer" = [])),
    params(("name" = String, Path, description = "Workflow name")),
    request_body(content = String, content_type = "application/toml"),
    responses(
        (status = 200, body = WorkflowOut),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn save_workflow(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<WorkflowOut>, ApiError> {
    let lang = auth.lang;
    let text = std::str::from_utf8(&body).map_err(|_| {
        field_error(
            "definition",
            "Định nghĩa phải là văn bản UTF-8.",
            "The definition must be UTF-8 text.",
            lang,
        )
    })?;
    let row = lienthong_app::workflows::save(&state.app, &auth.caller, &auth.audit(), &name, text)
        .await
        .map_err(|e| ApiError(e, lang))?;
    Ok(Json(WorkflowOut {
        name: row.name,
        id: row.id,
        definition: row.definition,
    }))
}
