//! The applicant's pages after submission: the dossier (acknowledgement and timeline), "my
//! dossiers", public tracking, and extending the session.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{AppError, dossiers, drafts};
use lienthong_domain::{Lang, clock::from_micros, dossier::Status};
use serde::Deserialize;

use super::{Layout, error_page, posted::Posted, render, safe_next};
use crate::{AppState, auth::Auth};

fn when(us: i64) -> String {
    from_micros(us)
        .to_zoned(lienthong_domain::clock::business_tz())
        .strftime("%H:%M, %d/%m/%Y")
        .to_string()
}

fn status_label(s: Status, lang: Lang) -> &'static str {
    lang.pick(s.label_vi(), s.label_en())
}

fn due_label(due: Option<&str>, lang: Lang) -> String {
    due.map(str::to_owned).unwrap_or_else(|| {
        lang.pick(
            "Sẽ có khi hồ sơ được tiếp nhận",
            "Set when the dossier is accepted",
        )
        .to_owned()
    })
}

#[derive(Template)]
#[template(path = "dossier.html")]
struct DossierPage {
    layout: Layout,
    submitted: bool,
    code: String,
    procedure_name: String,
    agency_name: String,
    status: String,
    received: String,
    due: String,
    history: Vec<(String, String, Option<String>)>,
    version: i64,
    error: Option<String>,
    /// (target, label, reason, is_file, current value) of the open supplement round.
    supplement: Vec<(String, String, String, bool, String)>,
    can_supplement: bool,
    can_rate: bool,
    can_withdraw: bool,
    rating: Option<i64>,
    documents: Vec<(String, String)>,
    /// Names of the documents still being signed and issued.
    waiting: Vec<String>,
}

/// What the applicant calls a document of kind `kind`.
fn doc_label(kind: &str, lang: Lang) -> &'static str {
    match kind {
        "supplement_request" => lang.pick(
            "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
            "Request to supplement",
        ),
        "refusal" => lang.pick("Phiếu từ chối tiếp nhận", "Refusal"),
        "apology" => lang.pick(
            "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
            "Apology and new date",
        ),
        "rejection" => lang.pick("Thông báo không giải quyết", "Rejection"),
        "result" => lang.pick("Kết quả giải quyết", "Result"),
        _ => lang.pick("Văn bản", "Document"),
    }
}

/// Query of the dossier page.
#[derive(Debug, Deserialize)]
pub struct DossierQuery {
    #[serde(default)]
    submitted: Option<String>,
}

/// `GET /dossiers/{code}`.
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(q): Query<DossierQuery>,
) -> Response {
    page(
        &state,
        &auth,
        &code,
        q.submitted.is_some(),
        None,
        StatusCode::OK,
    )
    .await
}

