//! `POST /api/v1/dossiers`, `GET /api/v1/dossiers/{code}`, `GET /api/v1/tracking`.

use axum::{
    Json,
    extract::{Multipart, Path, Query, State},
    http::{HeaderMap, StatusCode},
};
use lienthong_app::{
    AppError, FieldError,
    authz::{self, Action},
    blobs::UploadProblem,
    dossiers::{self, DossierView, Submission, UploadedFile},
};
use lienthong_domain::{Lang, clock::from_micros, dossier::safe_file_name, form::is_identifier};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{AppState, auth::Auth, problem::ApiError};

/// RFC 3339 in Vietnam time.
pub fn rfc3339(us: i64) -> String {
    from_micros(us)
        .to_zoned(lienthong_domain::clock::business_tz())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// The JSON part named `dossier`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// Procedure code.
    pub procedure_code: String,
    /// Receiving agency code.
    pub agency_code: String,
    /// Answers keyed by question name.
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, serde_json::Value>,
}

/// The multipart request: a `dossier` JSON part and one part per file, named by its slot.
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "documents the multipart body for OpenAPI")]
pub struct SubmitForm {
    /// JSON `{"procedure_code","agency_code","answers"}`.
    pub dossier: String,
    /// One file part per document slot (name = slot), PDF, JPEG or PNG.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// One history entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOut {
    /// RFC 3339.
    pub at: String,
    /// Who acted (name as shown).
    pub actor: String,
    /// Action name.
    pub action: String,
    /// Status after it.
    pub status: String,
    /// Reason or note.
    pub note: Option<String>,
}

/// A file of a dossier.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileOut {
    /// Document slot.
    pub slot: String,
    /// File name.
    pub file_name: String,
    /// Sniffed media type.
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the content.
    pub sha256: String,
}

/// A dossier.
#[derive(Debug, Serialize, ToSchema)]
pub struct DossierOut {
    /// National dossier code.
    pub code: String,
    /// Procedure code.
    pub procedure_code: String,
    /// Procedure name.
    pub procedure_name: String,
    /// Receiving agency code.
    pub agency_code: String,
    /// Agency name at receipt.
    pub agency_name: String,
    /// Status name.
    pub status: String,
    /// National status code 1–10.
    pub dvcqg_status: u8,
    /// RFC 3339.
    pub received_at: String,
    /// Due date once fixed at acceptance.
    pub due_date: Option<String>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Current workflow step id.
    pub current_step: Option<String>,
    /// Name of the current step.
    pub step_name: Option<String>,
    /// Agency holding the dossier now (none once closed).
    pub handling_agency_code: Option<String>,
    /// Supplement rounds so far.
    pub supplement_rounds: i64,
    /// What the applicant must supplement now (the open round), if any.
    pub supplement_items: Vec<SupplementItemOut>,
    /// Documents issued for the dossier.
    pub documents: Vec<DocumentOut>,
    /// How the result was returned (`desk`, `online`, `post`).
    pub return_channel: Option<String>,
    /// Postal tracking number of the result.
    pub tracking_number: Option<String>,
    /// The applicant's rating, 1–3, once given.
    pub rating: Option<i64>,
    /// Actions the caller may take now.
    pub allowed_actions: Vec<String>,
    /// Files.
    pub files: Vec<FileOut>,
    /// History.
    pub history: Vec<HistoryOut>,
}

/// An item the applicant must supplement.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplementItemOut {
    /// Field name or document slot.
    pub target: String,
    /// Why.
    pub reason: String,
}

/// A document issued for a dossier.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentOut {
    /// Id.
    pub id: String,
    /// `supplement_request`, `refusal`, `apology`, `rejection` or `result`.
    pub kind: String,
    /// File name.
    pub file_name: String,
    /// Issued (RFC 3339).
    pub issued_at: String,
    /// Download path.
    pub url: String,
}

