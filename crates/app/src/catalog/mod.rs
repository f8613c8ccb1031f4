//! Catalog use cases: import and export of procedures (JSON and CSV), versioning, lookup and
//! search, and keeping the search index in step with the database through events.

mod codec;
pub mod search;

use jiff::civil::Date;
use lienthong_domain::catalog::Procedure;
use lienthong_store::Exec;
use lienthong_store::catalog as store;

pub use codec::{Format, from_csv, from_json, to_csv, to_json};

use crate::{
    App, AppError, FieldError,
    audit::{self, AuditCtx},
    authz::{Action, Caller, authorize},
    events::{self, PROCEDURE_CHANGED},
};

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CatalogImport {
    /// Procedures seen for the first time.
    pub created: usize,
    /// Procedures given a new version.
    pub versioned: usize,
    /// Procedures identical to their latest version.
    pub unchanged: usize,
}

fn invalid(
    file: &str,
    index: usize,
    issues: Vec<lienthong_domain::catalog::CatalogIssue>,
) -> AppError {
    AppError::Validation(
        issues
            .into_iter()
            .map(|i| FieldError {
                field: format!("{file}[{index}].{}", i.path),
                vi: i.vi,
                en: i.en,
            })
            .collect(),
    )
}

/// Whether `caller` may change `procedures`: an administrator may change a procedure only if
/// every receiving agency is theirs or under theirs (a commune cannot change what all communes
/// of the province share).
pub async fn authorize_procedures(
    app: &App,
    caller: &Caller,
    procedures: &[Procedure],
) -> Result<(), AppError> {
    authorize(caller, Action::ManageCatalog, None)?;
    let mut checked = std::collections::HashSet::new();
    for p in procedures {
        for code in &p.agency_codes {
            if checked.insert(code.clone()) {
                let scope = crate::org::agency_scope(app, code).await?;
                authorize(caller, Action::ManageCatalog, Some(&scope))?;
            }
        }
    }
    Ok(())
}

/// Stores `procedures` in one transaction: a new procedure gets version 1; a changed one gets
/// a new version from its `valid_from` (which must come after the latest version's); an
/// identical one is left alone. Every definition is checked first; one bad definition stops
/// the whole import.
pub async fn import(
    app: &App,
    caller: Option<&Caller>,
    ctx: &AuditCtx,
    file: &str,
    procedures: &[Procedure],
) -> Result<CatalogImport, AppError> {
    if let Some(caller) = caller {
        authorize_procedures(app, caller, procedures).await?;
    }
    for (i, p) in procedures.iter().enumerate() {
        let mut issues = p.check();
        for e in crate::workflows::check_procedure(app, p).await? {
            issues.push(lienthong_domain::catalog::CatalogIssue {
                path: e.field,
                vi: e.vi,
                en: e.en,
            });
        }
        if !issues.is_empty() {
            return Err(invalid(file, i, issues));
        }
    }
    let mut tx = app.db.write().await?;
    let mut summary = CatalogImport::default();
    for p in procedures {
        match store_version(tx.conn(), app, ctx, p).await? {
            Stored::Created => summary.created += 1,
            Stored::Versioned => summary.versioned += 1,
            Stored::Unchanged => summary.unchanged += 1,
        }
    }
    tx.commit().await?;
    app.events.poke();
    Ok(summary)
}

enum Stored {
    Created,
    Versioned,
    Unchanged,
}

async fn store_version<'c>(
    conn: impl Into<Exec<'c>>,
    app: &App,
    ctx: &AuditCtx,
    p: &Procedure,
) -> Result<Stored, AppError> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let definition = serde_json::to_string(p).map_err(|e| AppError::Internal(e.to_string()))?;
    let latest = store::latest(&mut *conn, &p.code).await?;
    let (version, outcome, before) = match &latest {
        Some(l) if l.definition == definition => return Ok(Stored::Unchanged),
        Some(l) if p.valid_from <= l.valid_from => {
            return Err(AppError::Conflict(format!(
                "{}: phiên bản mới phải có hiệu lực sau ngày {} / a new version must start after {}",
                p.code, l.valid_from, l.valid_from
            )));
        }
        Some(l) => {
            store::close(&mut *conn, &l.id, p.valid_from).await?;
            (
                l.version + 1,
                Stored::Versioned,
                Some(audit::digest(&l.definition).unwrap_or_default()),
            )
        }
        None => (1, Stored::Created, None),
    };
    let row = store::ProcedureVersion {
        id: uuid::Uuid::now_v7().to_string(),
        code: p.code.clone(),
        version,
        valid_from: p.valid_from,
        valid_to: None,
        name: p.name.clone(),
        field_code: p.field.code.clone(),
        level: p.level.as_str().to_owned(),
        online_mode: p.online_mode.as_str().to_owned(),
        definition,
        created_at: app.now_us(),
    };
    store::insert(&mut *conn, &row).await?;
    audit::record(
        &mut *conn,
        app,
        ctx,
        "procedure.version",
        "procedure",
        &row.id,
        before,
        audit::digest(&row.definition),
    )
    .await?;
    store::enqueue(
        &mut *conn,
        PROCEDURE_CHANGED,
        &p.code,
        &serde_json::json!({"version": version}).to_string(),
        app.now_us(),
    )
    .await?;
    Ok(outcome)
}

