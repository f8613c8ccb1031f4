//! The application journey: start or resume a draft, answer the form step by step (with an
//! eligibility question first when the procedure has one), attach files, check the answers,
//! send. Every step is saved on the server; "Back" saves too, so nothing typed is lost.

use askama::Template;
use axum::{
    extract::{Multipart, Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{
    AppError, FieldError, catalog,
    drafts::{self, Draft},
};
use lienthong_domain::{
    Lang,
    catalog::Procedure,
    form::{FieldKind, FormField},
    org::UnitLevel,
    role::AccountKind,
};
use serde_json::{Map, Value};

use super::{
    Layout, error_page,
    posted::{self, Posted},
    render, today,
};
use crate::{AppState, auth::Auth};

fn see_other(to: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r
}

/// Applicants only: anonymous callers go to the login page, officials see a refusal.
fn require_applicant(auth: &Auth, path: &str) -> Option<Response> {
    match auth.caller.principal() {
        None => Some(see_other(&format!("/login?next={path}"))),
        Some(p) if matches!(p.kind, AccountKind::Citizen | AccountKind::Organisation) => None,
        Some(_) => Some(error_page(
            auth,
            path,
            StatusCode::FORBIDDEN,
            (
                "Chỉ người nộp hồ sơ mới dùng được trang này",
                "Only applicants can use this page",
            ),
            (
                "Cán bộ tiếp nhận hồ sơ thay người dân tại Bộ phận một cửa.",
                "Officials register dossiers for applicants at the reception desk.",
            ),
        )),
    }
}

fn forged(auth: &Auth, path: &str) -> Response {
    error_page(
        auth,
        path,
        StatusCode::FORBIDDEN,
        ("Yêu cầu không hợp lệ", "Invalid request"),
        (
            "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này. Hãy mở lại trang và thử lại; thông tin đã lưu vẫn còn.",
            "The form expired or was not sent from this site. Reopen the page and try again; saved answers are kept.",
        ),
    )
}

fn problem_page(auth: &Auth, path: &str, e: &AppError) -> Response {
    match e {
        AppError::NotFound(_) => error_page(
            auth,
            path,
            StatusCode::NOT_FOUND,
            ("Không tìm thấy", "Not found"),
            (
                "Không có hồ sơ đang soạn hoặc thủ tục này.",
                "There is no such draft or procedure.",
            ),
        ),
        AppError::Unauthenticated => see_other(&format!("/login?next={path}")),
        AppError::Forbidden => error_page(
            auth,
            path,
            StatusCode::FORBIDDEN,
            ("Không có quyền", "Forbidden"),
            (
                "Tài khoản của bạn không được phép thực hiện thao tác này.",
                "Your account may not do this.",
            ),
        ),
        other => {
            tracing::error!(error = %lienthong_domain::redact::redact(&other.to_string()), "application journey failed");
            error_page(
                auth,
                path,
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                (
                    "Thông tin đã lưu không bị mất. Vui lòng thử lại sau.",
                    "Saved answers are kept. Please try again later.",
                ),
            )
        }
    }
}

/// `POST /procedures/{code}/apply`: starts (or resumes) a draft.
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let path = format!("/procedures/{code}");
    if let Some(r) = require_applicant(&auth, &path) {
        return r;
    }
    let form = Posted::parse(&body);
    if !form.csrf_ok(&auth, &headers) {
        return forged(&auth, &path);
    }
    match drafts::start(&state.app, &auth.caller, &code).await {
        Ok(d) => see_other(&format!("/drafts/{}", d.id)),
        Err(e) => problem_page(&auth, &path, &e),
    }
}

/// The steps of a procedure's journey.
fn steps(p: &Procedure) -> Vec<String> {
    let mut out = Vec::new();
    if p.form.eligibility.is_some() {
        out.push("eligibility".to_owned());
    }
    out.extend((1..=p.form.steps().len()).map(|i| format!("q{i}")));
    out.push("files".to_owned());
    out.push("check".to_owned());
    out
}

fn neighbour(steps: &[String], step: &str, delta: isize) -> Option<String> {
    let i = steps.iter().position(|s| s == step)?;
    let j = i.checked_add_signed(delta)?;
    steps.get(j).cloned()
}

fn progress(steps: &[String], step: &str, lang: Lang) -> String {
    let i = steps.iter().position(|s| s == step).map_or(1, |i| i + 1);
    match lang {
        Lang::Vi => format!("Bước {i} trên {}", steps.len()),
        Lang::En => format!("Step {i} of {}", steps.len()),
    }
}

async fn load(state: &AppState, auth: &Auth, id: &str) -> Result<(Draft, Procedure), AppError> {
    let draft = drafts::load(&state.app, &auth.caller, id).await?;
    let procedure = catalog::procedure(&state.app, &draft.procedure_code, None)
        .await?
        .procedure;
    Ok((draft, procedure))
}

/// `GET /drafts/{id}`: back to where the applicant stopped.
pub async fn resume(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> Response {
    let path = format!("/drafts/{id}");
    if let Some(r) = require_applicant(&auth, &path) {
        return r;
    }
    match load(&state, &auth, &id).await {
        Ok((draft, procedure)) => {
            let all = steps(&procedure);
            let step = if all.contains(&draft.step) {
                draft.step
            } else {
                all.first().cloned().unwrap_or_else(|| "files".into())
            };
            see_other(&format!("/drafts/{id}/{step}"))
        }
        Err(e) => problem_page(&auth, &path, &e),
    }
}

/// One question as rendered.
pub struct FieldView {
    name: String,
    label: String,
    kind: &'static str,
    input_type: &'static str,
    inputmode: &'static str,
    autocomplete: &'static str,
    group: bool,
    required: bool,
    hint: Option<String>,
    error: Option<String>,
    describedby: String,
    value: String,
    options: Vec<(String, String, bool)>,
    sub_options: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "apply_step.html")]
struct StepPage {
    layout: Layout,
    procedure_code: String,
    procedure_name: String,
    draft_id: String,
    step: String,
    progress: String,
    heading: String,
    fields: Vec<FieldView>,
    errors: Vec<(String, String)>,
    has_back: bool,
    session_notice: String,
    session_expires_ms: i64,
}

fn session_notice(state: &AppState, lang: Lang) -> (String, i64) {
    let idle = state.app.auth.session_idle_secs;
    let expires = state.app.clock.now().as_millisecond() + idle * 1000;
    let at = lienthong_domain::clock::from_micros(expires * 1000)
        .to_zoned(lienthong_domain::clock::business_tz())
        .strftime("%H:%M")
        .to_string();
    let text = match lang {
        Lang::Vi => format!(
            "Thông tin được lưu sau mỗi bước. Nếu không thao tác, phiên làm việc sẽ hết hạn sau {} phút (lúc {at}); bạn có thể gia hạn.",
            idle / 60
        ),
        Lang::En => format!(
            "Answers are saved after every step. Without activity the session ends in {} minutes (at {at}); you can extend it.",
            idle / 60
        ),
    };
    (text, expires)
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

async fn field_view(
    state: &AppState,
    f: &FormField,
    answers: &Map<String, Value>,
    errors: &[FieldError],
    lang: Lang,
    default_province: &str,
) -> FieldView {
    let error = errors
        .iter()
        .find(|e| e.field == f.name)
        .map(|e| e.message(lang).to_owned());
    let value = answers.get(&f.name);
    let (kind, input_type, inputmode, autocomplete, group) = match f.kind {
        FieldKind::Text => ("text", "text", "", "", false),
        FieldKind::Textarea => ("textarea", "text", "", "", false),
        FieldKind::Number => ("number", "text", "decimal", "off", false),
        FieldKind::Date => ("date", "date", "", "", false),
        FieldKind::Select => ("select", "text", "", "", false),
        FieldKind::Radio => ("radio", "radio", "", "", true),
        FieldKind::Checkbox => ("checkbox", "checkbox", "", "", true),
        FieldKind::Address => ("address", "text", "", "", true),
        FieldKind::Cccd => ("text", "text", "numeric", "off", false),
        FieldKind::TaxCode => ("text", "text", "numeric", "off", false),
        FieldKind::Phone => ("text", "tel", "tel", "tel", false),
        FieldKind::Email => ("text", "email", "email", "email", false),
    };
    let autocomplete = match f.name.as_str() {
        "applicant_name" => "name",
        _ => autocomplete,
    };
    let selected: Vec<String> = match value {
        Some(Value::Array(a)) => a.iter().map(|v| text_of(Some(v))).collect(),
        other => vec![text_of(other)],
    };
    let mut options: Vec<(String, String, bool)> = f
        .options
        .iter()
        .map(|o| {
            (
                o.value.clone(),
                o.label.clone(),
                selected.contains(&o.value),
            )
        })
        .collect();
    let mut sub_options = Vec::new();
    let mut shown_value = text_of(value);
    if f.kind == FieldKind::Address {
        let obj = value.and_then(Value::as_object);
        let get = |k: &str| obj.map(|o| text_of(o.get(k))).unwrap_or_default();
        let province = Some(get("province_code"))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| default_province.to_owned());
        let commune = get("commune_code");
        shown_value = get("detail");
        if let Ok(mut conn) = state.app.db.read().await {
            let day = today(state);
            let provinces =
                lienthong_store::org::units_at(&mut conn, day, Some(UnitLevel::Province), None)
                    .await
                    .unwrap_or_default();
            options = provinces
                .into_iter()
                .map(|u| (u.code.clone(), u.name, u.code == province))
                .collect();
            options.sort_by(|a, b| {
                lienthong_domain::text::fold(&a.1).cmp(&lienthong_domain::text::fold(&b.1))
            });
            let communes = lienthong_store::org::units_at(
                &mut conn,
                day,
                Some(UnitLevel::Commune),
                Some(&province),
            )
            .await
            .unwrap_or_default();
            sub_options = communes
                .into_iter()
                .map(|u| (u.code.clone(), u.name, u.code == commune))
                .collect();
            sub_options.sort_by(|a, b| {
                lienthong_domain::text::fold(&a.1).cmp(&lienthong_domain::text::fold(&b.1))
            });
        }
    }
    let mut hint = f.hint.clone();
    if let Some(c) = &f.show_if {
        let cond = match lang {
            Lang::Vi => "Chỉ trả lời nếu câu hỏi trước đó chọn phương án tương ứng.",
            Lang::En => "Answer only if the previous question asks for it.",
        };
        let _ = c;
        hint = Some(hint.map_or_else(|| cond.to_owned(), |h| format!("{h} {cond}")));
    }
    let mut describedby = Vec::new();
    if hint.is_some() {
        describedby.push(format!("{}-hint", f.name));
    }
    if error.is_some() {
        describedby.push(format!("{}-error", f.name));
    }
    FieldView {
        name: f.name.clone(),
        label: f.label.clone(),
        kind,
        input_type,
        inputmode,
        autocomplete,
        group,
        required: f.required,
        hint,
        error,
        describedby: describedby.join(" "),
        value: shown_value,
        options,
        sub_options,
    }
}

async fn default_province(state: &AppState, p: &Procedure) -> String {
    let Some(code) = p.agency_codes.first() else {
        return String::new();
    };
    let Ok(mut conn) = state.app.db.read().await else {
        return String::new();
    };
    let day = today(state);
    let unit = lienthong_store::org::agency_at(&mut conn, code, day)
        .await
        .ok()
        .flatten()
        .and_then(|a| a.admin_unit_code)
        .unwrap_or_default();
    if unit.len() == 5 {
        lienthong_store::org::unit_at(&mut conn, UnitLevel::Commune, &unit, day)
            .await
            .ok()
            .flatten()
            .and_then(|u| u.parent_code)
            .unwrap_or_default()
    } else {
        unit
    }
}

fn step_fields<'a>(p: &'a Procedure, step: &str) -> Option<Vec<&'a FormField>> {
    let index: usize = step.strip_prefix('q')?.parse().ok()?;
    let names = p.form.steps().into_iter().nth(index.checked_sub(1)?)?;
    Some(
        p.form
            .fields
            .iter()
            .filter(|f| names.contains(&f.name))
            .collect(),
    )
}

