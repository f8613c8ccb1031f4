//! Dossier use cases of the portal: submission with files, reading, public tracking, and the
//! applicant's list.

mod receipt;
mod tracking;

pub(crate) use receipt::letterhead;
pub use receipt::receipt;
pub use tracking::{Tracking, track};

use lienthong_domain::{
    dossier::{Channel, Status, dossier_code, dossier_sequence_key, extension},
    form::{AnswerContext, DocumentSlot},
    org::UnitLevel,
    role::AccountKind,
};
use lienthong_store::{
    Reader,
    dossiers::{self as store, DossierFile, DossierRow, HistoryEntry},
    org as store_org,
};
use serde_json::{Map, Value};

use crate::{
    App, AppError, FieldError,
    audit::{self, AuditCtx},
    authz::{Action, Caller, authorize},
    blobs::StoredBlob,
    caches::Caches,
    catalog,
    org::agency_scope,
};

/// A file received with a submission, already in the blob store.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// Document slot it was sent for.
    pub slot: String,
    /// Name given by the client (made safe).
    pub file_name: String,
    /// Media type the client declared, if any.
    pub declared_type: Option<String>,
    /// The stored content.
    pub blob: StoredBlob,
}

/// What an applicant submits.
#[derive(Debug, Clone)]
pub struct Submission {
    /// Procedure code.
    pub procedure_code: String,
    /// Receiving agency code.
    pub agency_code: String,
    /// Answers keyed by question name.
    pub answers: Map<String, Value>,
    /// Files.
    pub files: Vec<UploadedFile>,
    /// Client's idempotency key.
    pub idempotency_key: Option<String>,
}

/// A dossier as its readers see it.
#[derive(Debug, Clone)]
pub struct DossierView {
    /// Stored row.
    pub row: DossierRow,
    /// Status.
    pub status: Status,
    /// Procedure name (as submitted).
    pub procedure_name: String,
    /// Agency name at receipt.
    pub agency_name: String,
    /// Files.
    pub files: Vec<DossierFile>,
    /// History, oldest first.
    pub history: Vec<HistoryEntry>,
    /// Actions the caller may take now.
    pub allowed_actions: Vec<String>,
    /// Name of the current workflow step.
    pub step_name: Option<String>,
    /// Supplement rounds, oldest first.
    pub supplements: Vec<lienthong_store::processing::SupplementRow>,
    /// Documents issued (notices, apology, result).
    pub documents: Vec<lienthong_store::processing::DocumentRow>,
    /// Time each agency held the dossier at each step.
    pub legs: Vec<lienthong_store::processing::Leg>,
}

/// Checks one uploaded file against its slot: the content type (sniffed, not trusted from the
/// name) must be accepted, and the name's extension and declared type must agree with it.
pub fn check_file(slot: &DocumentSlot, f: &UploadedFile) -> Result<(), FieldError> {
    let Some(sniffed) = f.blob.sniffed else {
        return Err(FieldError::new(
            &f.slot,
            "Tệp không phải PDF, JPG hoặc PNG. Hãy chụp hoặc quét lại giấy tờ ở một trong các định dạng này.",
            "The file is not a PDF, JPG or PNG. Scan or photograph the document in one of these formats.",
        ));
    };
    if !slot.accept.iter().any(|a| a == sniffed.media_type()) {
        return Err(FieldError::new(
            &f.slot,
            "Loại tệp này không được nhận cho giấy tờ này.",
            "This file type is not accepted for this document.",
        ));
    }
    let ext_ok = extension(&f.file_name).is_none_or(|e| sniffed.extensions().contains(&e.as_str()));
    let declared_ok = f
        .declared_type
        .as_deref()
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .is_none_or(|t| {
            t.is_empty()
                || t == "application/octet-stream"
                || t == sniffed.media_type()
                || (t == "image/jpg" && sniffed.media_type() == "image/jpeg")
        });
    if !ext_ok || !declared_ok {
        return Err(FieldError::new(
            &f.slot,
            "Nội dung tệp không khớp với loại tệp (phần mở rộng hoặc kiểu khai báo). Tệp đã bị từ chối.",
            "The file content does not match its declared type or extension. The file was refused.",
        ));
    }
    Ok(())
}