/// The dossier as the API shows it.
pub fn dossier_out(v: DossierView) -> DossierOut {
    let code = v.row.code.clone();
    DossierOut {
        code: v.row.code,
        procedure_code: v.row.procedure_code,
        procedure_name: v.procedure_name,
        agency_code: v.row.agency_code,
        agency_name: v.agency_name,
        status: v.status.as_str().to_owned(),
        dvcqg_status: v.status.dvcqg_code(),
        received_at: rfc3339(v.row.received_at),
        due_date: v.row.due_date,
        version: v.row.version,
        current_step: v.row.state.current_step.clone(),
        step_name: v.step_name.clone(),
        handling_agency_code: v.row.state.handling_agency_code.clone(),
        supplement_rounds: v.row.state.supplement_rounds,
        supplement_items: v
            .supplements
            .iter()
            .rev()
            .find(|r| r.answered_at.is_none())
            .and_then(|r| {
                serde_json::from_str::<Vec<lienthong_app::processing::SupplementItem>>(&r.items)
                    .ok()
            })
            .unwrap_or_default()
            .into_iter()
            .map(|i| SupplementItemOut {
                target: i.target,
                reason: i.reason,
            })
            .collect(),
        documents: v
            .documents
            .iter()
            .map(|d| DocumentOut {
                id: d.id.clone(),
                kind: d.kind.clone(),
                file_name: d.file_name.clone(),
                issued_at: rfc3339(d.created_at),
                url: format!("/api/v1/dossiers/{code}/documents/{}", d.id),
            })
            .collect(),
        return_channel: v.row.state.return_channel.clone(),
        tracking_number: v.row.state.tracking_number.clone(),
        rating: v.row.state.rating,
        allowed_actions: v.allowed_actions,
        files: v
            .files
            .into_iter()
            .map(|f| FileOut {
                slot: f.slot,
                file_name: f.file_name,
                media_type: f.media_type,
                size: f.size,
                sha256: f.sha256,
            })
            .collect(),
        history: v
            .history
            .into_iter()
            .map(|h| HistoryOut {
                at: rfc3339(h.at),
                actor: h.actor_name,
                action: h.action,
                status: h.status,
                note: h.note,
            })
            .collect(),
    }
}

pub(crate) fn field_error(slot: &str, vi: &str, en: &str, lang: Lang) -> ApiError {
    ApiError(
        AppError::Validation(vec![FieldError::new(slot, vi, en)]),
        lang,
    )
}

fn upload_error(slot: &str, p: UploadProblem, lang: Lang) -> ApiError {
    match p {
        UploadProblem::TooLarge(max) => {
            let mb = max / (1024 * 1024);
            ApiError(
                AppError::Validation(vec![FieldError {
                    field: slot.to_owned(),
                    vi: format!(
                        "Tệp quá lớn: tối đa {mb} MB mỗi tệp (và 100 MB cho cả hồ sơ). Hãy chụp với độ phân giải thấp hơn hoặc nén PDF."
                    ),
                    en: format!(
                        "File too large: at most {mb} MB per file (and 100 MB per dossier). Use a lower resolution or compress the PDF."
                    ),
                }]),
                lang,
            )
        }
        UploadProblem::Empty => field_error(
            slot,
            "Tệp rỗng (0 byte). Hãy chọn lại tệp.",
            "The file is empty (0 bytes). Choose the file again.",
            lang,
        ),
    }
}

/// Reads a multipart body: one JSON part named `json_part` and streamed file parts, each
/// named by its document slot.
pub async fn read_multipart<T: serde::de::DeserializeOwned>(
    state: &AppState,
    lang: Lang,
    multipart: Multipart,
    json_part: &str,
) -> Result<(Option<T>, Vec<UploadedFile>), ApiError> {
    let (texts, files) = read_parts(state, lang, multipart, |n, _| n == json_part).await?;
    let Some((_, bytes)) = texts.into_iter().find(|(n, _)| n == json_part) else {
        return Ok((None, files));
    };
    let parsed: T = serde_json::from_slice(bytes.as_bytes()).map_err(|e| {
        ApiError(
            AppError::Validation(vec![FieldError {
                field: json_part.into(),
                vi: format!("JSON không hợp lệ: {e}"),
                en: format!("Invalid JSON: {e}"),
            }]),
            lang,
        )
    })?;
    Ok((Some(parsed), files))
}