async fn render_step(
    state: &AppState,
    auth: &Auth,
    draft: &Draft,
    p: &Procedure,
    step: &str,
    errors: &[FieldError],
) -> Response {
    let lang = auth.lang;
    let all = steps(p);
    let path = format!("/drafts/{}/{step}", draft.id);
    let fields: Vec<FormField> = if step == "eligibility" {
        let Some(e) = &p.form.eligibility else {
            return see_other(&format!("/drafts/{}", draft.id));
        };
        vec![FormField {
            name: "_eligible".into(),
            label: e.question.clone(),
            kind: FieldKind::Radio,
            required: true,
            options: vec![
                lienthong_domain::form::Choice {
                    value: "yes".into(),
                    label: lang.pick("Có", "Yes").into(),
                },
                lienthong_domain::form::Choice {
                    value: "no".into(),
                    label: lang.pick("Không", "No").into(),
                },
            ],
            hint: None,
            show_if: None,
            page: None,
            max_length: None,
            min: None,
            max: None,
            not_future: false,
        }]
    } else {
        match step_fields(p, step) {
            Some(f) => f.into_iter().cloned().collect(),
            None => return see_other(&format!("/drafts/{}", draft.id)),
        }
    };
    let province = default_province(state, p).await;
    let mut views = Vec::with_capacity(fields.len());
    for f in &fields {
        let visible = f.show_if.as_ref().is_none_or(|c| {
            fields.iter().any(|g| g.name == c.field) || p.form.is_shown(f, &draft.answers)
        });
        if visible {
            views.push(field_view(state, f, &draft.answers, errors, lang, &province).await);
        }
    }
    let heading = if p.form.one_question_per_page || step == "eligibility" {
        fields
            .first()
            .map_or_else(|| p.name.clone(), |f| f.label.clone())
    } else if step == "q1" {
        lang.pick("Thông tin người nộp hồ sơ", "About the applicant")
            .to_owned()
    } else {
        lang.pick("Nội dung đề nghị", "What you are asking for")
            .to_owned()
    };
    let summary = errors
        .iter()
        .map(|e| (e.field.clone(), e.message(lang).to_owned()))
        .collect();
    let (notice, expires) = session_notice(state, lang);
    let page = StepPage {
        layout: Layout::new(auth, &path, &format!("{} – {}", heading, p.name)),
        procedure_code: p.code.clone(),
        procedure_name: p.name.clone(),
        draft_id: draft.id.clone(),
        step: step.to_owned(),
        progress: progress(&all, step, lang),
        heading,
        fields: views,
        errors: summary,
        has_back: neighbour(&all, step, -1).is_some(),
        session_notice: notice,
        session_expires_ms: expires,
    };
    render(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &page,
    )
}