/// The applicant's dossier page, with an error from a refused action if any.
pub async fn page(
    state: &AppState,
    auth: &Auth,
    code: &str,
    submitted: bool,
    error: Option<String>,
    status_code: StatusCode,
) -> Response {
    let path = format!("/dossiers/{code}");
    if auth.caller.principal().is_none() {
        return Redirect::to(&format!("/login?next={path}")).into_response();
    }
    let lang = auth.lang;
    match dossiers::get(&state.app, &auth.caller, code).await {
        Ok(v) => {
            let procedure =
                lienthong_app::catalog::version_by_id(&state.app, &v.row.procedure_version_id)
                    .await
                    .map(|p| p.procedure)
                    .ok();
            let waiting = super::waiting_documents(state, &v.row.id, |k| doc_label(k, lang)).await;
            let answers: serde_json::Value =
                serde_json::from_str(&v.row.answers).unwrap_or_default();
            let supplement = v
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
                .map(|i| {
                    let field = procedure
                        .as_ref()
                        .and_then(|p| p.form.fields.iter().find(|f| f.name == i.target));
                    let slot = procedure
                        .as_ref()
                        .and_then(|p| p.form.documents.iter().find(|d| d.slot == i.target));
                    let label = field
                        .map(|f| f.label.clone())
                        .or_else(|| slot.map(|d| d.name.clone()))
                        .unwrap_or_else(|| i.target.clone());
                    let current = answers
                        .get(&i.target)
                        .and_then(|a| a.as_str())
                        .unwrap_or_default()
                        .to_owned();
                    (i.target, label, i.reason, slot.is_some(), current)
                })
                .collect();
            let allowed = |a: &str| v.allowed_actions.iter().any(|x| x == a);
            let page = DossierPage {
                layout: Layout::new(
                    auth,
                    &path,
                    &format!("{} {}", lang.pick("Hồ sơ", "Dossier"), v.row.code),
                ),
                submitted,
                code: v.row.code.clone(),
                procedure_name: v.procedure_name.clone(),
                agency_name: v.agency_name.clone(),
                status: status_label(v.status, lang).to_owned(),
                received: when(v.row.received_at),
                due: due_label(v.row.due_date.as_deref(), lang),
                history: v
                    .history
                    .iter()
                    .map(|h| {
                        (
                            when(h.at),
                            Status::parse(&h.status).map_or_else(
                                || h.status.clone(),
                                |s| status_label(s, lang).to_owned(),
                            ),
                            h.note.clone(),
                        )
                    })
                    .collect(),
                version: v.row.version,
                error,
                supplement,
                can_supplement: allowed("supplement"),
                can_rate: allowed("rate"),
                can_withdraw: allowed("withdraw"),
                rating: v.row.state.rating,
                documents: v
                    .documents
                    .iter()
                    .map(|d| {
                        (
                            format!("/api/v1/dossiers/{}/documents/{}", v.row.code, d.id),
                            doc_label(&d.kind, lang).to_owned(),
                        )
                    })
                    .collect(),
                waiting,
            };
            render(status_code, &page)
        }
        Err(AppError::NotFound(_)) | Err(AppError::Forbidden) => error_page(
            auth,
            &path,
            StatusCode::NOT_FOUND,
            ("Không tìm thấy hồ sơ", "Dossier not found"),
            (
                "Không có hồ sơ này trong tài khoản của bạn. Bạn có thể tra cứu hồ sơ tại trang Tra cứu (/track).",
                "There is no such dossier in your account. You can track a dossier on the Track page (/track).",
            ),
        ),
        Err(e) => {
            tracing::error!(error = %e, "dossier page failed");
            error_page(
                auth,
                &path,
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                ("Vui lòng thử lại sau.", "Please try again later."),
            )
        }
    }
}

#[derive(Template)]
#[template(path = "my.html")]
struct MyPage {
    layout: Layout,
    drafts: Vec<(String, String, String)>,
    dossiers: Vec<(String, String, String, String)>,
    /// (when, subject, dossier code) of in-app messages.
    messages: Vec<(String, String, String)>,
}

/// `GET /my`: the applicant's drafts and dossiers.
pub async fn my(State(state): State<AppState>, auth: Auth) -> Response {
    if auth.caller.principal().is_none() {
        return Redirect::to("/login?next=/my").into_response();
    }
    let lang = auth.lang;
    let list = dossiers::mine(&state.app, &auth.caller)
        .await
        .unwrap_or_default();
    let mut draft_rows = Vec::new();
    for d in drafts::mine(&state.app, &auth.caller)
        .await
        .unwrap_or_default()
    {
        let name = lienthong_app::catalog::procedure(&state.app, &d.procedure_code, None)
            .await
            .map_or(d.procedure_code.clone(), |p| p.procedure.name);
        let saved = match lang {
            Lang::Vi => format!("lưu lúc {}", when(d.updated_at)),
            Lang::En => format!("saved {}", when(d.updated_at)),
        };
        draft_rows.push((d.id, name, saved));
    }
    let messages = lienthong_app::notify::inbox(&state.app, &auth.caller)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|n| {
            (
                when(n.created_at),
                n.subject,
                n.dossier_code.unwrap_or_default(),
            )
        })
        .collect();
    let page = MyPage {
        layout: Layout::new(&auth, "/my", lang.pick("Hồ sơ của tôi", "My dossiers")),
        messages,
        drafts: draft_rows,
        dossiers: list
            .iter()
            .map(|v| {
                (
                    v.row.code.clone(),
                    v.procedure_name.clone(),
                    status_label(v.status, lang).to_owned(),
                    when(v.row.received_at),
                )
            })
            .collect(),
    };
    render(StatusCode::OK, &page)
}

