//! Workflow definitions: stored as immutable versions (a dossier keeps the version it started
//! with), checked when saved, cached once parsed. The built-in default flow needs no row.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use lienthong_domain::workflow::definition::{DEFAULT_TOML, DefinitionError, Workflow};
use lienthong_store::processing::{self as store, WorkflowRow};

use crate::{
    App, AppError, FieldError,
    audit::{self, AuditCtx},
    authz::{Action, Caller},
};

/// Name procedures use for the built-in flow.
pub const DEFAULT_NAME: &str = "default";
/// Version id of the built-in flow.
pub const BUILTIN_ID: &str = "default@builtin";

/// Parsed workflow versions by id.
#[derive(Default)]
pub struct WorkflowCache {
    by_id: Mutex<HashMap<String, Arc<Workflow>>>,
}

impl std::fmt::Debug for WorkflowCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WorkflowCache")
    }
}

fn definition_errors(errors: Vec<DefinitionError>) -> AppError {
    AppError::Validation(
        errors
            .into_iter()
            .map(|e| FieldError {
                field: format!("definition:{}", e.line),
                vi: format!("Dòng {}: {}", e.line, e.vi),
                en: format!("Line {}: {}", e.line, e.en),
            })
            .collect(),
    )
}

fn builtin() -> Result<Arc<Workflow>, AppError> {
    Workflow::parse(DEFAULT_TOML)
        .map(Arc::new)
        .map_err(|e| AppError::Internal(format!("built-in workflow: {e:?}")))
}

/// A workflow version by id.
pub async fn by_id(app: &App, id: &str) -> Result<Arc<Workflow>, AppError> {
    if let Ok(cache) = app.workflows.by_id.lock()
        && let Some(w) = cache.get(id)
    {
        return Ok(w.clone());
    }
    let wf = if id == BUILTIN_ID {
        builtin()?
    } else {
        let row = {
            let mut conn = app.db.read().await?;
            store::workflow_by_id(&mut conn, id).await?
        }
        .ok_or_else(|| AppError::NotFound(format!("workflow {id}")))?;
        Arc::new(Workflow::parse(&row.definition).map_err(definition_errors)?)
    };
    if let Ok(mut cache) = app.workflows.by_id.lock() {
        cache.insert(id.to_owned(), wf.clone());
    }
    Ok(wf)
}

/// The current version of workflow `name` (the built-in flow for `default` until one is saved).
pub async fn current(app: &App, name: &str) -> Result<(String, Arc<Workflow>), AppError> {
    let rows = {
        let mut conn = app.db.reader().await?;
        store::current_workflows(&mut conn).await?
    };
    match rows.into_iter().find(|r| r.name == name) {
        Some(r) => Ok((r.id.clone(), by_id(app, &r.id).await?)),
        None if name == DEFAULT_NAME => Ok((BUILTIN_ID.to_owned(), by_id(app, BUILTIN_ID).await?)),
        None => Err(AppError::NotFound(format!("workflow {name}"))),
    }
}

/// The current versions of every saved workflow, with the built-in default when not replaced.
pub async fn list(app: &App) -> Result<Vec<WorkflowRow>, AppError> {
    let mut rows = {
        let mut conn = app.db.read().await?;
        store::current_workflows(&mut conn).await?
    };
    if !rows.iter().any(|r| r.name == DEFAULT_NAME) {
        rows.insert(
            0,
            WorkflowRow {
                id: BUILTIN_ID.into(),
                name: DEFAULT_NAME.into(),
                definition: DEFAULT_TOML.into(),
                created_at: 0,
                created_by: "system".into(),
            },
        );
    }
    Ok(rows)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 60
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Saves a new version of workflow `name` after checking it, and its step durations against
/// every current procedure that follows it. Administrators only.
pub async fn save(
    app: &App,
    caller: &Caller,
    ctx: &AuditCtx,
    name: &str,
    definition: &str,
) -> Result<WorkflowRow, AppError> {
    crate::org::authorize_province(app, caller, Action::ManageCatalog).await?;
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    store_version(app, &principal.account_id, ctx, name, definition).await
}

/// Saves a workflow from the command line (the operator of the machine).
pub async fn import(
    app: &App,
    ctx: &AuditCtx,
    name: &str,
    definition: &str,
) -> Result<WorkflowRow, AppError> {
    store_version(app, "cli", ctx, name, definition).await
}

async fn store_version(
    app: &App,
    author: &str,
    ctx: &AuditCtx,
    name: &str,
    definition: &str,
) -> Result<WorkflowRow, AppError> {
    if !valid_name(name) {
        return Err(AppError::Validation(vec![FieldError::new(
            "name",
            "Tên luồng chỉ gồm chữ thường không dấu, số, '-' hoặc '_' (tối đa 60).",
            "A workflow name is lowercase ASCII letters, digits, '-' or '_' (at most 60).",
        )]));
    }
    if definition.len() > 64 * 1024 {
        return Err(AppError::Validation(vec![FieldError::new(
            "definition",
            "Định nghĩa luồng tối đa 64 KB.",
            "A workflow definition has at most 64 KB.",
        )]));
    }
    let wf = Workflow::parse(definition).map_err(definition_errors)?;
    let mut errors = Vec::new();
    for p in crate::catalog::export(app).await? {
        if p.workflow.as_deref().unwrap_or(DEFAULT_NAME) == name {
            for e in wf.check_duration(p.processing_time.as_days()) {
                errors.push(FieldError {
                    field: format!("definition:{}", e.line),
                    vi: format!("Dòng {}: thủ tục {}: {}", e.line, p.code, e.vi),
                    en: format!("Line {}: procedure {}: {}", e.line, p.code, e.en),
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let row = WorkflowRow {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.to_owned(),
        definition: lienthong_domain::text::nfc(definition),
        created_at: app.now_us(),
        created_by: author.to_owned(),
    };
    let mut tx = app.db.write().await?;
    store::insert_workflow(tx.conn(), &row).await?;
    audit::record(
        tx.conn(),
        app,
        ctx,
        "workflow.save",
        "workflow",
        name,
        None,
        audit::digest(&row.definition),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Checks that a procedure's workflow exists and that its steps fit the processing time.
pub async fn check_procedure(
    app: &App,
    p: &lienthong_domain::catalog::Procedure,
) -> Result<Vec<FieldError>, AppError> {
    let name = p.workflow.as_deref().unwrap_or(DEFAULT_NAME);
    let wf = match current(app, name).await {
        Ok((_, wf)) => wf,
        Err(AppError::NotFound(_)) => {
            return Ok(vec![FieldError {
                field: "workflow".into(),
                vi: format!("Luồng xử lý \"{name}\" không tồn tại."),
                en: format!("Workflow \"{name}\" does not exist."),
            }]);
        }
        Err(e) => return Err(e),
    };
    Ok(wf
        .check_duration(p.processing_time.as_days())
        .into_iter()
        .map(|e| FieldError {
            field: "workflow".into(),
            vi: format!("Luồng \"{name}\", dòng {}: {}", e.line, e.vi),
            en: format!("Workflow \"{name}\", line {}: {}", e.line, e.en),
        })
        .collect())
}