/// `GET /drafts/{id}/files`.
pub async fn show_files(state: State<AppState>, auth: Auth, Path(id): Path<String>) -> Response {
    show(state, auth, Path((id, "files".to_owned()))).await
}

/// `GET /drafts/{id}/{step}`.
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, step)): Path<(String, String)>,
) -> Response {
    let path = format!("/drafts/{id}/{step}");
    if let Some(r) = require_applicant(&auth, &path) {
        return r;
    }
    let (draft, p) = match load(&state, &auth, &id).await {
        Ok(x) => x,
        Err(e) => return problem_page(&auth, &path, &e),
    };
    match step.as_str() {
        "files" => files_page(&state, &auth, &draft, &p, &[]).await,
        "check" => check_page(&state, &auth, &draft, &p, &[]).await,
        _ => render_step(&state, &auth, &draft, &p, &step, &[]).await,
    }
}

/// Reads the posted values of `fields` into answers (as typed).
fn posted_answers(fields: &[FormField], pairs: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    let first = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    for f in fields {
        let value = match f.kind {
            FieldKind::Checkbox => Value::Array(
                pairs
                    .iter()
                    .filter(|(n, _)| *n == f.name)
                    .map(|(_, v)| Value::String(v.clone()))
                    .collect(),
            ),
            FieldKind::Address => {
                let mut o = Map::new();
                for part in ["province_code", "commune_code", "detail"] {
                    o.insert(
                        part.into(),
                        Value::String(first(&format!("{}.{part}", f.name)).unwrap_or_default()),
                    );
                }
                Value::Object(o)
            }
            _ => Value::String(first(&f.name).unwrap_or_default()),
        };
        out.insert(f.name.clone(), value);
    }
    out
}