fn answer_text(answers: &Map<String, Value>, key: &str) -> Option<String> {
    answers.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The `(province, commune)` pairs named by address answers that are real today: a commune
/// of that province. Only the pairs the answers use are looked up.
pub async fn valid_addresses(
    app: &App,
    form: &lienthong_domain::form::FormDefinition,
    answers: &Map<String, Value>,
) -> Result<std::collections::HashSet<(String, String)>, AppError> {
    let mut out = std::collections::HashSet::new();
    let today = app.clock.today();
    let mut conn = app.db.reader().await?;
    for f in form
        .fields
        .iter()
        .filter(|f| f.kind == lienthong_domain::form::FieldKind::Address)
    {
        let Some(obj) = answers.get(&f.name).and_then(Value::as_object) else {
            continue;
        };
        let get = |k: &str| {
            obj.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let (province, commune) = (get("province_code"), get("commune_code"));
        if commune.len() != 5 || province.len() != 2 {
            continue;
        }
        if let Some(unit) =
            store_org::unit_at(&mut conn, UnitLevel::Commune, &commune, today).await?
            && unit.parent_code.as_deref() == Some(province.as_str())
        {
            out.insert((province, commune));
        }
    }
    Ok(out)
}

/// Validates answers against a procedure's form, with today's administrative units.
pub async fn validate_answers(
    app: &App,
    form: &lienthong_domain::form::FormDefinition,
    answers: &Map<String, Value>,
) -> Result<Map<String, Value>, AppError> {
    let communes = valid_addresses(app, form, answers).await?;
    let exists = |p: &str, c: &str| communes.contains(&(p.to_owned(), c.to_owned()));
    let ctx = AnswerContext {
        today: app.clock.today(),
        commune_exists: &exists,
    };
    form.validate(answers, &ctx).map_err(|issues| {
        AppError::Validation(
            issues
                .into_iter()
                .map(|i| FieldError {
                    field: i.field,
                    vi: i.vi,
                    en: i.en,
                })
                .collect(),
        )
    })
}

/// Submits a dossier: checks the answers and every file slot, numbers it per agency and day,
/// and stores it with its files, its first history entry, an audit row and an outbox event in
/// one transaction. With an idempotency key already used by the caller, returns that dossier
/// (and `false`).
pub async fn submit(
    app: &App,
    caller: &Caller,
    ctx: &AuditCtx,
    s: Submission,
) -> Result<(DossierView, bool), AppError> {
    authorize(caller, Action::SubmitDossier, None)?;
    create(app, caller, ctx, s, None).await
}

/// Registers at the one-stop desk a dossier brought in person (`Channel::Direct`) or by post
/// (`Channel::Postal`) on the applicant's behalf: the same checks as online, then accepted at
/// once with its due date, so the receipt (Mẫu 01) can be printed for the applicant. Reception
/// officials of the receiving agency (or above) only.
pub async fn register_at_desk(
    app: &App,
    caller: &Caller,
    ctx: &AuditCtx,
    s: Submission,
    channel: Channel,
) -> Result<DossierView, AppError> {
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let scope = agency_scope(app, &s.agency_code).await?;
    let at_desk = principal.kind == AccountKind::Official
        && principal.roles.iter().any(|g| {
            g.role == lienthong_domain::role::Role::Reception
                && scope.lineage.contains(&g.agency_code)
        });
    if !at_desk {
        return Err(AppError::Forbidden);
    }
    if channel == Channel::Online {
        return Err(AppError::Validation(vec![FieldError::new(
            "channel",
            "Tại quầy chỉ nhận hồ sơ trực tiếp hoặc qua bưu chính.",
            "The desk registers dossiers brought in person or by post.",
        )]));
    }
    if answer_text(&s.answers, "applicant_name").is_none() {
        return Err(AppError::Validation(vec![FieldError::new(
            "applicant_name",
            "Cần ghi họ tên người nộp.",
            "The applicant's name is required.",
        )]));
    }
    let (view, _) = create(app, caller, ctx, s, Some(channel)).await?;
    let req = crate::processing::ActionRequest::new(
        lienthong_domain::workflow::DossierAction::Accept,
        view.row.version,
    );
    crate::processing::act(app, caller, ctx, &view.row.code, req).await
}

async fn create(
    app: &App,
    caller: &Caller,
    ctx: &AuditCtx,
    s: Submission,
    desk: Option<Channel>,
) -> Result<(DossierView, bool), AppError> {
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    if let Some(key) = s.idempotency_key.as_ref().filter(|_| desk.is_none()) {
        if key.is_empty() || key.len() > 200 {
            return Err(AppError::Validation(vec![FieldError::new(
                "Idempotency-Key",
                "Khóa chống gửi trùng dài 1–200 ký tự.",
                "The idempotency key has 1 to 200 characters.",
            )]));
        }
        let existing = {
            let mut conn = app.db.reader().await?;
            store::by_idempotency_key(&mut conn, &principal.account_id, key).await?
        };
        if let Some(row) = existing {
            return Ok((view(app, caller, row).await?, false));
        }
    }
    let published = catalog::shared_procedure(app, &s.procedure_code, None).await?;
    let procedure = &published.procedure;
    let mut errors = Vec::new();
    if !procedure.agency_codes.contains(&s.agency_code) {
        errors.push(FieldError::new(
            "agency_code",
            "Cơ quan này không tiếp nhận thủ tục đã chọn.",
            "This agency does not receive the chosen procedure.",
        ));
    }
    let answers = match validate_answers(app, &procedure.form, &s.answers).await {
        Ok(a) => a,
        Err(AppError::Validation(e)) => {
            errors.extend(e);
            Map::new()
        }
        Err(e) => return Err(e),
    };
    for f in &s.files {
        match procedure.form.documents.iter().find(|d| d.slot == f.slot) {
            None => errors.push(FieldError::new(
                &f.slot,
                "Thủ tục này không có thành phần hồ sơ này.",
                "This procedure has no such document.",
            )),
            Some(slot) => {
                if let Err(e) = check_file(slot, f) {
                    errors.push(e);
                }
            }
        }
    }
    for d in procedure.form.documents.iter().filter(|d| d.required) {
        if !s.files.iter().any(|f| f.slot == d.slot) {
            errors.push(FieldError {
                field: d.slot.clone(),
                vi: format!("Cần đính kèm: {}.", d.name),
                en: format!("Attach: {}.", d.name),
            });
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (workflow_id, wf) =
        crate::workflows::current(app, procedure.workflow.as_deref().unwrap_or("default")).await?;
    let first = wf
        .first()
        .ok_or_else(|| AppError::Internal("workflow without steps".into()))?;
    let now = app.now_us();
    let today = app.clock.today();
    // Reads by key before the write transaction, so that the single writer waits for none
    // of them (the agency version is pinned by its id in the row; the account is the
    // caller's own).
    let (agency, account) = {
        let mut r = app.db.reader().await?;
        let agency = store_org::agency_at(&mut r, &s.agency_code, today)
            .await?
            .ok_or_else(|| AppError::NotFound(s.agency_code.clone()))?;
        let account = match desk {
            None => lienthong_store::accounts::by_id(&mut r, &principal.account_id).await?,
            Some(_) => None,
        };
        (agency, account)
    };
    let media_type = |f: &UploadedFile| {
        f.blob
            .sniffed
            .map_or("application/octet-stream", |x| x.media_type())
    };
    let blobs: Vec<store::NewBlob<'_>> = s
        .files
        .iter()
        .map(|f| {
            let size = i64::try_from(f.blob.size).unwrap_or(i64::MAX);
            (f.blob.sha256.as_str(), size, media_type(f))
        })
        .collect();
    let mut tx = app.db.write().await?;
    let conn = &mut tx.conn();
    store::insert_blobs(&mut *conn, &blobs, now).await?;
    let seq =
        store::next_in_sequence(&mut *conn, &dossier_sequence_key(&s.agency_code, today)).await?;
    let applicant_name =
        answer_text(&answers, "applicant_name").unwrap_or_else(|| principal.full_name.clone());
    let applicant_phone = answer_text(&answers, "applicant_phone")
        .or_else(|| account.as_ref().and_then(|a| a.phone.clone()));
    let applicant_email = answer_text(&answers, "applicant_email")
        .or_else(|| account.as_ref().and_then(|a| a.email.clone()));
    let row = DossierRow {
        id: uuid::Uuid::now_v7().to_string(),
        code: dossier_code(&s.agency_code, today, seq),
        procedure_code: procedure.code.clone(),
        procedure_version_id: published.id.clone(),
        agency_code: s.agency_code.clone(),
        agency_version_id: agency.id.clone(),
        applicant_account_id: desk.is_none().then(|| principal.account_id.clone()),
        applicant_name,
        applicant_phone,
        applicant_email,
        channel: desk.unwrap_or(Channel::Online).as_str().to_owned(),
        status: Status::Submitted.as_str().to_owned(),
        answers: Value::Object(answers).to_string(),
        received_at: now,
        due_date: None,
        version: 1,
        idempotency_key: if desk.is_some() {
            None
        } else {
            s.idempotency_key.clone()
        },
        created_at: now,
        updated_at: now,
        state: lienthong_store::processing::ProcessingState {
            workflow_id: Some(workflow_id),
            current_step: Some(first.id.clone()),
            handling_agency_code: Some(s.agency_code.clone()),
            handling_role: Some(first.role.as_str().to_owned()),
            attention_at: Some(now),
            ..Default::default()
        },
    };
    store::insert(&mut *conn, &row).await.map_err(|e| match e {
        lienthong_store::StoreError::Duplicate => {
            AppError::Conflict("idempotency key already used".into())
        }
        other => other.into(),
    })?;
    let mut positions: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    let files: Vec<DossierFile> = s
        .files
        .iter()
        .map(|f| {
            let pos = positions.entry(f.slot.as_str()).or_insert(0);
            *pos += 1;
            DossierFile {
                slot: f.slot.clone(),
                position: *pos,
                sha256: f.blob.sha256.clone(),
                file_name: f.file_name.clone(),
                media_type: media_type(f).to_owned(),
                size: i64::try_from(f.blob.size).unwrap_or(i64::MAX),
            }
        })
        .collect();
    store::insert_files(&mut *conn, &row.id, &files).await?;
    let submitted = HistoryEntry {
        seq: 1,
        at: now,
        actor: principal.account_id.clone(),
        actor_name: if desk.is_some() {
            principal.full_name.clone()
        } else {
            row.applicant_name.clone()
        },
        action: "submit".into(),
        status: row.status.clone(),
        note: None,
        step: row.state.current_step.clone(),
        agency_code: Some(row.agency_code.clone()),
    };
    store::append_history(&mut *conn, &row.id, &submitted).await?;
    lienthong_store::processing::start_leg(
        &mut *conn,
        &row.id,
        now,
        &row.agency_code,
        &first.id,
        None,
    )
    .await?;
    audit::record(
        &mut *conn,
        app,
        ctx,
        "dossier.submit",
        "dossier",
        &row.code,
        None,
        audit::digest(&(&row.code, &row.answers)),
    )
    .await?;
    lienthong_store::catalog::enqueue(
        &mut *conn,
        "dossier.submitted",
        &row.code,
        &serde_json::json!({"procedure": row.procedure_code, "agency": row.agency_code})
            .to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    app.events.poke();
    // The answer is what this transaction wrote, as reading the dossier back gives it (listed
    // in the same order), without reading it back.
    let mut files = files;
    files.sort_by(|a, b| (a.slot.as_str(), a.position).cmp(&(b.slot.as_str(), b.position)));
    let first_leg = lienthong_store::processing::Leg {
        seq: 1,
        agency_code: row.agency_code.clone(),
        step: first.id.clone(),
        started_at: now,
        due_at: None,
        ended_at: None,
    };
    let view = DossierView {
        status: Status::Submitted,
        procedure_name: procedure.name.clone(),
        agency_name: agency.name,
        files,
        history: vec![submitted],
        allowed_actions: Vec::new(),
        step_name: None,
        supplements: Vec::new(),
        documents: Vec::new(),
        legs: vec![first_leg],
        row,
    };
    Ok((with_actions(app, caller, view).await?, true))
}

/// Whether `caller` may read the dossier `row`, whose legs are `legs`.
async fn can_read(
    app: &App,
    caller: &Caller,
    row: &DossierRow,
    legs: &[lienthong_store::processing::Leg],
) -> Result<(), AppError> {
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    if row.applicant_account_id.as_deref() == Some(principal.account_id.as_str()) {
        return Ok(());
    }
    if principal.kind != AccountKind::Official {
        // Another applicant learns nothing, not even that the code exists.
        return Err(AppError::NotFound(row.code.clone()));
    }
    // Officials of the receiving agency, of the agency holding it now, and of every agency
    // that held it (a transfer) may read it.
    let mut agencies = vec![row.agency_code.clone()];
    agencies.extend(row.state.handling_agency_code.clone());
    agencies.extend(legs.iter().map(|l| l.agency_code.clone()));
    agencies.sort_unstable();
    agencies.dedup();
    let mut last = Err(AppError::Forbidden);
    for code in agencies {
        let scope = agency_scope(app, &code).await?;
        last = authorize(caller, Action::ReadDossiers, Some(&scope));
        if last.is_ok() {
            break;
        }
    }
    last
}

async fn load<'c>(
    conn: impl Into<lienthong_store::Exec<'c>>,
    code: &str,
) -> Result<DossierRow, AppError> {
    store::by_code(conn, code)
        .await?
        .ok_or_else(|| AppError::NotFound(code.to_owned()))
}

async fn view(app: &App, caller: &Caller, row: DossierRow) -> Result<DossierView, AppError> {
    let view = {
        let mut conn = app.db.reader().await?;
        stored_on(&app.caches, row, &mut conn).await?
    };
    complete(app, caller, view).await
}

/// What the view reads from the database, on a lease already held (and its snapshot). It
/// takes no other connection: a request that held one lease while waiting for another could
/// wait forever once every connection of the pool is held that way.
pub(super) async fn stored_on(
    caches: &Caches,
    row: DossierRow,
    conn: &mut Reader,
) -> Result<DossierView, AppError> {
    let status = Status::parse(&row.status)
        .ok_or_else(|| AppError::Internal(format!("status {}", row.status)))?;
    let procedure_name = String::new();
    // A version of an agency never changes its name, so the name is kept once read.
    let agency_name = match caches.agency_name(&row.agency_version_id) {
        Some(name) => name.to_string(),
        None => match store_org::agency_by_id(&mut *conn, &row.agency_version_id).await? {
            Some(a) => {
                caches.keep_agency_name(&row.agency_version_id, &a.name);
                a.name
            }
            None => row.agency_code.clone(),
        },
    };
    let files = store::files(&mut *conn, &row.id).await?;
    let history = store::history(&mut *conn, &row.id).await?;
    let supplements = lienthong_store::processing::supplements(&mut *conn, &row.id).await?;
    let documents = lienthong_store::processing::documents(&mut *conn, &row.id).await?;
    let legs = lienthong_store::processing::legs(&mut *conn, &row.id).await?;
    let view = DossierView {
        row,
        status,
        procedure_name,
        agency_name,
        files,
        history,
        allowed_actions: Vec::new(),
        step_name: None,
        supplements,
        documents,
        legs,
    };
    Ok(view)
}

/// Completes a view read by [`stored_on`], after its lease is returned: the procedure's name
/// (cached), the actions the caller may take and the step's name.
pub(crate) async fn complete(
    app: &App,
    caller: &Caller,
    mut view: DossierView,
) -> Result<DossierView, AppError> {
    view.procedure_name = catalog::shared_version(app, &view.row.procedure_version_id)
        .await?
        .procedure
        .name
        .clone();
    with_actions(app, caller, view).await
}

/// Completes a view with what follows from its row and the (cached) workflow: the actions
/// the caller may take and the current step's name.
async fn with_actions(
    app: &App,
    caller: &Caller,
    mut view: DossierView,
) -> Result<DossierView, AppError> {
    view.allowed_actions = crate::processing::allowed_actions(app, caller, &view.row).await?;
    view.step_name = crate::processing::step_name(app, &view.row).await?;
    Ok(view)
}

/// A dossier, for its applicant or for officials of the receiving agency (and above).
pub async fn get(app: &App, caller: &Caller, code: &str) -> Result<DossierView, AppError> {
    let view = readable(app, caller, code).await?;
    complete(app, caller, view).await
}

/// What the database holds of a dossier the caller may read, not yet completed by
/// [`complete`].
pub(crate) async fn readable(
    app: &App,
    caller: &Caller,
    code: &str,
) -> Result<DossierView, AppError> {
    caller.principal().ok_or(AppError::Unauthenticated)?;
    // One lease for everything stored (one snapshot); the rights check and the rest after it
    // is returned. Nothing read is shown before the check passes.
    let view = {
        let mut conn = app.db.reader().await?;
        let row = load(&mut conn, code).await?;
        stored_on(&app.caches, row, &mut conn).await?
    };
    can_read(app, caller, &view.row, &view.legs).await?;
    Ok(view)
}

/// The caller's own dossiers, newest first.
pub async fn mine(app: &App, caller: &Caller) -> Result<Vec<DossierView>, AppError> {
    authorize(caller, Action::ReadOwnAccount, None)?;
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let rows = {
        let mut conn = app.db.read().await?;
        store::of_applicant(&mut conn, &principal.account_id, 200).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(app, caller, r).await?);
    }
    Ok(out)
}
