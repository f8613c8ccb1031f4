//! Drafts: a signed-in applicant's answers and files, saved on the server at every step and
//! resumable on any device until submitted.

use lienthong_domain::{
    catalog::Procedure,
    dossier::{Sniffed, sniff},
    form::FormDefinition,
};
use lienthong_store::{
    dossiers::{self as store, DraftRow},
    org as store_org,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    App, AppError, FieldError,
    audit::{self, AuditCtx},
    authz::{Action, Caller, authorize},
    blobs::StoredBlob,
    catalog,
    dossiers::{self, DossierView, Submission, UploadedFile},
};

/// A file attached to a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftFile {
    /// Document slot.
    pub slot: String,
    /// Content hash.
    pub sha256: String,
    /// Safe file name.
    pub file_name: String,
    /// Sniffed media type.
    pub media_type: String,
    /// Bytes.
    pub size: u64,
}

/// A draft.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Id.
    pub id: String,
    /// Procedure code.
    pub procedure_code: String,
    /// Answers as typed (invalid ones included, so nothing typed is lost).
    pub answers: Map<String, Value>,
    /// Files uploaded so far.
    pub files: Vec<DraftFile>,
    /// Step reached.
    pub step: String,
    /// Last saved (µs).
    pub updated_at: i64,
}

fn parse(row: &DraftRow) -> Draft {
    Draft {
        id: row.id.clone(),
        procedure_code: row.procedure_code.clone(),
        answers: serde_json::from_str(&row.answers).unwrap_or_default(),
        files: serde_json::from_str(&row.files).unwrap_or_default(),
        step: row.step.clone(),
        updated_at: row.updated_at,
    }
}

async fn write(app: &App, caller: &Caller, d: &Draft) -> Result<(), AppError> {
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let now = app.now_us();
    let mut tx = app.db.write().await?;
    store::save_draft(
        tx.conn(),
        &DraftRow {
            id: d.id.clone(),
            account_id: principal.account_id.clone(),
            procedure_code: d.procedure_code.clone(),
            answers: Value::Object(d.answers.clone()).to_string(),
            files: serde_json::to_string(&d.files)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            step: d.step.clone(),
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Resumes the caller's latest draft of `procedure_code`, or starts one.
pub async fn start(app: &App, caller: &Caller, procedure_code: &str) -> Result<Draft, AppError> {
    authorize(caller, Action::SubmitDossier, None)?;
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    catalog::procedure(app, procedure_code, None).await?;
    let existing = {
        let mut conn = app.db.read().await?;
        store::drafts_of(&mut conn, &principal.account_id).await?
    };
    if let Some(row) = existing.iter().find(|r| r.procedure_code == procedure_code) {
        return Ok(parse(row));
    }
    let d = Draft {
        id: uuid::Uuid::now_v7().to_string(),
        procedure_code: procedure_code.to_owned(),
        answers: Map::new(),
        files: Vec::new(),
        step: "start".into(),
        updated_at: app.now_us(),
    };
    write(app, caller, &d).await?;
    Ok(d)
}

/// The caller's draft `id`; anyone else's draft does not exist for them.
pub async fn load(app: &App, caller: &Caller, id: &str) -> Result<Draft, AppError> {
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let row = {
        let mut conn = app.db.read().await?;
        store::draft_by_id(&mut conn, id).await?
    };
    match row {
        Some(r) if r.account_id == principal.account_id => Ok(parse(&r)),
        _ => Err(AppError::NotFound(id.to_owned())),
    }
}

/// The caller's drafts, most recent first.
pub async fn mine(app: &App, caller: &Caller) -> Result<Vec<Draft>, AppError> {
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let mut conn = app.db.read().await?;
    Ok(store::drafts_of(&mut conn, &principal.account_id)
        .await?
        .iter()
        .map(parse)
        .collect())
}

/// Stores answers as typed and the step reached.
pub async fn save(
    app: &App,
    caller: &Caller,
    draft: &mut Draft,
    answers: Map<String, Value>,
    step: &str,
) -> Result<(), AppError> {
    for (k, v) in answers {
        draft.answers.insert(k, v);
    }
    step.clone_into(&mut draft.step);
    write(app, caller, draft).await
}

/// Checks the questions of one step against everything answered so far; returns the issues
/// of that step's questions only.
pub async fn check_step(
    app: &App,
    form: &FormDefinition,
    answers: &Map<String, Value>,
    names: &[String],
) -> Result<Vec<FieldError>, AppError> {
    let communes = dossiers::valid_addresses(app, form, answers).await?;
    let exists = |p: &str, c: &str| communes.contains(&(p.to_owned(), c.to_owned()));
    let ctx = lienthong_domain::form::AnswerContext {
        today: app.clock.today(),
        commune_exists: &exists,
    };
    let (_, issues) = form.validate_all(answers, &ctx);
    Ok(issues
        .into_iter()
        .filter(|i| names.contains(&i.field))
        .map(|i| FieldError {
            field: i.field,
            vi: i.vi,
            en: i.en,
        })
        .collect())
}

/// Attaches an uploaded file to a draft after checking it against its slot.
pub async fn add_file(
    app: &App,
    caller: &Caller,
    draft: &mut Draft,
    procedure: &Procedure,
    file: UploadedFile,
) -> Result<(), AppError> {
    let slot = procedure
        .form
        .documents
        .iter()
        .find(|d| d.slot == file.slot)
        .ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                &file.slot,
                "Thủ tục này không có thành phần hồ sơ này.",
                "This procedure has no such document.",
            )])
        })?;
    dossiers::check_file(slot, &file).map_err(|e| AppError::Validation(vec![e]))?;
    let media_type = file
        .blob
        .sniffed
        .map_or("application/octet-stream", Sniffed::media_type)
        .to_owned();
    if !draft
        .files
        .iter()
        .any(|f| f.slot == file.slot && f.sha256 == file.blob.sha256)
    {
        draft.files.push(DraftFile {
            slot: file.slot,
            sha256: file.blob.sha256,
            file_name: file.file_name,
            media_type,
            size: file.blob.size,
        });
    }
    write(app, caller, draft).await
}