/// `POST /drafts/{id}/{step}`: saves the step (always), checks it, and moves on.
pub async fn save(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path((id, step)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let path = format!("/drafts/{id}/{step}");
    if let Some(r) = require_applicant(&auth, &path) {
        return r;
    }
    let form = Posted::parse(&body);
    if !form.csrf_ok(&auth, &headers) {
        return forged(&auth, &path);
    }
    let pairs = form.pairs();
    let nav = pairs
        .iter()
        .find(|(k, _)| k == "_nav")
        .map(|(_, v)| v.as_str())
        .unwrap_or("next");
    let (mut draft, p) = match load(&state, &auth, &id).await {
        Ok(x) => x,
        Err(e) => return problem_page(&auth, &path, &e),
    };
    let all = steps(&p);
    let (fields, names): (Vec<FormField>, Vec<String>) = if step == "eligibility" {
        let f = FormField {
            name: "_eligible".into(),
            label: String::new(),
            kind: FieldKind::Radio,
            required: true,
            options: vec![],
            hint: None,
            show_if: None,
            page: None,
            max_length: None,
            min: None,
            max: None,
            not_future: false,
        };
        (vec![f], vec!["_eligible".into()])
    } else {
        match step_fields(&p, &step) {
            Some(f) => {
                let names = f.iter().map(|x| x.name.clone()).collect();
                (f.into_iter().cloned().collect(), names)
            }
            None => return see_other(&format!("/drafts/{id}")),
        }
    };
    let answers = posted_answers(&fields, pairs);
    if let Err(e) = drafts::save(&state.app, &auth.caller, &mut draft, answers, &step).await {
        return problem_page(&auth, &path, &e);
    }
    match nav {
        "back" => {
            return see_other(&format!(
                "/drafts/{id}/{}",
                neighbour(&all, &step, -1).unwrap_or_else(|| step.clone())
            ));
        }
        "refresh" => return render_step(&state, &auth, &draft, &p, &step, &[]).await,
        _ => {}
    }
    if step == "eligibility" {
        match draft.answers.get("_eligible").and_then(Value::as_str) {
            Some("yes") => {}
            Some("no") => {
                let message = p
                    .form
                    .eligibility
                    .as_ref()
                    .map(|e| e.ineligible_message.clone())
                    .unwrap_or_default();
                return message_page(
                    &auth,
                    &path,
                    auth.lang.pick(
                        "Thủ tục này có thể không dành cho bạn",
                        "This procedure may not be for you",
                    ),
                    &message,
                    (
                        &format!("/procedures/{}", p.code),
                        auth.lang.pick("Về trang thủ tục", "Back to the procedure"),
                    ),
                );
            }
            _ => {
                let e =
                    FieldError::new("_eligible", "Hãy chọn Có hoặc Không.", "Choose Yes or No.");
                return render_step(&state, &auth, &draft, &p, &step, &[e]).await;
            }
        }
    } else {
        match drafts::check_step(&state.app, &p.form, &draft.answers, &names).await {
            Ok(errors) if !errors.is_empty() => {
                return render_step(&state, &auth, &draft, &p, &step, &errors).await;
            }
            Ok(_) => {}
            Err(e) => return problem_page(&auth, &path, &e),
        }
    }
    let next = neighbour(&all, &step, 1).unwrap_or_else(|| "check".into());
    if let Err(e) = drafts::save(&state.app, &auth.caller, &mut draft, Map::new(), &next).await {
        return problem_page(&auth, &path, &e);
    }
    see_other(&format!("/drafts/{id}/{next}"))
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    layout: Layout,
    heading: String,
    message: String,
    link: (String, String),
}

fn message_page(
    auth: &Auth,
    path: &str,
    heading: &str,
    message: &str,
    link: (&str, &str),
) -> Response {
    let page = MessagePage {
        layout: Layout::new(auth, path, heading),
        heading: heading.to_owned(),
        message: message.to_owned(),
        link: (link.0.to_owned(), link.1.to_owned()),
    };
    render(StatusCode::OK, &page)
}

struct SlotView {
    slot: String,
    name: String,
    required: bool,
    error: Option<String>,
    files: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "apply_files.html")]
