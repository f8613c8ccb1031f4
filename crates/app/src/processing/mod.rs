//! Acting on dossiers. Every action checks, in this order: that the caller may read the
//! dossier, that the action is possible in the dossier's status (409), that the caller saw the
//! current version (409), that the caller is the applicant or holds the current step's role at
//! the agency holding the dossier (403), that the step allows it (409) and that its fields are
//! valid (422). The change, its history row, the agency leg, issued documents, an audit row
//! and an outbox event are written in one transaction guarded by the version.

mod answer;
pub mod copies;
mod fields;
pub mod issuer;
mod notices;
mod plan;
pub mod queue;
pub mod registers;

use std::sync::Arc;

use jiff::civil::Date;
use lienthong_domain::{
    calendar::OfficeHours,
    dossier::Status,
    role::AccountKind,
    workflow::{
        Actor, DossierAction,
        definition::{Step, Workflow},
    },
};
use lienthong_store::{
    dossiers::{self as store, DossierRow, HistoryEntry},
    processing as pstore,
};
use serde_json::{Map, Value};

pub use fields::SupplementItem;
pub use notices::vn_date;

use crate::{
    App, AppError,
    audit::{self, AuditCtx},
    authz::{AgencyScope, Caller},
    dossiers::{self, UploadedFile},
    org::agency_scope,
    workflows,
};

/// An action request with the fields of API-CONTRACT.md.
#[derive(Debug, Clone)]
pub struct ActionRequest {
    /// The action.
    pub action: DossierAction,
    /// The dossier version the caller saw.
    pub version: i64,
    /// Note or reason.
    pub note: Option<String>,
    /// `request_supplement`: what to supplement and why.
    pub items: Vec<SupplementItem>,
    /// `transfer`: the agency to send the dossier to.
    pub agency_code: Option<String>,
    /// `transfer`: working days the other agency has (default: up to the due date).
    pub working_days: Option<f64>,
    /// `apologize`: the new date (`YYYY-MM-DD`).
    pub new_due_date: Option<String>,
    /// `apologize`: the reason for the delay.
    pub reason: Option<String>,
    /// `return_result`: `desk`, `online` or `post`.
    pub channel: Option<String>,
    /// `return_result` by post: the postal tracking number.
    pub tracking_number: Option<String>,
    /// `rate`: 1 không hài lòng, 2 hài lòng, 3 rất hài lòng.
    pub rating: Option<i64>,
    /// `rate`: optional comment.
    pub comment: Option<String>,
    /// `supplement`: corrected answers (only the requested fields).
    pub answers: Map<String, Value>,
    /// `supplement`: replacement files (only the requested slots).
    pub files: Vec<UploadedFile>,
    /// `approve`: an uploaded result (PDF) instead of the generated one.
    pub result_file: Option<UploadedFile>,
}

impl ActionRequest {
    /// A request with no fields besides the action and version.
    pub fn new(action: DossierAction, version: i64) -> Self {
        Self {
            action,
            version,
            note: None,
            items: Vec::new(),
            agency_code: None,
            working_days: None,
            new_due_date: None,
            reason: None,
            channel: None,
            tracking_number: None,
            rating: None,
            comment: None,
            answers: Map::new(),
            files: Vec::new(),
            result_file: None,
        }
    }
}

/// Everything a decision about one dossier needs, loaded once.
pub(crate) struct Situation {
    pub row: DossierRow,
    pub status: Status,
    pub wf: Arc<Workflow>,
    pub workflow_id: String,
    /// Lineage of the agency holding the dossier (none once closed, or when loaded for a
    /// caller who is not an official).
    pub holder_scope: Option<AgencyScope>,
}

impl Situation {
    pub async fn load(app: &App, row: DossierRow) -> Result<Situation, AppError> {
        Self::build(app, row, true).await
    }

    /// [`Situation::load`] for deciding what `caller` may do: only an official can be a step's
    /// handler, so for anyone else the holder's lineage is not read.
    pub async fn load_for(
        app: &App,
        caller: &Caller,
        row: DossierRow,
    ) -> Result<Situation, AppError> {
        let official = caller
            .principal()
            .is_some_and(|p| p.kind == AccountKind::Official);
        Self::build(app, row, official).await
    }

    async fn build(app: &App, row: DossierRow, with_scope: bool) -> Result<Situation, AppError> {
        let status = Status::parse(&row.status)
            .ok_or_else(|| AppError::Internal(format!("status {}", row.status)))?;
        let workflow_id = row
            .state
            .workflow_id
            .clone()
            .unwrap_or_else(|| workflows::BUILTIN_ID.to_owned());
        let wf = workflows::by_id(app, &workflow_id).await?;
        let holder_scope = match &row.state.handling_agency_code {
            Some(code) if with_scope => Some(agency_scope(app, code).await?),
            _ => None,
        };
        Ok(Situation {
            row,
            status,
            wf,
            workflow_id,
            holder_scope,
        })
    }

