//! Check-your-answers and sending the draft as a dossier.

use super::*;

#[derive(Template)]
#[template(path = "apply_check.html")]
pub(crate) struct CheckPage {
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

pub(crate) async fn display(
    state: &AppState,
    f: &FormField,
    v: Option<&Value>,
    lang: Lang,
) -> String {
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

pub(crate) async fn check_page(
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
    render(page_status(!errors.is_empty()), &page)
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
    if let Err(r) = applicant_form(&auth, &headers, &path, &body) {
        return *r;
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