struct FilesPage {
    layout: Layout,
    procedure_code: String,
    procedure_name: String,
    draft_id: String,
    progress: String,
    limits: String,
    slots: Vec<SlotView>,
    errors: Vec<(String, String)>,
    session_notice: String,
    session_expires_ms: i64,
}

fn size_label(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

async fn files_page(
    state: &AppState,
    auth: &Auth,
    draft: &Draft,
    p: &Procedure,
    errors: &[FieldError],
) -> Response {
    let lang = auth.lang;
    let limits = state.app.uploads;
    let (max_file, max_total) = (
        limits.max_file_bytes / (1024 * 1024),
        limits.max_dossier_bytes / (1024 * 1024),
    );
    let limits = match lang {
        Lang::Vi => format!(
            "Nhận tệp PDF, JPG, PNG (ảnh chụp bằng điện thoại cũng được). Tối đa {max_file} MB mỗi tệp, {max_total} MB cho cả hồ sơ. Mỗi giấy tờ có thể gồm nhiều tệp."
        ),
        Lang::En => format!(
            "PDF, JPG and PNG files are accepted (phone photos too). At most {max_file} MB per file and {max_total} MB per dossier. A document may have several files."
        ),
    };
    let slots = p
        .form
        .documents
        .iter()
        .map(|d| SlotView {
            slot: d.slot.clone(),
            name: d.name.clone(),
            required: d.required,
            error: errors
                .iter()
                .find(|e| e.field == d.slot)
                .map(|e| e.message(lang).to_owned()),
            files: draft
                .files
                .iter()
                .filter(|f| f.slot == d.slot)
                .map(|f| (f.file_name.clone(), size_label(f.size), f.sha256.clone()))
                .collect(),
        })
        .collect();
    let (notice, expires) = session_notice(state, lang);
    let page = FilesPage {
        layout: Layout::new(
            auth,
            &format!("/drafts/{}/files", draft.id),
            lang.pick("Đính kèm giấy tờ", "Attach documents"),
        ),
        procedure_code: p.code.clone(),
        procedure_name: p.name.clone(),
        draft_id: draft.id.clone(),
        progress: progress(&steps(p), "files", lang),
        limits,
        slots,
        errors: errors
            .iter()
            .map(|e| (e.field.clone(), e.message(lang).to_owned()))
            .collect(),
        session_notice: notice,
        session_expires_ms: expires,
    };
    render(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &page,
    )
}

/// `POST /drafts/{id}/files`: uploads files into the draft (multipart; the CSRF token part
/// must come first).
pub async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let path = format!("/drafts/{id}/files");
    if let Some(r) = require_applicant(&auth, &path) {
        return r;
    }
    let (mut draft, p) = match load(&state, &auth, &id).await {
        Ok(x) => x,
        Err(e) => return problem_page(&auth, &path, &e),
    };
    let lang = auth.lang;
    let mut verified = false;
    let mut errors = Vec::new();
    let used: u64 = draft.files.iter().map(|f| f.size).sum();
    let limits = state.app.uploads;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                errors.push(FieldError::new(
                    "files",
                    "Tải tệp bị gián đoạn. Hãy thử lại; các tệp đã tải vẫn còn.",
                    "The upload was interrupted. Try again; files already uploaded are kept.",
                ));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "csrf_token" {
            let token = field.text().await.unwrap_or_default();
            verified = posted::token_ok(&auth, &headers, &token);
            continue;
        }
        if !verified {
            return forged(&auth, &path);
        }
        let file_name =
            lienthong_domain::dossier::safe_file_name(field.file_name().unwrap_or(&name));
        if file_name == "tep" && field.file_name().is_none_or(str::is_empty) {
            errors.push(FieldError::new(
                &name,
                "Chưa chọn tệp.",
                "No file was chosen.",
            ));
            continue;
        }
        let declared_type = field.content_type().map(str::to_owned);
        let room = limits.max_dossier_bytes.saturating_sub(used);
        let mut writer = match state
            .app
            .blobs
            .writer(limits.max_file_bytes.min(room))
            .await
        {
            Ok(w) => w,
            Err(e) => return problem_page(&auth, &path, &e),
        };
        let mut failed = None;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if let Err(problem) = writer.write(&chunk).await {
                        failed = Some(problem);
                        break;
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    failed = Some(lienthong_app::blobs::UploadProblem::Empty);
                    break;
                }
            }
        }
        if let Some(problem) = failed {
            writer.discard().await;
            errors.push(upload_problem(&name, problem, limits.max_file_bytes));
            continue;
        }
        match writer.finish().await {
            Ok(Ok(blob)) => {
                let file = lienthong_app::dossiers::UploadedFile {
                    slot: name.clone(),
                    file_name,
                    declared_type,
                    blob,
                };
                match drafts::add_file(&state.app, &auth.caller, &mut draft, &p, file).await {
                    Ok(()) => {}
                    Err(AppError::Validation(e)) => errors.extend(e),
                    Err(e) => return problem_page(&auth, &path, &e),
                }
            }
            Ok(Err(problem)) => errors.push(upload_problem(&name, problem, limits.max_file_bytes)),
            Err(e) => return problem_page(&auth, &path, &e),
        }
    }
    if !verified {
        return forged(&auth, &path);
    }
    let _ = lang;
    if errors.is_empty() {
        see_other(&path)
    } else {
        files_page(&state, &auth, &draft, &p, &errors).await
    }
}

