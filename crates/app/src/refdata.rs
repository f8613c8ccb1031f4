//! The official reference data compiled into the binary, so that a fresh installation has the
//! real administrative units without any download.

use lienthong_domain::org::Validity;
use lienthong_store::org as store;

use crate::{
    App, AppError,
    audit::AuditCtx,
    org::{ImportSummary, import_merges, insert_units, parse_admin_units_csv, reform_2025},
};

/// The 2025-07-01 list: 34 provinces, 3,321 communes.
pub const COMMUNES_2025: &[u8] =
    include_bytes!("../../../data/admin-units/communes_2025-07-01.csv");
/// The pre-reform list: 63 provinces, 696 districts, 10,047 communes.
pub const UNITS_PRE_2025: &[u8] = include_bytes!("../../../data/admin-units/units_pre-2025.csv");
/// New unit ← old units mapping of the 2025 reform.
pub const MERGES_2025: &[u8] = include_bytes!("../../../data/admin-units/merges.json");

/// Imports the official lists and the 2025 successions unless units valid on 2025-07-01
/// already exist. Returns what was imported (all zero when nothing was needed).
pub async fn ensure_admin_units(app: &App, ctx: &AuditCtx) -> Result<ImportSummary, AppError> {
    let reform = reform_2025();
    {
        let mut conn = app.db.read().await?;
        let (provinces, _, _) = store::count_units_at(&mut conn, reform).await?;
        if provinces > 0 {
            return Ok(ImportSummary::default());
        }
    }
    let old = parse_admin_units_csv(
        "units_pre-2025.csv",
        UNITS_PRE_2025,
        Validity {
            from: None,
            to: Some(reform),
        },
    )?;
    let new = parse_admin_units_csv(
        "communes_2025-07-01.csv",
        COMMUNES_2025,
        Validity {
            from: Some(reform),
            to: None,
        },
    )?;
    let mut tx = app.db.write().await?;
    insert_units(
        tx.conn(),
        app,
        ctx,
        "units_pre-2025.csv",
        UNITS_PRE_2025,
        &old,
    )
    .await?;
    insert_units(
        tx.conn(),
        app,
        ctx,
        "communes_2025-07-01.csv",
        COMMUNES_2025,
        &new,
    )
    .await?;
    tx.commit().await?;
    let successions = import_merges(app, ctx, "merges.json", MERGES_2025, reform).await?;
    let count = |units: &[store::AdminUnit], l| units.iter().filter(|u| u.level == l).count();
    use lienthong_domain::org::UnitLevel::{Commune, District, Province};
    Ok(ImportSummary {
        provinces: count(&old, Province) + count(&new, Province),
        districts: count(&old, District),
        communes: count(&old, Commune) + count(&new, Commune),
        successions,
    })
}