    /// The current step (the first one for dossiers that never moved).
    pub fn step(&self) -> Option<&Step> {
        match &self.row.state.current_step {
            Some(id) => self.wf.step(id),
            None => self.wf.first(),
        }
    }

    fn is_applicant(&self, caller: &Caller) -> bool {
        caller.principal().is_some_and(|p| {
            self.row.applicant_account_id.as_deref() == Some(p.account_id.as_str())
        })
    }

    /// Whether the caller holds the current step's role where the dossier is held.
    fn is_handler(&self, caller: &Caller) -> bool {
        let (Some(p), Some(step), Some(scope)) =
            (caller.principal(), self.step(), &self.holder_scope)
        else {
            return false;
        };
        p.kind == AccountKind::Official
            && p.roles
                .iter()
                .any(|g| g.role == step.role && scope.lineage.contains(&g.agency_code))
    }

    /// Whether the step (or, during a transfer, the receiving agency) allows the action, and
    /// the extra conditions of the action hold.
    fn step_allows(&self, action: DossierAction, today: Date, apology_from: Option<Date>) -> bool {
        let Some(step) = self.step() else {
            return false;
        };
        let listed = if self.row.state.transfer_origin.is_some() {
            action == DossierAction::SendBack
        } else {
            step.actions.contains(&action)
        };
        listed
            && match action {
                DossierAction::Apologize => {
                    self.row.state.apologized_at.is_none()
                        && apology_from.is_some_and(|from| today >= from)
                }
                DossierAction::SendBack => {
                    self.row.state.transfer_origin.is_some() || self.wf_previous().is_some()
                }
                _ => true,
            }
    }

    /// The step before the current one on the workflow's path.
    pub fn wf_previous(&self) -> Option<&Step> {
        let current = self.step()?;
        self.wf
            .steps
            .iter()
            .find(|s| s.next.as_deref() == Some(current.id.as_str()))
    }
}

/// The names of the steps of the dossier's workflow, by id.
pub async fn step_names(app: &App, row: &DossierRow) -> Result<Vec<(String, String)>, AppError> {
    let id = row
        .state
        .workflow_id
        .clone()
        .unwrap_or_else(|| workflows::BUILTIN_ID.to_owned());
    let wf = workflows::by_id(app, &id).await?;
    Ok(wf
        .steps
        .iter()
        .map(|s| (s.id.clone(), s.name.clone()))
        .collect())
}

/// The name of the step the dossier is at.
pub async fn step_name(app: &App, row: &DossierRow) -> Result<Option<String>, AppError> {
    let id = row
        .state
        .workflow_id
        .clone()
        .unwrap_or_else(|| workflows::BUILTIN_ID.to_owned());
    let wf = workflows::by_id(app, &id).await?;
    Ok(match &row.state.current_step {
        Some(s) => wf.step(s).map(|x| x.name.clone()),
        None => wf.first().map(|x| x.name.clone()),
    })
}

/// The first day on which the handler may apologise: one working day before the due date.
async fn apology_from(app: &App, s: &Situation) -> Result<Option<Date>, AppError> {
    let Some(due) = s
        .row
        .due_date
        .as_deref()
        .and_then(|d| d.parse::<Date>().ok())
    else {
        return Ok(None);
    };
    let cal = crate::calendar::shared(app, due.year().saturating_sub(1), due.year()).await?;
    Ok(cal.previous_working_day(due))
}

async fn may_take(
    app: &App,
    caller: &Caller,
    s: &Situation,
    action: DossierAction,
    apology: Option<Date>,
) -> bool {
    if action.next(s.status).is_none() {
        return false;
    }
    match action.actor() {
        Actor::Applicant => {
            s.is_applicant(caller)
                && (action != DossierAction::Rate || s.row.state.rating.is_none())
        }
        Actor::StepHandler => {
            s.is_handler(caller) && s.step_allows(action, app.clock.today(), apology)
        }
    }
}

/// The actions `caller` may take on the dossier now.
pub async fn allowed_actions(
    app: &App,
    caller: &Caller,
    row: &DossierRow,
) -> Result<Vec<String>, AppError> {
    if caller.principal().is_none() {
        return Ok(Vec::new());
    }
    let s = Situation::load_for(app, caller, row.clone()).await?;
    let apology = apology_from(app, &s).await?;
    let mut out = Vec::new();
    for a in DossierAction::ALL {
        if may_take(app, caller, &s, a, apology).await {
            out.push(a.as_str().to_owned());
        }
    }
    Ok(out)
}