fn upload_problem(slot: &str, p: lienthong_app::blobs::UploadProblem, max: u64) -> FieldError {
    match p {
        lienthong_app::blobs::UploadProblem::TooLarge(_) => FieldError {
            field: slot.to_owned(),
            vi: format!(
                "Tệp quá lớn (tối đa {} MB mỗi tệp). Hãy chụp với độ phân giải thấp hơn hoặc nén PDF; các tệp khác vẫn được giữ.",
                max / (1024 * 1024)
            ),
            en: format!(
                "The file is too large (at most {} MB). Use a lower resolution or compress the PDF; other files are kept.",
                max / (1024 * 1024)
            ),
        },
        lienthong_app::blobs::UploadProblem::Empty => FieldError::new(
            slot,
            "Tệp rỗng hoặc tải lên không trọn vẹn. Hãy chọn lại tệp.",
            "The file is empty or the upload was incomplete. Choose the file again.",
        ),
    }
}

/// `POST /drafts/{id}/files/remove`.
pub async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let path = format!("/drafts/{id}/files");
    if let Some(r) = require_applicant(&auth, &path) {
        return r;
    }
    let form = Posted::parse(&body);
    let get = |k: &str| form.get(k);
    if !form.csrf_ok(&auth, &headers) {
        return forged(&auth, &path);
    }
    match drafts::load(&state.app, &auth.caller, &id).await {
        Ok(mut d) => match drafts::remove_file(
            &state.app,
            &auth.caller,
            &mut d,
            &get("slot"),
            &get("sha256"),
        )
        .await
        {
            Ok(()) => see_other(&path),
            Err(e) => problem_page(&auth, &path, &e),
        },
        Err(e) => problem_page(&auth, &path, &e),
    }
}

