//! Work queues: the dossiers waiting for the caller's role, or for anyone in the caller's
//! units, most urgent first, with overdue, at-risk and stale dossiers marked.

use lienthong_domain::{
    calendar::OfficeHours,
    clock::{business_tz, from_micros},
    dossier::Status,
    role::Role,
};
use lienthong_store::{
    dossiers::DossierRow,
    processing::{self as pstore, QueueFilter},
};

use crate::{
    App, AppError,
    authz::{Action, Caller, authorize, role_permits},
    catalog,
};

/// Setting: working hours without a transition after which a dossier is flagged to leaders.
pub const STALE_SETTING: &str = "processing.stale_working_hours";
/// Default for [`STALE_SETTING`].
pub const STALE_DEFAULT_HOURS: u32 = 16;
/// Rows per queue page.
pub const PAGE: i64 = 50;

/// Whose dossiers a queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueScope {
    /// Waiting for one of the caller's roles at the caller's agencies.
    Mine,
    /// Held by the caller's agencies, whoever must act.
    Unit,
}

/// One row of a queue.
#[derive(Debug, Clone)]
pub struct QueueItem {
    /// The dossier.
    pub row: DossierRow,
    /// Status.
    pub status: Status,
    /// Procedure name.
    pub procedure_name: String,
    /// Past its due instant.
    pub overdue: bool,
    /// Due within one working day (an apology may be needed).
    pub at_risk: bool,
    /// No transition for longer than the configured working hours.
    pub stale: bool,
}

/// A page of the caller's queue, optionally searched by code, applicant name or procedure code.
pub async fn queue(
    app: &App,
    caller: &Caller,
    scope: QueueScope,
    search: Option<&str>,
    page: i64,
) -> Result<Vec<QueueItem>, AppError> {
    authorize(caller, Action::ReadDossiers, None)?;
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let mut grants: Vec<(String, Option<Role>)> = principal
        .roles
        .iter()
        .filter(|g| role_permits(g.role, Action::ReadDossiers))
        .map(|g| {
            (
                g.agency_code.clone(),
                (scope == QueueScope::Mine).then_some(g.role),
            )
        })
        .collect();
    grants.sort_by(|a, b| {
        (a.0.as_str(), a.1.map(Role::as_str)).cmp(&(b.0.as_str(), b.1.map(Role::as_str)))
    });
    grants.dedup();
    let search = search
        .map(|s| lienthong_domain::text::nfc(s.trim()))
        .filter(|s| !s.is_empty() && s.chars().count() <= 100);
    let offset = page.clamp(0, 10_000) * PAGE;
    let mut rows = Vec::new();
    {
        let mut conn = app.db.read().await?;
        for (agency, role) in &grants {
            let f = QueueFilter {
                agency_code: agency.clone(),
                role: role.map(|r| r.as_str().to_owned()),
                search: search.clone(),
                offset: 0,
            };
            rows.extend(pstore::queue(&mut conn, &f, offset + PAGE).await?);
        }
    }
    rows.sort_by_key(|r| (r.state.attention_at.unwrap_or(i64::MAX), r.id.clone()));
    rows.dedup_by(|a, b| a.id == b.id);
    let rows: Vec<DossierRow> = rows
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(0))
        .take(usize::try_from(PAGE).unwrap_or(50))
        .collect();
    mark(app, rows).await
}

async fn stale_hours(app: &App) -> Result<u32, AppError> {
    let mut conn = app.db.read().await?;
    Ok(lienthong_store::settings::get(&mut conn, STALE_SETTING)
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(STALE_DEFAULT_HOURS))
}

async fn mark(app: &App, rows: Vec<DossierRow>) -> Result<Vec<QueueItem>, AppError> {
    let now = app.clock.now();
    let now_us = app.now_us();
    let today = now.to_zoned(business_tz()).date();
    let cal = crate::calendar::shared(
        app,
        today.year().saturating_sub(1),
        today.year().saturating_add(1),
    )
    .await?;
    let hours = OfficeHours::default();
    let stale_after = stale_hours(app).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let status = Status::parse(&row.status)
            .ok_or_else(|| AppError::Internal(format!("status {}", row.status)))?;
        let procedure_name = catalog::shared_version(app, &row.procedure_version_id)
            .await?
            .procedure
            .name
            .clone();
        let running = matches!(status, Status::Accepted | Status::Processing);
        let overdue = running && row.state.due_at.is_some_and(|d| d < now_us);
        let at_risk = running
            && !overdue
            && row
                .due_date
                .as_deref()
                .and_then(|d| d.parse().ok())
                .and_then(|d| cal.previous_working_day(d))
                .is_some_and(|from| today >= from);
        // Half-days of four working hours passed since the last change.
        let idle_halves = cal.halves_between(from_micros(row.updated_at), now, &hours);
        let waiting_applicant = status == Status::SupplementRequested;
        let stale = !waiting_applicant && idle_halves.saturating_mul(4) >= stale_after;
        out.push(QueueItem {
            row,
            status,
            procedure_name,
            overdue,
            at_risk,
            stale,
        });
    }
    Ok(out)
}

/// Dossiers held by the units the caller leads that had no transition for longer than the
/// configured working hours, longest idle first. Leaders only.
pub async fn stale(app: &App, caller: &Caller) -> Result<Vec<QueueItem>, AppError> {
    authorize(caller, Action::ReadDossiers, None)?;
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let mut agencies: Vec<&str> = principal
        .roles
        .iter()
        .filter(|g| g.role == Role::Leader)
        .map(|g| g.agency_code.as_str())
        .collect();
    agencies.sort_unstable();
    agencies.dedup();
    // A generous cut in wall-clock time first; the working-hour rule is applied in `mark`.
    let hours = i64::from(stale_hours(app).await?);
    let before = app.now_us() - hours * 3_600_000_000;
    let mut rows = Vec::new();
    {
        let mut conn = app.db.read().await?;
        for a in agencies {
            rows.extend(pstore::stale(&mut conn, a, before, 200).await?);
        }
    }
    Ok(mark(app, rows)
        .await?
        .into_iter()
        .filter(|i| i.stale)
        .collect())
}

/// The working hours after which idle dossiers are flagged to leaders.
pub async fn stale_working_hours(app: &App) -> Result<u32, AppError> {
    stale_hours(app).await
}

/// Sets the working hours after which idle dossiers are flagged (administrators; 1–400).
pub async fn set_stale_working_hours(
    app: &App,
    caller: &Caller,
    ctx: &crate::audit::AuditCtx,
    hours: u32,
) -> Result<(), AppError> {
    crate::org::authorize_province(app, caller, Action::ManageCatalog).await?;
    if !(1..=400).contains(&hours) {
        return Err(AppError::Validation(vec![crate::FieldError::new(
            "stale_hours",
            "Số giờ làm việc từ 1 đến 400.",
            "Working hours from 1 to 400.",
        )]));
    }
    let mut tx = app.db.write().await?;
    lienthong_store::settings::set(tx.conn(), STALE_SETTING, &hours.to_string()).await?;
    crate::audit::record(
        tx.conn(),
        app,
        ctx,
        "processing.stale_hours",
        "setting",
        STALE_SETTING,
        None,
        Some(hours.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