/// Reads a multipart body: the parts `is_text(name, has_file_name)` calls text (at most 1 MB
/// each), the others streamed into the file store as files named by their document slot. A
/// file input left empty by a browser (no name, no content) is skipped.
pub async fn read_parts(
    state: &AppState,
    lang: Lang,
    mut multipart: Multipart,
    is_text: impl Fn(&str, bool) -> bool,
) -> Result<(Vec<(String, String)>, Vec<UploadedFile>), ApiError> {
    let malformed = |e: axum::extract::multipart::MultipartError| {
        tracing::info!(error = %e, "malformed multipart body");
        field_error(
            "dossier",
            "Dữ liệu gửi lên không đúng dạng multipart/form-data.",
            "The body is not valid multipart/form-data.",
            lang,
        )
    };
    let limits = state.app.uploads;
    let mut texts = Vec::new();
    let mut files = Vec::new();
    let mut total: u64 = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if is_text(&name, field.file_name().is_some()) {
            let bytes = field.bytes().await.map_err(malformed)?;
            if bytes.len() > 1024 * 1024 || texts.len() >= 200 {
                return Err(field_error(
                    &name,
                    "Phần dữ liệu quá lớn (tối đa 1 MB).",
                    "The part is too large (at most 1 MB).",
                    lang,
                ));
            }
            let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                field_error(
                    &name,
                    "Dữ liệu phải là văn bản UTF-8.",
                    "The part must be UTF-8 text.",
                    lang,
                )
            })?;
            texts.push((name, text));
            continue;
        }
        if !is_identifier(&name) {
            return Err(field_error(
                "file",
                "Tên phần tệp phải là tên thành phần hồ sơ (chữ thường không dấu, số, _).",
                "A file part must be named by its document slot.",
                lang,
            ));
        }
        if files.len() >= 50 {
            return Err(field_error(
                &name,
                "Tối đa 50 tệp mỗi hồ sơ.",
                "At most 50 files per dossier.",
                lang,
            ));
        }
        let left_empty = field.file_name() == Some("");
        let file_name = safe_file_name(field.file_name().unwrap_or(&name));
        let declared_type = field.content_type().map(str::to_owned);
        let room = limits.max_dossier_bytes.saturating_sub(total);
        let mut writer = state
            .app
            .blobs
            .writer(limits.max_file_bytes.min(room))
            .await
            .map_err(|e| ApiError(e, lang))?;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if let Err(p) = writer.write(&chunk).await {
                        writer.discard().await;
                        return Err(upload_error(&name, p, lang));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    writer.discard().await;
                    return Err(malformed(e));
                }
            }
        }
        total += writer.size();
        let blob = match writer.finish().await.map_err(|e| ApiError(e, lang))? {
            Ok(b) => b,
            Err(UploadProblem::Empty) if left_empty => continue,
            Err(p) => return Err(upload_error(&name, p, lang)),
        };
        files.push(UploadedFile {
            slot: name,
            file_name,
            declared_type,
            blob,
        });
    }
    Ok((texts, files))
}