/// `POST /drafts/{id}/files/done`: on to checking the answers (or back).
pub async fn files_done(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let path = format!("/drafts/{id}/files");
    if let Some(r) = require_applicant(&auth, &path) {
        return r;
    }
    let form = Posted::parse(&body);
    let get = |k: &str| form.get(k);
    if !form.csrf_ok(&auth, &headers) {
        return forged(&auth, &path);
    }
    let (mut draft, p) = match load(&state, &auth, &id).await {
        Ok(x) => x,
        Err(e) => return problem_page(&auth, &path, &e),
    };
    let all = steps(&p);
    if get("_nav") == "back" {
        return see_other(&format!(
            "/drafts/{id}/{}",
            neighbour(&all, "files", -1).unwrap_or_else(|| "files".into())
        ));
    }
    let missing: Vec<FieldError> = p
        .form
        .documents
        .iter()
        .filter(|d| d.required && !draft.files.iter().any(|f| f.slot == d.slot))
        .map(|d| FieldError {
            field: d.slot.clone(),
            vi: format!("Cần đính kèm: {}.", d.name),
            en: format!("Attach: {}.", d.name),
        })
        .collect();
    if !missing.is_empty() {
        return files_page(&state, &auth, &draft, &p, &missing).await;
    }
    if let Err(e) = drafts::save(&state.app, &auth.caller, &mut draft, Map::new(), "check").await {
        return problem_page(&auth, &path, &e);
    }
    see_other(&format!("/drafts/{id}/check"))
}

#[derive(Template)]
#[template(path = "apply_check.html")]
struct CheckPage {
    layout: Layout,
    procedure_code: String,
    procedure_name: String,
    draft_id: String,
    progress: String,
    rows: Vec<(String, String, String)>,
    files: Vec<(String, String)>,
    errors: Vec<(String, String)>,
    session_notice: String,
    session_expires_ms: i64,
}

async fn display(state: &AppState, f: &FormField, v: Option<&Value>, lang: Lang) -> String {
    let none = lang.pick("(chưa trả lời)", "(not answered)").to_owned();
    match (f.kind, v) {
        (_, None) => none,
        (FieldKind::Select | FieldKind::Radio, Some(v)) => {
            let s = text_of(Some(v));
            f.options
                .iter()
                .find(|o| o.value == s)
                .map_or(s, |o| o.label.clone())
        }
        (FieldKind::Checkbox, Some(Value::Array(a))) => {
            let labels: Vec<String> = a
                .iter()
                .map(|x| text_of(Some(x)))
                .map(|s| {
                    f.options
                        .iter()
                        .find(|o| o.value == s)
                        .map_or(s, |o| o.label.clone())
                })
                .collect();
            if labels.is_empty() {
                none
            } else {
                labels.join("; ")
            }
        }
        (FieldKind::Address, Some(Value::Object(o))) => {
            let get = |k: &str| text_of(o.get(k));
            let mut parts = vec![get("detail")];
            if let Ok(mut conn) = state.app.db.read().await {
                let day = today(state);
                for (level, code) in [
                    (UnitLevel::Commune, get("commune_code")),
                    (UnitLevel::Province, get("province_code")),
                ] {
                    if let Ok(Some(u)) =
                        lienthong_store::org::unit_at(&mut conn, level, &code, day).await
                    {
                        parts.push(u.name);
                    }
                }
            }
            parts.retain(|p| !p.is_empty());
            parts.join(", ")
        }
        (_, Some(v)) => {
            let s = text_of(Some(v));
            if s.is_empty() { none } else { s }
        }
    }
}

