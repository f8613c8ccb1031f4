//! `POST /api/v1/dossiers/{code}/actions`: the actions of the one-stop workflow, as JSON or,
//! when files come with them (a supplement, an uploaded result), as multipart.

use axum::{
    Json,
    extract::{Multipart, Path, State},
    response::{IntoResponse, Response},
};
use lienthong_app::dossiers::UploadedFile;
use lienthong_domain::Lang;
use serde::Deserialize;
use utoipa::ToSchema;

use super::dossiers::{DossierOut, dossier_out, field_error, read_multipart};
use crate::{AppState, auth::Auth, problem::ApiError};

/// One item of a supplement request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemBody {
    /// A form field name or document slot.
    pub target: String,
    /// What is wrong or missing.
    pub reason: String,
}

/// An action on a dossier, with the fields of API-CONTRACT.md.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionBody {
    /// `accept`, `refuse`, `request_supplement`, `supplement`, `forward`, `send_back`,
    /// `transfer`, `approve`, `reject`, `apologize`, `return_result`, `withdraw` or `rate`.
    pub action: String,
    /// The `version` of the dossier the caller saw.
    pub version: i64,
    /// Note; the reason for `refuse`, `reject`, `send_back` and `withdraw`.
    #[serde(default)]
    pub note: Option<String>,
    /// `request_supplement`: the items to supplement.
    #[serde(default)]
    pub items: Vec<ItemBody>,
    /// `transfer`: the agency that processes its part.
    #[serde(default)]
    pub agency_code: Option<String>,
    /// `transfer`: working days the other agency has (default: up to the due date).
    #[serde(default)]
    pub working_days: Option<f64>,
    /// `apologize`: the new date, `YYYY-MM-DD`.
    #[serde(default)]
    pub new_due_date: Option<String>,
    /// `apologize`: the reason for the delay.
    #[serde(default)]
    pub reason: Option<String>,
    /// `return_result`: `desk`, `online` or `post`.
    #[serde(default)]
    pub channel: Option<String>,
    /// `return_result` by post: the postal tracking number.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// `rate`: 1 không hài lòng, 2 hài lòng, 3 rất hài lòng.
    #[serde(default)]
    pub rating: Option<i64>,
    /// `rate`: optional comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// `supplement`: corrected answers (only the requested fields).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, serde_json::Value>,
}

/// The multipart form of an action: an `action` JSON part and files named by document slot
/// (`supplement`) or `result` (an uploaded result for `approve`).
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the multipart body for OpenAPI")]
pub struct ActionForm {
    /// The action as JSON ([`ActionBody`]).
    action: String,
    /// Files.
    #[schema(value_type = Vec<String>, format = Binary)]
    files: Vec<Vec<u8>>,
}

/// Converts the body to the application's request.
pub fn action_request(
    body: ActionBody,
    mut files: Vec<UploadedFile>,
    lang: Lang,
) -> Result<lienthong_app::processing::ActionRequest, ApiError> {
    let action = lienthong_domain::workflow::DossierAction::parse(&body.action)
        .ok_or_else(|| field_error("action", "Thao tác không hợp lệ.", "Unknown action.", lang))?;
    let mut req = lienthong_app::processing::ActionRequest::new(action, body.version);
    req.note = body.note;
    req.items = body
        .items
        .into_iter()
        .map(|i| lienthong_app::processing::SupplementItem {
            target: i.target,
            reason: i.reason,
        })
        .collect();
    req.agency_code = body.agency_code;
    req.working_days = body.working_days;
    req.new_due_date = body.new_due_date;
    req.reason = body.reason;
    req.channel = body.channel;
    req.tracking_number = body.tracking_number;
    req.rating = body.rating;
    req.comment = body.comment;
    req.answers = body.answers;
    if let Some(i) = files.iter().position(|f| f.slot == "result") {
        req.result_file = Some(files.remove(i));
    }
    req.files = files;
    Ok(req)
}