/// Removes a file from a draft.
pub async fn remove_file(
    app: &App,
    caller: &Caller,
    draft: &mut Draft,
    slot: &str,
    sha256: &str,
) -> Result<(), AppError> {
    draft
        .files
        .retain(|f| !(f.slot == slot && f.sha256 == sha256));
    write(app, caller, draft).await
}

/// The receiving agency: the only one, or the one serving the commune of an address answer.
pub async fn pick_agency(
    app: &App,
    procedure: &Procedure,
    answers: &Map<String, Value>,
) -> Result<Option<String>, AppError> {
    if let [only] = procedure.agency_codes.as_slice() {
        return Ok(Some(only.clone()));
    }
    let communes: Vec<String> = procedure
        .form
        .fields
        .iter()
        .filter(|f| f.kind == lienthong_domain::form::FieldKind::Address)
        .filter_map(|f| {
            answers
                .get(&f.name)
                .and_then(|a| a.get("commune_code"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    let mut conn = app.db.read().await?;
    let agencies = store_org::agencies_at(&mut conn, app.clock.today(), None).await?;
    Ok(communes.iter().find_map(|c| {
        agencies
            .iter()
            .find(|a| {
                a.admin_unit_code.as_deref() == Some(c.as_str())
                    && procedure.agency_codes.contains(&a.code)
            })
            .map(|a| a.code.clone())
    }))
}

/// Submits a draft as a dossier. The draft id is the idempotency key, so a double click or a
/// repeated request never creates two dossiers. The draft is deleted once the dossier exists.
pub async fn submit(
    app: &App,
    caller: &Caller,
    ctx: &AuditCtx,
    id: &str,
) -> Result<DossierView, AppError> {
    let draft = load(app, caller, id).await?;
    let published = catalog::procedure(app, &draft.procedure_code, None).await?;
    let agency = pick_agency(app, &published.procedure, &draft.answers).await?.ok_or_else(|| {
        AppError::Validation(vec![FieldError::new(
            "agency_code",
            "Địa chỉ đã khai không thuộc xã, phường nào tiếp nhận thủ tục này. Hãy kiểm tra lại địa chỉ.",
            "The address given is not in a commune that receives this procedure. Check the address.",
        )])
    })?;
    let mut files = Vec::with_capacity(draft.files.len());
    for f in &draft.files {
        let head = app.blobs.head(&f.sha256, 16).await?;
        files.push(UploadedFile {
            slot: f.slot.clone(),
            file_name: f.file_name.clone(),
            declared_type: Some(f.media_type.clone()),
            blob: StoredBlob {
                sha256: f.sha256.clone(),
                size: f.size,
                sniffed: sniff(&head),
            },
        });
    }
    let submission = Submission {
        procedure_code: draft.procedure_code.clone(),
        agency_code: agency,
        answers: draft.answers.clone(),
        files,
        idempotency_key: Some(format!("draft:{}", draft.id)),
    };
    let (view, _) = dossiers::submit(app, caller, ctx, submission).await?;
    let mut tx = app.db.write().await?;
    store::delete_draft(tx.conn(), &draft.id).await?;
    audit::record(
        tx.conn(),
        app,
        ctx,
        "draft.submitted",
        "draft",
        &draft.id,
        None,
        Some(view.row.code.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}
