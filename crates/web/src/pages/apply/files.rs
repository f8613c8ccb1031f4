//! The files step: uploads checked against their slot, removal, the required-slot check.

use super::*;

pub(crate) struct SlotView {
    slot: String,
    name: String,
    required: bool,
    error: Option<String>,
    files: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "apply_files.html")]
pub(crate) struct FilesPage {
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

pub(crate) fn size_label(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

pub(crate) async fn files_page(
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
    render(page_status(!errors.is_empty()), &page)
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

pub(crate) fn upload_problem(
    slot: &str,
    p: lienthong_app::blobs::UploadProblem,
    max: u64,
) -> FieldError {
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
    let form = match applicant_form(&auth, &headers, &path, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let get = |k: &str| form.get(k);
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
    let form = match applicant_form(&auth, &headers, &path, &body) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let get = |k: &str| form.get(k);
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