/// Takes an action on a dossier (optimistic concurrency on `version`). The body is JSON, or
/// multipart when files come with it.
#[utoipa::path(post, path = "/api/v1/dossiers/{code}/actions", tag = "dossiers", security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code")),
    request_body(content(
        (ActionBody = "application/json"),
        (ActionForm = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = DossierOut),
        (status = 400, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn act(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    request: axum::extract::Request,
) -> Result<Json<DossierOut>, Response> {
    use axum::extract::FromRequest;
    let lang = auth.lang;
    let is_multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (body, files) = if is_multipart {
        let mp = Multipart::from_request(request, &()).await.map_err(|_| {
            field_error(
                "action",
                "Dữ liệu multipart không hợp lệ.",
                "Invalid multipart body.",
                lang,
            )
            .into_response()
        })?;
        let (body, files) = read_multipart::<ActionBody>(&state, lang, mp, "action")
            .await
            .map_err(IntoResponse::into_response)?;
        let body = body.ok_or_else(|| {
            field_error(
                "action",
                "Thiếu phần `action` (JSON).",
                "The `action` JSON part is missing.",
                lang,
            )
            .into_response()
        })?;
        (body, files)
    } else {
        let super::json::ApiJson(body) =
            super::json::ApiJson::<ActionBody>::from_request(request, &())
                .await
                .map_err(IntoResponse::into_response)?;
        (body, Vec::new())
    };
    let req = action_request(body, files, lang).map_err(IntoResponse::into_response)?;
    let view = lienthong_app::processing::act(&state.app, &auth.caller, &auth.audit(), &code, req)
        .await
        .map_err(|e| ApiError(e, lang).into_response())?;
    Ok(Json(dossier_out(view)))
}

/// The JSON part of a dossier registered at the desk.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeskBody {
    /// Procedure code.
    pub procedure_code: String,
    /// Receiving agency code.
    pub agency_code: String,
    /// `direct` (brought in person) or `postal`.
    pub channel: String,
    /// Answers keyed by question name (`applicant_name` required).
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, serde_json::Value>,
}

/// The multipart request: a `dossier` JSON part ([`DeskBody`]) and one part per file.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the multipart body for OpenAPI")]
pub struct DeskForm {
    /// The dossier as JSON.
    dossier: String,
    /// Files named by document slot.
    #[schema(value_type = Vec<String>, format = Binary)]
    files: Vec<Vec<u8>>,
}

/// Registers at the one-stop desk a dossier brought in person or by post; it is accepted at
/// once and its receipt can be printed. Reception officials of the receiving agency.
#[utoipa::path(post, path = "/api/v1/desk/dossiers", tag = "dossiers", security(("bearer" = [])),
    request_body(content = DeskForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = DossierOut),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn register_at_desk(
    State(state): State<AppState>,
    auth: Auth,
    multipart: Multipart,
) -> Result<(axum::http::StatusCode, Json<DossierOut>), ApiError> {
    let lang = auth.lang;
    // Officials only, before the upload is read; the use case checks the desk and agency.
    lienthong_app::authz::authorize(&auth.caller, lienthong_app::authz::Action::UseOffice, None)
        .map_err(|e| ApiError(e, lang))?;
    let (body, files) = read_multipart::<DeskBody>(&state, lang, multipart, "dossier").await?;
    let body = body.ok_or_else(|| {
        field_error(
            "dossier",
            "Thiếu phần `dossier` (JSON) của hồ sơ.",
            "The `dossier` JSON part is missing.",
            lang,
        )
    })?;
    let channel = match body.channel.as_str() {
        "direct" => lienthong_domain::dossier::Channel::Direct,
        "postal" => lienthong_domain::dossier::Channel::Postal,
        _ => {
            return Err(field_error(
                "channel",
                "Hình thức nộp: direct (trực tiếp) hoặc postal (bưu chính).",
                "Channel: direct or postal.",
                lang,
            ));
        }
    };
    let submission = lienthong_app::dossiers::Submission {
        procedure_code: body.procedure_code,
        agency_code: body.agency_code,
        answers: body.answers,
        files,
        idempotency_key: None,
    };
    let view = lienthong_app::dossiers::register_at_desk(
        &state.app,
        &auth.caller,
        &auth.audit(),
        submission,
        channel,
    )
    .await
    .map_err(|e| ApiError(e, lang))?;
    Ok((axum::http::StatusCode::CREATED, Json(dossier_out(view))))
}