/// Submits a dossier with its files. The same `Idempotency-Key` again returns the same dossier.
#[utoipa::path(post, path = "/api/v1/dossiers", tag = "dossiers", security(("bearer" = [])),
    request_body(content = SubmitForm, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key chosen by the client")),
    responses(
        (status = 201, body = DossierOut),
        (status = 200, body = DossierOut, description = "The dossier already created with this Idempotency-Key"),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<(StatusCode, Json<DossierOut>), ApiError> {
    let lang = auth.lang;
    authz::authorize(&auth.caller, Action::SubmitDossier, None).map_err(|e| ApiError(e, lang))?;
    let (body, files) = read_multipart::<SubmitBody>(&state, lang, multipart, "dossier").await?;
    let body = body.ok_or_else(|| {
        field_error(
            "dossier",
            "Thiếu phần `dossier` (JSON) của hồ sơ.",
            "The `dossier` JSON part is missing.",
            lang,
        )
    })?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let submission = Submission {
        procedure_code: body.procedure_code,
        agency_code: body.agency_code,
        answers: body.answers,
        files,
        idempotency_key: key,
    };
    let (view, created) = dossiers::submit(&state.app, &auth.caller, &auth.audit(), submission)
        .await
        .map_err(|e| ApiError(e, lang))?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(dossier_out(view)),
    ))
}

/// A dossier, for its applicant or officials of the receiving agency.
#[utoipa::path(get, path = "/api/v1/dossiers/{code}", tag = "dossiers", security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code")),
    responses(
        (status = 200, body = DossierOut),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<Json<DossierOut>, ApiError> {
    let view = dossiers::get(&state.app, &auth.caller, &code)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok(Json(dossier_out(view)))
}

/// Public tracking query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TrackQuery {
    /// Dossier code.
    pub code: String,
    /// Last four digits of the phone number given in the dossier.
    pub phone_last4: String,
}

/// One step of the public timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineOut {
    /// RFC 3339.
    pub at: String,
    /// Status name.
    pub status: String,
    /// National status code.
    pub dvcqg_status: u8,
    /// Reason, when one was given.
    pub note: Option<String>,
}

/// What public tracking shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackingOut {
    /// Dossier code.
    pub code: String,
    /// Procedure name.
    pub procedure_name: String,
    /// Agency name.
    pub agency_name: String,
    /// Status name.
    pub status: String,
    /// National status code.
    pub dvcqg_status: u8,
    /// RFC 3339.
    pub received_at: String,
    /// Due date once fixed.
    pub due_date: Option<String>,
    /// Every change.
    pub timeline: Vec<TimelineOut>,
}

/// Public tracking by code and the phone number's last four digits.
#[utoipa::path(get, path = "/api/v1/tracking", tag = "dossiers", params(TrackQuery),
    responses(
        (status = 200, body = TrackingOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn track(
    State(state): State<AppState>,
    auth: Auth,
    crate::ratelimit::ClientIp(ip): crate::ratelimit::ClientIp,
    Query(q): Query<TrackQuery>,
) -> Result<Json<TrackingOut>, ApiError> {
    state
        .login_limiter
        .check(&format!("track:{ip}"), std::time::Instant::now())
        .map_err(|s| {
            ApiError(
                AppError::RateLimited {
                    retry_after_secs: i64::try_from(s).unwrap_or(60),
                },
                auth.lang,
            )
        })?;
    let t = dossiers::track(&state.app, &q.code, &q.phone_last4)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok(Json(TrackingOut {
        code: t.code,
        procedure_name: t.procedure_name,
        agency_name: t.agency_name,
        status: t.status.as_str().to_owned(),
        dvcqg_status: t.status.dvcqg_code(),
        received_at: rfc3339(t.received_at),
        due_date: t.due_date,
        timeline: t
            .timeline
            .into_iter()
            .map(|(at, s, note)| TimelineOut {
                at: rfc3339(at),
                status: s.as_str().to_owned(),
                dvcqg_status: s.dvcqg_code(),
                note,
            })
            .collect(),
    }))
}

/// The receipt (Mẫu 01 layout) as PDF, with a QR code to the tracking page.
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/receipt.pdf", tag = "dossiers", security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code")),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn receipt(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let tracking = format!("{}/track", state.settings.public_url.trim_end_matches('/'));
    let pdf = dossiers::receipt(&state.app, &auth.caller, &code, &tracking)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    let disposition = format!(
        "inline; filename=\"bien-nhan-{}.pdf\"",
        code.replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
            ""
        )
    );
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_owned(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_owned(),
            ),
        ],
        pdf,
    )
        .into_response())
}
