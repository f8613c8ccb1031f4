//! Organisation use cases: importing administrative units and their successions, agencies and
//! their renames and merges, and the queries of the public catalogs.

use lienthong_store::Exec;
use std::collections::{HashMap, HashSet};

use jiff::civil::Date;
use lienthong_domain::{
    org::{AgencyCode, AgencyLevel, SuccessionKind, UnitLevel, Validity},
    text::{fold, nfc},
};
use lienthong_store::org::{self as store, AdminUnit, Agency};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{
    App, AppError, FieldError,
    audit::{self, AuditCtx},
    authz::{Action, AgencyScope, Caller, authorize},
};

/// The day the two-tier local government took effect (34 provinces, no districts).
pub fn reform_2025() -> Date {
    jiff::civil::date(2025, 7, 1)
}

mod import;

pub use import::*;

/// Administrative units valid on `at` (today by default).
pub async fn admin_units(
    app: &App,
    level: Option<UnitLevel>,
    parent: Option<&str>,
    at: Option<Date>,
) -> Result<Vec<AdminUnit>, AppError> {
    let mut conn = app.db.read().await?;
    Ok(store::units_at(
        &mut conn,
        at.unwrap_or_else(|| app.clock.today()),
        level,
        parent,
    )
    .await?)
}

/// Agencies valid on `at` (today by default), under `parent`, matching `q` without regard to
/// diacritics or case in name or code.
pub async fn agencies(
    app: &App,
    parent: Option<&str>,
    q: Option<&str>,
    at: Option<Date>,
) -> Result<Vec<Agency>, AppError> {
    let mut conn = app.db.read().await?;
    let all =
        store::agencies_at(&mut conn, at.unwrap_or_else(|| app.clock.today()), parent).await?;
    let needle = q.map(fold).filter(|q| !q.trim().is_empty());
    Ok(match needle {
        None => all,
        Some(n) => all
            .into_iter()
            .filter(|a| fold(&a.name).contains(n.trim()) || fold(&a.code).contains(n.trim()))
            .collect(),
    })
}

/// The lineage (agency and ancestors) of the agency `code` as it is today.
pub async fn agency_scope(app: &App, code: &str) -> Result<AgencyScope, AppError> {
    let today = app.clock.today();
    let now = app.now_us();
    if let Some(lineage) = app.caches.lineage(code, today, now) {
        return Ok(AgencyScope {
            lineage: (*lineage).clone(),
        });
    }
    let scope = read_agency_scope(app, code, today).await?;
    app.caches
        .keep_lineage(code, today, now, std::sync::Arc::new(scope.lineage.clone()));
    Ok(scope)
}

async fn read_agency_scope(
    app: &App,
    code: &str,
    today: jiff::civil::Date,
) -> Result<AgencyScope, AppError> {
    let mut conn = app.db.reader().await?;
    let mut lineage = vec![code.to_owned()];
    let mut current = store::agency_at(&mut conn, code, today)
        .await?
        .ok_or_else(|| AppError::NotFound(code.to_owned()))?;
    while let Some(parent) = current.parent_code.clone() {
        if lineage.contains(&parent) || lineage.len() > 16 {
            break;
        }
        lineage.push(parent.clone());
        match store::agency_at(&mut conn, &parent, today).await? {
            Some(a) => current = a,
            None => break,
        }
    }
    Ok(AgencyScope { lineage })
}

/// The scope of what belongs to the whole province (its calendar, notification wording,
/// workflows): the agencies at the top of the tree today, with no parent.
pub async fn province_scope(app: &App) -> Result<AgencyScope, AppError> {
    let mut conn = app.db.read().await?;
    let lineage = store::agencies_at(&mut conn, app.clock.today(), None)
        .await?
        .into_iter()
        .filter(|a| a.parent_code.is_none())
        .map(|a| a.code)
        .collect();
    Ok(AgencyScope { lineage })
}