/// What the tracking page shows.
pub struct TrackResult {
    code: String,
    procedure_name: String,
    agency_name: String,
    status: String,
    due: String,
    timeline: Vec<(String, String, Option<String>)>,
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    layout: Layout,
    code: String,
    phone_last4: String,
    error: Option<String>,
    result: Option<TrackResult>,
}

/// Query of the tracking page.
#[derive(Debug, Deserialize)]
pub struct TrackQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    phone_last4: String,
}

/// `GET /track`: public tracking by code and the phone's last four digits.
pub async fn track(
    State(state): State<AppState>,
    auth: Auth,
    crate::ratelimit::ClientIp(ip): crate::ratelimit::ClientIp,
    Query(q): Query<TrackQuery>,
) -> Response {
    let lang = auth.lang;
    let code: String = q.code.trim().chars().take(60).collect();
    let phone: String = q.phone_last4.trim().chars().take(10).collect();
    let mut page = TrackPage {
        layout: Layout::new(
            &auth,
            "/track",
            lang.pick("Tra cứu hồ sơ", "Track a dossier"),
        ),
        code: code.clone(),
        phone_last4: phone.clone(),
        error: None,
        result: None,
    };
    if code.is_empty() {
        return render(StatusCode::OK, &page);
    }
    if state
        .login_limiter
        .check(&format!("track:{ip}"), std::time::Instant::now())
        .is_err()
    {
        page.error = Some(
            lang.pick(
                "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau ít phút.",
                "Too many lookups. Please try again in a few minutes.",
            )
            .to_owned(),
        );
        return render(StatusCode::TOO_MANY_REQUESTS, &page);
    }
    match dossiers::track(&state.app, &code, &phone).await {
        Ok(t) => {
            page.result = Some(TrackResult {
                code: t.code,
                procedure_name: t.procedure_name,
                agency_name: t.agency_name,
                status: status_label(t.status, lang).to_owned(),
                due: due_label(t.due_date.as_deref(), lang),
                timeline: t
                    .timeline
                    .into_iter()
                    .map(|(at, s, note)| (when(at), status_label(s, lang).to_owned(), note))
                    .collect(),
            });
            render(StatusCode::OK, &page)
        }
        Err(_) => {
            page.error = Some(lang.pick("Mã hồ sơ hoặc 4 số cuối điện thoại không đúng. Hãy kiểm tra lại trên giấy tiếp nhận.", "The code or the last 4 phone digits are wrong. Check them on the receipt.").to_owned());
            render(StatusCode::NOT_FOUND, &page)
        }
    }
}

/// `POST /session/extend`: the session was slid forward by the request itself; go back.
pub async fn extend(auth: Auth, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let form = Posted::parse(&body);
    if auth.caller.principal().is_none() {
        return Redirect::to("/login").into_response();
    }
    if !form.csrf_ok(&auth, &headers) {
        return error_page(
            &auth,
            "/session/extend",
            StatusCode::FORBIDDEN,
            ("Yêu cầu không hợp lệ", "Invalid request"),
            ("Hãy mở lại trang.", "Reopen the page."),
        );
    }
    let mut r = Redirect::to(&safe_next(Some(&form.get("next")), "/my")).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r
}