fn parse(v: &store::ProcedureVersion) -> Result<Procedure, AppError> {
    serde_json::from_str(&v.definition)
        .map_err(|e| AppError::Internal(format!("stored procedure {} unreadable: {e}", v.code)))
}

/// A procedure version with its storage identity.
#[derive(Debug, Clone)]
pub struct Published {
    /// Version id (kept by dossiers).
    pub id: String,
    /// Version number.
    pub version: i64,
    /// Definition.
    pub procedure: Procedure,
}

/// The version of `code` in force on `on` (today by default).
pub async fn procedure(app: &App, code: &str, on: Option<Date>) -> Result<Published, AppError> {
    Ok((*shared_procedure(app, code, on).await?).clone())
}

/// [`procedure`], shared from the cache of versions: only the id of the version in force is
/// read, and its definition is parsed once per process.
pub async fn shared_procedure(
    app: &App,
    code: &str,
    on: Option<Date>,
) -> Result<std::sync::Arc<Published>, AppError> {
    let id = {
        let mut conn = app.db.reader().await?;
        store::id_at(&mut conn, code, on.unwrap_or_else(|| app.clock.today())).await?
    }
    .ok_or_else(|| AppError::NotFound(code.to_owned()))?;
    shared_version(app, &id).await
}

/// A stored version by id (what a dossier was submitted under).
pub async fn version_by_id(app: &App, id: &str) -> Result<Published, AppError> {
    Ok((*shared_version(app, id).await?).clone())
}

/// A stored version by id, shared from the cache (versions never change once stored).
pub async fn shared_version(app: &App, id: &str) -> Result<std::sync::Arc<Published>, AppError> {
    if let Some(p) = app.caches.procedure(id) {
        return Ok(p);
    }
    let mut conn = app.db.reader().await?;
    let v = store::by_id(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(id.to_owned()))?;
    let published = Published {
        id: v.id.clone(),
        version: v.version,
        procedure: parse(&v)?,
    };
    let shared = std::sync::Arc::new(published);
    app.caches.keep_procedure(shared.clone());
    Ok(shared)
}

/// The latest version of every procedure, for export.
pub async fn export(app: &App) -> Result<Vec<Procedure>, AppError> {
    let mut conn = app.db.read().await?;
    store::all_latest(&mut conn)
        .await?
        .iter()
        .map(parse)
        .collect()
}

/// Rebuilds the search index from the versions in force today.
pub async fn rebuild_index(app: &App) -> Result<usize, AppError> {
    let rows = {
        let mut conn = app.db.read().await?;
        store::all_at(&mut conn, app.clock.today()).await?
    };
    let procedures: Vec<Procedure> = rows.iter().map(parse).collect::<Result<_, _>>()?;
    app.search.replace_all(&procedures);
    Ok(procedures.len())
}

/// Applies one catalog event to the search index (idempotent).
pub async fn apply_event(app: &App, event: &events::Event) -> Result<(), AppError> {
    if event.topic != PROCEDURE_CHANGED {
        return Ok(());
    }
    match procedure(app, &event.key, None).await {
        Ok(p) => app.search.upsert(&p.procedure),
        Err(AppError::NotFound(_)) => app.search.remove(&event.key),
        Err(e) => return Err(e),
    }
    Ok(())
}

/// Keeps the search index in step with catalog events; rebuilds it when events were missed.
pub async fn run_index_sync(app: App) {
    let mut rx = app.events.subscribe();
    loop {
        match rx.recv().await {
            Ok(event) => {
                if let Err(e) = apply_event(&app, &event).await {
                    tracing::warn!(error = %e, "search index update failed");
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                if let Err(e) = rebuild_index(&app).await {
                    tracing::warn!(error = %e, "search index rebuild failed");
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
        }
    }
}

/// The printable blank form of a required document that has a template, as a PDF
/// (file name, bytes). The questions come from the procedure's e-form.
pub async fn template_pdf(
    app: &App,
    code: &str,
    slot: &str,
) -> Result<(String, Vec<u8>), AppError> {
    let p = procedure(app, code, None).await?.procedure;
    let doc = p
        .required_documents
        .iter()
        .find(|d| d.slot == slot)
        .ok_or_else(|| AppError::NotFound(slot.to_owned()))?;
    let title = doc
        .template
        .clone()
        .ok_or_else(|| AppError::NotFound(slot.to_owned()))?;
    let questions: Vec<lienthong_documents::BlankQuestion> = p
        .form
        .fields
        .iter()
        .map(|f| lienthong_documents::BlankQuestion {
            label: f.label.clone(),
            choices: f.options.iter().map(|o| o.label.clone()).collect(),
        })
        .collect();
    let pdf = lienthong_documents::blank_form_pdf(&title, &p.name, &questions)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((format!("mau-{}-{}.pdf", p.code, slot), pdf))
}
