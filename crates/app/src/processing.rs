//! Acting on dossiers: the reception desk accepts (fixing the due date in working days) or
//! refuses, hands over to processing, a leader approves, the desk returns the result, the
//! applicant may withdraw. Every action checks the caller, the current status and the
//! version the caller saw, and writes the history, an audit row and an event in one
//! transaction.

use lienthong_domain::{
    dossier::Status,
    role::AccountKind,
    workflow::{Actor, DossierAction},
};
use lienthong_store::dossiers::{self as store, HistoryEntry};

use crate::{
    App, AppError, FieldError,
    audit::{self, AuditCtx},
    authz::{Action, Caller, authorize},
    catalog, dossiers,
    org::agency_scope,
};

/// An action request.
#[derive(Debug, Clone)]
pub struct ActionRequest {
    /// The action.
    pub action: DossierAction,
    /// The dossier version the caller saw.
    pub version: i64,
    /// Note or reason.
    pub note: Option<String>,
}

async fn may_take(
    app: &App,
    caller: &Caller,
    row: &store::DossierRow,
    action: DossierAction,
) -> Result<bool, AppError> {
    let Some(p) = caller.principal() else {
        return Ok(false);
    };
    Ok(match action.actor() {
        Actor::Applicant => row.applicant_account_id.as_deref() == Some(p.account_id.as_str()),
        Actor::Official(roles) => {
            if p.kind != AccountKind::Official {
                return Ok(false);
            }
            let scope = agency_scope(app, &row.agency_code).await?;
            p.roles
                .iter()
                .any(|g| roles.contains(&g.role) && scope.lineage.contains(&g.agency_code))
        }
    })
}

/// The actions `caller` may take on the dossier now.
pub async fn allowed_actions(
    app: &App,
    caller: &Caller,
    row: &store::DossierRow,
) -> Result<Vec<String>, AppError> {
    let Some(status) = Status::parse(&row.status) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for a in DossierAction::ALL {
        if a.next(status).is_some() && may_take(app, caller, row, a).await? {
            out.push(a.as_str().to_owned());
        }
    }
    Ok(out)
}

/// Takes an action on dossier `code`.
pub async fn act(
    app: &App,
    caller: &Caller,
    ctx: &AuditCtx,
    code: &str,
    req: ActionRequest,
) -> Result<dossiers::DossierView, AppError> {
    // Reading rights first: someone who may not see the dossier learns nothing more here.
    let current = dossiers::get(app, caller, code).await?;
    let row = current.row;
    if !may_take(app, caller, &row, req.action).await? {
        authorize(caller, Action::ReadDossiers, None)?;
        return Err(AppError::Forbidden);
    }
    let note = req
        .note
        .as_deref()
        .map(lienthong_domain::text::nfc)
        .filter(|n| !n.is_empty());
    if req.action.needs_reason() && note.is_none() {
        return Err(AppError::Validation(vec![FieldError::new(
            "note",
            "Cần nêu rõ lý do.",
            "A reason is required.",
        )]));
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(AppError::Validation(vec![FieldError::new(
            "note",
            "Ghi chú tối đa 2.000 ký tự.",
            "The note has at most 2,000 characters.",
        )]));
    }
    let status = current.status;
    let next = req.action.next(status).ok_or_else(|| {
        AppError::Conflict(format!(
            "{} is not allowed while the dossier is {}",
            req.action.as_str(),
            status.as_str()
        ))
    })?;
    if req.version != row.version {
        return Err(AppError::Conflict(format!(
            "stale version {} (current {})",
            req.version, row.version
        )));
    }
    let due_date = if req.action == DossierAction::Accept {
        let procedure = catalog::version_by_id(app, &row.procedure_version_id)
            .await?
            .procedure;
        let due =
            crate::calendar::due(app, app.clock.now(), procedure.processing_time.as_days()).await?;
        Some(due.due_date.to_string())
    } else {
        None
    };
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let now = app.now_us();
    let mut tx = app.db.write().await?;
    let conn = tx.conn();
    if !store::transition(
        conn,
        &row.id,
        req.version,
        next.as_str(),
        due_date.as_deref(),
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "the dossier changed meanwhile; reload it".into(),
        ));
    }
    store::append_history(
        conn,
        &row.id,
        &HistoryEntry {
            seq: 0,
            at: now,
            actor: principal.account_id.clone(),
            actor_name: principal.full_name.clone(),
            action: req.action.as_str().into(),
            status: next.as_str().into(),
            note: note.clone(),
        },
    )
    .await?;
    audit::record(
        conn,
        app,
        ctx,
        &format!("dossier.{}", req.action.as_str()),
        "dossier",
        &row.code,
        Some(status.as_str().to_owned()),
        Some(next.as_str().to_owned()),
    )
    .await?;
    lienthong_store::catalog::enqueue(
        conn,
        &format!("dossier.{}", req.action.as_str()),
        &row.code,
        &serde_json::json!({"status": next.as_str(), "due_date": due_date}).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    app.events.poke();
    dossiers::get(app, caller, code).await
}

/// The work queue of an official: dossiers received by the agencies where the caller holds a
/// role that reads dossiers, newest first.
pub async fn queue(app: &App, caller: &Caller) -> Result<Vec<dossiers::DossierView>, AppError> {
    authorize(caller, Action::ReadDossiers, None)?;
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let mut codes: Vec<&str> = principal
        .roles
        .iter()
        .filter(|g| crate::authz::role_permits(g.role, Action::ReadDossiers))
        .map(|g| g.agency_code.as_str())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let mut rows = Vec::new();
    {
        let mut conn = app.db.read().await?;
        for c in codes {
            rows.extend(store::of_agency(&mut conn, c, 200).await?);
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.received_at));
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(dossiers::get(app, caller, &r.code).await?);
    }
    Ok(out)
}