async fn check_page(
    state: &AppState,
    auth: &Auth,
    draft: &Draft,
    p: &Procedure,
    errors: &[FieldError],
) -> Response {
    let lang = auth.lang;
    let mut rows = Vec::new();
    for (i, names) in p.form.steps().iter().enumerate() {
        for f in p.form.fields.iter().filter(|f| names.contains(&f.name)) {
            if p.form.is_shown(f, &draft.answers) {
                rows.push((
                    f.label.clone(),
                    display(state, f, draft.answers.get(&f.name), lang).await,
                    format!("q{}", i + 1),
                ));
            }
        }
    }
    let files = p
        .form
        .documents
        .iter()
        .map(|d| {
            let names: Vec<String> = draft
                .files
                .iter()
                .filter(|f| f.slot == d.slot)
                .map(|f| f.file_name.clone())
                .collect();
            (
                d.name.clone(),
                if names.is_empty() {
                    lang.pick("(không có tệp)", "(no file)").to_owned()
                } else {
                    names.join("; ")
                },
            )
        })
        .collect();
    let steps_all = steps(p);
    let link = |field: &str| -> String {
        if p.form.documents.iter().any(|d| d.slot == field) {
            return format!("/drafts/{}/files", draft.id);
        }
        let step = p
            .form
            .steps()
            .iter()
            .position(|n| n.iter().any(|x| x == field))
            .map_or_else(|| "check".to_owned(), |i| format!("q{}", i + 1));
        format!("/drafts/{}/{step}", draft.id)
    };
    let (notice, expires) = session_notice(state, lang);
    let page = CheckPage {
        layout: Layout::new(
            auth,
            &format!("/drafts/{}/check", draft.id),
            lang.pick("Kiểm tra thông tin", "Check your answers"),
        ),
        procedure_code: p.code.clone(),
        procedure_name: p.name.clone(),
        draft_id: draft.id.clone(),
        progress: progress(&steps_all, "check", lang),
        rows,
        files,
        errors: errors
            .iter()
            .map(|e| (link(&e.field), e.message(lang).to_owned()))
            .collect(),
        session_notice: notice,
        session_expires_ms: expires,
    };
    render(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &page,
    )
}

/// `POST /drafts/{id}/submit`: sends the dossier. A double click finds the dossier the first
/// click created (the draft id is the idempotency key).
pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let path = format!("/drafts/{id}/check");
    if let Some(r) = require_applicant(&auth, &path) {
        return r;
    }
    let form = Posted::parse(&body);
    if !form.csrf_ok(&auth, &headers) {
        return forged(&auth, &path);
    }
    match drafts::submit(&state.app, &auth.caller, &auth.audit(), &id).await {
        Ok(view) => see_other(&format!("/dossiers/{}?submitted=1", view.row.code)),
        Err(AppError::NotFound(_)) => {
            // The draft is gone: a second click after the dossier was created.
            match lienthong_app::dossiers::mine(&state.app, &auth.caller).await {
                Ok(list) => match list
                    .iter()
                    .find(|d| d.row.idempotency_key.as_deref() == Some(&format!("draft:{id}")))
                {
                    Some(d) => see_other(&format!("/dossiers/{}?submitted=1", d.row.code)),
                    None => problem_page(&auth, &path, &AppError::NotFound(id)),
                },
                Err(e) => problem_page(&auth, &path, &e),
            }
        }
        Err(AppError::Validation(errors)) => match load(&state, &auth, &id).await {
            Ok((draft, p)) => check_page(&state, &auth, &draft, &p, &errors).await,
            Err(e) => problem_page(&auth, &path, &e),
        },
        Err(e) => problem_page(&auth, &path, &e),
    }
}
