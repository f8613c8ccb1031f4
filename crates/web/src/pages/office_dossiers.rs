//! The dossier page where officials take actions: one form per action the caller may take
//! now, each with the fields that action needs, plus the dossier's documents, hand-overs and
//! history.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{AppError, dossiers, processing};
use lienthong_domain::{Lang, clock::from_micros, dossier::Status, workflow::DossierAction};

use super::{Layout, error_page, posted::Posted, render};
use crate::{AppState, auth::Auth};

fn when(us: i64) -> String {
    from_micros(us)
        .to_zoned(lienthong_domain::clock::business_tz())
        .strftime("%H:%M %d/%m/%Y")
        .to_string()
}

fn action_label(a: &str, lang: Lang) -> String {
    if a == "submit" {
        return lang.pick("Nộp hồ sơ", "Submitted").to_owned();
    }
    DossierAction::parse(a).map_or_else(
        || a.to_owned(),
        |x| lang.pick(x.label_vi(), x.label_en()).to_owned(),
    )
}

fn doc_label(kind: &str, lang: Lang) -> &'static str {
    match kind {
        "supplement_request" => lang.pick(
            "Phiếu yêu cầu bổ sung (Mẫu 02)",
            "Supplement request (form 02)",
        ),
        "refusal" => lang.pick("Phiếu từ chối (Mẫu 03)", "Refusal (form 03)"),
        "apology" => lang.pick("Phiếu xin lỗi, hẹn lại (Mẫu 04)", "Apology (form 04)"),
        "rejection" => lang.pick("Thông báo không giải quyết", "Rejection notice"),
        "result" => lang.pick("Kết quả giải quyết", "Result"),
        _ => lang.pick("Văn bản", "Document"),
    }
}

/// Verdict, signers and the link to the details of a signed document.
type SignatureSummary = (bool, String, String);

