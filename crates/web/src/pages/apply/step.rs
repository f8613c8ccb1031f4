//! The question steps of the journey: rendering, saving, checking, moving on.

use super::*;

/// One question as rendered.
pub struct FieldView {
    pub(crate) name: String,
    pub(crate) label: String,
    pub(crate) kind: &'static str,
    pub(crate) input_type: &'static str,
    pub(crate) inputmode: &'static str,
    pub(crate) autocomplete: &'static str,
    pub(crate) group: bool,
    pub(crate) required: bool,
    pub(crate) hint: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) describedby: String,
    pub(crate) value: String,
    pub(crate) options: Vec<(String, String, bool)>,
    pub(crate) sub_options: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "apply_step.html")]
pub(crate) struct StepPage {
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

pub(crate) fn session_notice(state: &AppState, lang: Lang) -> (String, i64) {
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

pub(crate) fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

pub(crate) async fn field_view(
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

pub(crate) async fn default_province(state: &AppState, p: &Procedure) -> String {
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

pub(crate) fn step_fields<'a>(p: &'a Procedure, step: &str) -> Option<Vec<&'a FormField>> {
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

pub(crate) async fn render_step(
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
    render(page_status(!errors.is_empty()), &page)
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
pub(crate) fn posted_answers(
    fields: &[FormField],
    pairs: &[(String, String)],
) -> Map<String, Value> {
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
    let form = match applicant_form(&auth, &headers, &path, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
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
pub(crate) struct MessagePage {
    layout: Layout,
    heading: String,
    message: String,
    link: (String, String),
}

pub(crate) fn message_page(
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