/// Whether `caller` may take `action` over the whole province: a role held at a top-level
/// agency. Province-wide settings are changed only this way.
pub async fn authorize_province(
    app: &App,
    caller: &Caller,
    action: crate::authz::Action,
) -> Result<(), AppError> {
    caller.principal().ok_or(AppError::Unauthenticated)?;
    crate::authz::authorize(caller, action, Some(&province_scope(app).await?))
}

/// A new agency.
#[derive(Debug, Clone)]
pub struct NewAgency {
    /// National code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Abbreviation for document notations.
    pub short_name: String,
    /// Tier.
    pub level: AgencyLevel,
    /// Kind (`people_committee`, `department`, `service_centre`, `other`).
    pub kind: String,
    /// Parent agency code.
    pub parent_code: Option<String>,
    /// Administrative unit served.
    pub admin_unit_code: Option<String>,
    /// Validity.
    pub validity: Validity,
}

fn check_agency(a: &NewAgency) -> Result<Agency, AppError> {
    let mut errors = Vec::new();
    if let Err(e) = a.code.parse::<AgencyCode>() {
        errors.push(FieldError::from_domain("code", &e));
    }
    if let Some(Err(e)) = a.parent_code.as_deref().map(str::parse::<AgencyCode>) {
        errors.push(FieldError::from_domain("parent_code", &e));
    }
    let name = lienthong_domain::identity::required_text(&a.name, 300);
    if let Err(e) = &name {
        errors.push(FieldError::from_domain("name", e));
    }
    let short = lienthong_domain::identity::required_text(&a.short_name, 30);
    if let Err(e) = &short {
        errors.push(FieldError::from_domain("short_name", e));
    }
    match (name, short) {
        (Ok(name), Ok(short_name)) if errors.is_empty() => Ok(Agency {
            id: uuid::Uuid::now_v7().to_string(),
            code: a.code.trim().to_owned(),
            name,
            short_name,
            level: a.level,
            kind: a.kind.clone(),
            parent_code: a.parent_code.clone(),
            admin_unit_code: a.admin_unit_code.clone(),
            valid_from: a.validity.from,
            valid_to: a.validity.to,
        }),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Inserts a checked agency version with its audit row, inside the caller's transaction.
pub(crate) async fn insert_agency<'c>(
    conn: impl Into<Exec<'c>>,
    app: &App,
    ctx: &AuditCtx,
    a: &NewAgency,
) -> Result<Agency, AppError> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let agency = check_agency(a)?;
    store::insert_agency(&mut *conn, &agency)
        .await
        .map_err(|e| match e {
            lienthong_store::StoreError::Duplicate => AppError::Conflict(format!(
                "agency {} already has a version from this date",
                agency.code
            )),
            other => other.into(),
        })?;
    audit::record(
        &mut *conn,
        app,
        ctx,
        "agency.create",
        "agency",
        &agency.id,
        None,
        audit::digest(&(&agency.code, &agency.name)),
    )
    .await?;
    Ok(agency)
}

/// Creates an agency. An official needs the admin role over the parent agency.
pub async fn create_agency(
    app: &App,
    caller: Option<&Caller>,
    ctx: &AuditCtx,
    a: &NewAgency,
) -> Result<Agency, AppError> {
    if let Some(caller) = caller {
        let scope = match &a.parent_code {
            Some(p) => Some(agency_scope(app, p).await?),
            None => None,
        };
        authorize(caller, Action::ManageOrganisation, scope.as_ref())?;
    }
    let mut tx = app.db.write().await?;
    let agency = insert_agency(tx.conn(), app, ctx, a).await?;
    tx.commit().await?;
    app.caches.drop_lineages();
    Ok(agency)
}

/// One input of a merge: the agency code and whether all of it goes into the target.
#[derive(Debug, Clone)]
pub struct MergeSource {
    /// Code of the absorbed agency.
    pub code: String,
    /// `Full` closes the source; `Partial` keeps it open.
    pub kind: SuccessionKind,
}