fn stale() -> AppError {
    AppError::not_now(
        "Người khác vừa xử lý hồ sơ này; hãy tải lại hồ sơ.",
        "Someone else acted on this dossier; reload it.",
    )
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
    // The view read here (one snapshot) also becomes the answer, with what the action wrote.
    let before = dossiers::readable(app, caller, code).await?;
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let s = Situation::load(app, before.row.clone()).await?;
    // Then whether this caller may take this kind of action at all, before anything about the
    // dossier's state or version, so that a refusal does not depend on timing.
    let entitled = match req.action.actor() {
        Actor::Applicant => s.is_applicant(caller),
        Actor::StepHandler => s.is_handler(caller),
    };
    if !entitled {
        return Err(AppError::Forbidden);
    }
    if req.action.next(s.status).is_none() {
        return Err(AppError::not_now(
            format!(
                "Không thể \"{}\" khi hồ sơ đang ở tình trạng \"{}\".",
                req.action.label_vi(),
                s.status.label_vi()
            ),
            format!(
                "\"{}\" is not possible while the dossier is \"{}\".",
                req.action.label_en(),
                s.status.label_en()
            ),
        ));
    }
    if req.version != s.row.version {
        return Err(stale());
    }
    let apology = apology_from(app, &s).await?;
    if !may_take(app, caller, &s, req.action, apology).await {
        let step = s.step().map(|x| x.name.clone()).unwrap_or_default();
        return Err(AppError::not_now(
            format!(
                "Không thể \"{}\" ở bước \"{step}\" lúc này.",
                req.action.label_vi()
            ),
            format!(
                "\"{}\" is not possible at step \"{step}\" now.",
                req.action.label_en()
            ),
        ));
    }
    let checked = fields::check(app, &s, &req).await?;
    let now = app.now_us();
    let hours = OfficeHours::default();
    let change = plan::plan(app, &s, &req, &checked, now, &hours).await?;
    let documents = notices::prepare(app, &s, &req, &change, principal, &checked).await?;
    let step_before = s.step().map(|x| x.id.clone());
    let mut tx = app.db.write().await?;
    let conn = &mut tx.conn();
    if !pstore::apply(
        &mut *conn,
        &s.row.id,
        req.version,
        change.status.as_str(),
        change.due_date.as_deref(),
        &change.state,
        now,
    )
    .await?
    {
        return Err(stale());
    }
    let moved = change.state.handling_agency_code != s.row.state.handling_agency_code
        || change.state.current_step != s.row.state.current_step;
    if moved {
        let next = match (
            &change.state.handling_agency_code,
            &change.state.current_step,
        ) {
            (Some(a), Some(st)) => Some((a.as_str(), st.as_str(), change.state.step_due_at)),
            _ => None,
        };
        pstore::move_leg(&mut *conn, &s.row.id, now, next).await?;
    }
    plan::write_extras(&mut *conn, &s, &req, &checked, &change, principal, now).await?;
    for d in &documents {
        lienthong_store::document_jobs::enqueue(&mut *conn, d).await?;
    }
    let entry = HistoryEntry {
        seq: 0,
        at: now,
        actor: principal.account_id.clone(),
        actor_name: principal.full_name.clone(),
        action: req.action.as_str().into(),
        status: change.status.as_str().into(),
        note: checked.note.clone(),
        step: step_before,
        agency_code: s.row.state.handling_agency_code.clone(),
    };
    store::append_history(&mut *conn, &s.row.id, &entry).await?;
    lienthong_store::catalog::enqueue(
        &mut *conn,
        &format!("dossier.{}", req.action.as_str()),
        &s.row.code,
        &serde_json::json!({
            "status": change.status.as_str(),
            "due_date": change.due_date,
            "step": change.state.current_step,
            "agency": change.state.handling_agency_code,
        })
        .to_string(),
        now,
    )
    .await?;
    // Last, the rows every action of the agency and the province updates (the report's
    // counters, the audit chain's head): on PostgreSQL their row locks are then held the
    // shortest time, the commit alone.
    crate::reports::facts::record_change(
        &mut *conn,
        &s.row,
        &crate::reports::facts::facts_of(&s.row.channel, change.status.as_str(), &change.state),
    )
    .await?;
    audit::record(
        &mut *conn,
        app,
        ctx,
        &format!("dossier.{}", req.action.as_str()),
        "dossier",
        &s.row.code,
        Some(s.status.as_str().to_owned()),
        Some(change.status.as_str().to_owned()),
    )
    .await?;
    tx.commit().await?;
    app.events.poke();
    if !documents.is_empty() {
        app.events.poke_documents();
    }
    if answer::read_back(req.action) {
        return dossiers::get(app, caller, code).await;
    }
    let view = answer::after(before, &change, entry, moved, now);
    dossiers::complete(app, caller, view).await
}