#[derive(Template)]
#[template(path = "office_dossier.html")]
struct DossierPage {
    layout: Layout,
    code: String,
    procedure_name: String,
    applicant: String,
    status: String,
    due: String,
    step: String,
    holder: String,
    rounds: i64,
    version: i64,
    actions: Vec<(String, String)>,
    targets: Vec<(String, String)>,
    agencies: Vec<(String, String)>,
    documents: Vec<(String, String, Option<SignatureSummary>)>,
    /// Names of the documents still being signed and issued.
    waiting: Vec<String>,
    open_items: Vec<(String, String)>,
    legs: Vec<(String, String, String, String, String)>,
    history: Vec<(String, String, String, Option<String>)>,
    apology_prompt: bool,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    auth: &Auth,
    code: &str,
    error: Option<String>,
    status_code: StatusCode,
) -> Response {
    let path = format!("/office/dossiers/{code}");
    let lang = auth.lang;
    let loaded = match dossiers::get(&state.app, &auth.caller, code).await {
        Ok(v) => {
            let steps = processing::step_names(&state.app, &v.row)
                .await
                .unwrap_or_default();
            let procedure =
                lienthong_app::catalog::version_by_id(&state.app, &v.row.procedure_version_id)
                    .await;
            let agencies = lienthong_app::org::agencies(&state.app, None, None, None).await;
            match (procedure, agencies) {
                (Ok(p), Ok(a)) => Ok((v, p.procedure, a, steps)),
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    match loaded {
        Ok((v, procedure, agencies, steps)) => {
            let waiting = super::waiting_documents(state, &v.row.id, |k| doc_label(k, lang)).await;
            // The signatures of each issued result: verdict, signers, link to the details.
            let mut signed = std::collections::HashMap::new();
            for d in v.documents.iter().filter(|d| d.kind == "result") {
                if let Ok((_, report)) =
                    lienthong_app::signatures::verify_issued(&state.app, &d.id).await
                {
                    let signers = report
                        .signatures
                        .iter()
                        .map(|s| {
                            let reason = if lang == lienthong_domain::Lang::En {
                                &s.reason_en
                            } else {
                                &s.reason_vi
                            };
                            format!("{} ({reason})", s.signer)
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    signed.insert(
                        d.id.clone(),
                        (report.valid, signers, format!("/verify?document={}", d.id)),
                    );
                }
            }
            let name_of = |code: &str| {
                agencies
                    .iter()
                    .find(|a| a.code == code)
                    .map_or_else(|| code.to_owned(), |a| a.name.clone())
            };
            let open_items = v
                .supplements
                .iter()
                .rev()
                .find(|r| r.answered_at.is_none())
                .and_then(|r| {
                    serde_json::from_str::<Vec<processing::SupplementItem>>(&r.items).ok()
                })
                .unwrap_or_default()
                .into_iter()
                .map(|i| (i.target, i.reason))
                .collect();
            let view = DossierPage {
                layout: Layout::new(auth, &path, &v.row.code),
                code: v.row.code.clone(),
                procedure_name: v.procedure_name.clone(),
                applicant: v.row.applicant_name.clone(),
                status: lang
                    .pick(v.status.label_vi(), v.status.label_en())
                    .to_owned(),
                due: v
                    .row
                    .due_date
                    .as_deref()
                    .map(processing::vn_date)
                    .unwrap_or_else(|| "—".into()),
                step: v.step_name.clone().unwrap_or_default(),
                holder: v
                    .row
                    .state
                    .handling_agency_code
                    .as_deref()
                    .map(name_of)
                    .unwrap_or_else(|| "—".into()),
                rounds: v.row.state.supplement_rounds,
                version: v.row.version,
                apology_prompt: v.allowed_actions.iter().any(|a| a == "apologize"),
                actions: v
                    .allowed_actions
                    .iter()
                    .filter(|a| !matches!(a.as_str(), "withdraw" | "supplement" | "rate"))
                    .map(|a| (a.clone(), action_label(a, lang)))
                    .collect(),
                targets: procedure
                    .form
                    .fields
                    .iter()
                    .map(|f| (f.name.clone(), f.label.clone()))
                    .chain(
                        procedure
                            .form
                            .documents
                            .iter()
                            .map(|d| (d.slot.clone(), d.name.clone())),
                    )
                    .collect(),
                agencies: agencies
                    .iter()
                    .filter(|a| Some(&a.code) != v.row.state.handling_agency_code.as_ref())
                    .map(|a| (a.code.clone(), a.name.clone()))
                    .collect(),
                documents: v
                    .documents
                    .iter()
                    .map(|d| {
                        (
                            format!("/api/v1/dossiers/{}/documents/{}", v.row.code, d.id),
                            format!("{} — {}", doc_label(&d.kind, lang), when(d.created_at)),
                            signed.get(&d.id).cloned(),
                        )
                    })
                    .collect(),
                waiting,
                open_items,
                legs: v
                    .legs
                    .iter()
                    .map(|l| {
                        (
                            name_of(&l.agency_code),
                            steps
                                .iter()
                                .find(|(id, _)| id == &l.step)
                                .map_or_else(|| l.step.clone(), |(_, n)| n.clone()),
                            when(l.started_at),
                            l.due_at.map(when).unwrap_or_else(|| "—".into()),
                            l.ended_at.map(when).unwrap_or_else(|| "—".into()),
                        )
                    })
                    .collect(),
                history: v
                    .history
                    .iter()
                    .map(|h| {
                        (
                            when(h.at),
                            format!(
                                "{} → {}",
                                action_label(&h.action, lang),
                                Status::parse(&h.status).map_or_else(
                                    || h.status.clone(),
                                    |s| lang.pick(s.label_vi(), s.label_en()).to_owned(),
                                )
                            ),
                            h.actor_name.clone(),
                            h.note.clone(),
                        )
                    })
                    .collect(),
                error,
            };
            render(status_code, &view)
        }
        Err(AppError::Unauthenticated) => {
            Redirect::to(&format!("/login?next={path}")).into_response()
        }
        Err(_) => error_page(
            auth,
            &path,
            StatusCode::NOT_FOUND,
            ("Không tìm thấy hồ sơ", "Dossier not found"),
            (
                "Hồ sơ không có hoặc không thuộc cơ quan của bạn.",
                "No such dossier in your agency.",
            ),
        ),
    }
}

/// The request a posted office form describes.
fn request_of(form: &Posted, action: DossierAction, version: i64) -> processing::ActionRequest {
    let opt = |k: &str| Some(form.get(k)).filter(|v| !v.trim().is_empty());
    let mut req = processing::ActionRequest::new(action, version);
    req.note = opt("note");
    req.agency_code = opt("agency_code");
    req.working_days = opt("working_days").and_then(|d| d.replace(',', ".").parse().ok());
    req.new_due_date = opt("new_due_date");
    req.reason = opt("reason");
    req.channel = opt("channel");
    req.tracking_number = opt("tracking_number");
    req.items = form
        .pairs()
        .iter()
        .filter(|(k, _)| k == "target")
        .map(|(_, t)| processing::SupplementItem {
            target: t.clone(),
            reason: form.get(&format!("reason_{t}")),
        })
        .collect();
    req
}

/// `GET /office/dossiers/{code}`.
pub async fn show(State(state): State<AppState>, auth: Auth, Path(code): Path<String>) -> Response {
    page(&state, &auth, &code, None, StatusCode::OK).await
}

/// `POST /office/dossiers/{code}`: takes the chosen action.
pub async fn act(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let form = Posted::parse(&body);
    let path = format!("/office/dossiers/{code}");
    if !form.csrf_ok(&auth, &headers) {
        return error_page(
            &auth,
            &path,
            StatusCode::FORBIDDEN,
            ("Yêu cầu không hợp lệ", "Invalid request"),
            ("Hãy mở lại trang.", "Reopen the page."),
        );
    }
    let lang = auth.lang;
    let (Some(action), Ok(version)) = (
        DossierAction::parse(&form.get("action")),
        form.get("version").parse::<i64>(),
    ) else {
        return page(
            &state,
            &auth,
            &code,
            Some(
                lang.pick("Thao tác không hợp lệ.", "Invalid action.")
                    .into(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let req = request_of(&form, action, version);
    match processing::act(&state.app, &auth.caller, &auth.audit(), &code, req).await {
        Ok(_) => {
            let mut r = Redirect::to(&path).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        Err(AppError::Validation(e)) => {
            let msg = e
                .iter()
                .map(|f| f.message(lang).to_owned())
                .collect::<Vec<_>>()
                .join(" ");
            page(
                &state,
                &auth,
                &code,
                Some(msg),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::NotNow { vi, en }) => {
            let reason = match lang {
                Lang::Vi => vi,
                Lang::En => en,
            };
            page(&state, &auth, &code, Some(reason), StatusCode::CONFLICT).await
        }
        Err(AppError::Forbidden) => error_page(
            &auth,
            &path,
            StatusCode::FORBIDDEN,
            ("Không có quyền", "Forbidden"),
            (
                "Vai trò của bạn không thực hiện được thao tác này.",
                "Your role cannot take this action.",
            ),
        ),
        Err(e) => super::app_error_page(&auth, &path, &e),
    }
}