async fn open_version<'c>(
    conn: impl Into<Exec<'c>>,
    code: &str,
    on: Date,
) -> Result<Agency, AppError> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let a = store::agency_at(&mut *conn, code, on)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("agency {code} on {on}")))?;
    if a.valid_to.is_some() {
        return Err(AppError::Conflict(format!(
            "agency {code} already has a later version"
        )));
    }
    if a.valid_from == Some(on) {
        return Err(AppError::Conflict(format!(
            "agency {code} already changed on {on}"
        )));
    }
    Ok(a)
}

/// Starts a new version of agency `code` on `effective_on` with a new name (and optionally
/// abbreviation), and absorbs `sources`. Earlier versions keep their names; anything that
/// pointed at them still shows the agency as it was.
#[expect(
    clippy::too_many_arguments,
    reason = "a reorganisation names all of its parts"
)]
pub async fn reorganise_agency(
    app: &App,
    caller: Option<&Caller>,
    ctx: &AuditCtx,
    code: &str,
    new_name: Option<&str>,
    new_short_name: Option<&str>,
    sources: &[MergeSource],
    effective_on: Date,
) -> Result<Agency, AppError> {
    if let Some(caller) = caller {
        let scope = agency_scope(app, code).await?;
        authorize(caller, Action::ManageOrganisation, Some(&scope))?;
        for s in sources {
            authorize(
                caller,
                Action::ManageOrganisation,
                Some(&agency_scope(app, &s.code).await?),
            )?;
        }
    }
    let mut tx = app.db.write().await?;
    let conn = &mut tx.conn();
    let successor = reorganise_in(
        &mut *conn,
        app,
        ctx,
        code,
        new_name,
        new_short_name,
        sources,
        effective_on,
    )
    .await?;
    tx.commit().await?;
    app.caches.drop_lineages();
    Ok(successor)
}

#[expect(
    clippy::too_many_arguments,
    reason = "a reorganisation names all of its parts"
)]
pub(crate) async fn reorganise_in<'c>(
    conn: impl Into<Exec<'c>>,
    app: &App,
    ctx: &AuditCtx,
    code: &str,
    new_name: Option<&str>,
    new_short_name: Option<&str>,
    sources: &[MergeSource],
    effective_on: Date,
) -> Result<Agency, AppError> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let current = open_version(&mut *conn, code, effective_on).await?;
    store::close_agency(&mut *conn, &current.id, effective_on).await?;
    let successor = insert_agency(
        &mut *conn,
        app,
        ctx,
        &NewAgency {
            code: current.code.clone(),
            name: new_name.map(nfc).unwrap_or_else(|| current.name.clone()),
            short_name: new_short_name
                .map(nfc)
                .unwrap_or_else(|| current.short_name.clone()),
            level: current.level,
            kind: current.kind.clone(),
            parent_code: current.parent_code.clone(),
            admin_unit_code: current.admin_unit_code.clone(),
            validity: Validity {
                from: Some(effective_on),
                to: None,
            },
        },
    )
    .await?;
    store::insert_agency_succession(
        &mut *conn,
        &current.id,
        &successor.id,
        SuccessionKind::Rename,
        effective_on,
    )
    .await?;
    for s in sources {
        let source = open_version(&mut *conn, &s.code, effective_on).await?;
        if s.kind == SuccessionKind::Full {
            store::close_agency(&mut *conn, &source.id, effective_on).await?;
        }
        store::insert_agency_succession(
            &mut *conn,
            &source.id,
            &successor.id,
            s.kind,
            effective_on,
        )
        .await?;
        audit::record(
            &mut *conn,
            app,
            ctx,
            "agency.merge",
            "agency",
            &source.id,
            None,
            Some(successor.id.clone()),
        )
        .await?;
    }
    Ok(successor)
}

/// Every version of agency `code` (oldest first) with the versions that succeeded it.
pub async fn agency_history(
    app: &App,
    code: &str,
) -> Result<Vec<(Agency, Vec<(Agency, SuccessionKind)>)>, AppError> {
    let mut conn = app.db.read().await?;
    let versions = store::agency_versions(&mut conn, code).await?;
    let mut out = Vec::with_capacity(versions.len());
    for v in versions {
        let successors = store::agency_successors(&mut conn, &v.id).await?;
        out.push((v, successors));
    }
    Ok(out)
}
