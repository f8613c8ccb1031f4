//! The working-day calendar with the province's overrides.

use jiff::Timestamp;
use lienthong_domain::calendar::{Due, Holiday, OfficeHours, Override, WorkCalendar};
use lienthong_store::calendar as store;

use crate::{
    App, AppError,
    audit::{self, AuditCtx},
    authz::{Action, Caller},
};

/// The calendar of `from_year..=to_year` with the stored overrides.
pub async fn load(app: &App, from_year: i16, to_year: i16) -> Result<WorkCalendar, AppError> {
    Ok((*shared(app, from_year, to_year).await?).clone())
}

/// The calendar of `from_year..=to_year`, shared (rebuilt at most once a minute, and at once
/// after this instance records an override).
pub async fn shared(
    app: &App,
    from_year: i16,
    to_year: i16,
) -> Result<std::sync::Arc<WorkCalendar>, AppError> {
    let now = app.now_us();
    if let Some(c) = app.caches.calendar((from_year, to_year), now) {
        return Ok(c);
    }
    let built = std::sync::Arc::new(build(app, from_year, to_year).await?);
    app.caches
        .keep_calendar((from_year, to_year), now, built.clone());
    Ok(built)
}

async fn build(app: &App, from_year: i16, to_year: i16) -> Result<WorkCalendar, AppError> {
    let rows = {
        let mut conn = app.db.read().await?;
        store::overrides(&mut conn).await?
    };
    let overrides: Vec<Override> = rows
        .into_iter()
        .map(|(date, day_off, name)| Override {
            date,
            day_off,
            name,
        })
        .collect();
    Ok(WorkCalendar::new(from_year, to_year, &overrides))
}

/// Days off of `year`.
pub async fn holidays(app: &App, year: i16) -> Result<Vec<Holiday>, AppError> {
    if !(1900..=2199).contains(&year) {
        return Err(AppError::Validation(vec![crate::FieldError::new(
            "year",
            "Năm phải từ 1900 đến 2199.",
            "The year must be 1900 to 2199.",
        )]));
    }
    Ok(load(app, year, year).await?.holidays(year))
}

/// The due instant of `working_days` counted from `from`.
pub async fn due(app: &App, from: Timestamp, working_days: f64) -> Result<Due, AppError> {
    if !(working_days > 0.0 && working_days <= 365.0) {
        return Err(AppError::Validation(vec![crate::FieldError::new(
            "working_days",
            "Số ngày làm việc phải lớn hơn 0 và không quá 365.",
            "working_days must be above 0 and at most 365.",
        )]));
    }
    let year = from.to_zoned(lienthong_domain::clock::business_tz()).year();
    let cal = shared(app, year.saturating_sub(1), year.saturating_add(2)).await?;
    cal.due(from, working_days, &OfficeHours::default())
        .ok_or_else(|| {
            AppError::Validation(vec![crate::FieldError::new(
                "from",
                "Ngày nằm ngoài phạm vi lịch.",
                "The date is outside the calendar's range.",
            )])
        })
}

/// Records a province decision about one day (an administrator of a top-level agency).
pub async fn set_override(
    app: &App,
    caller: &Caller,
    ctx: &AuditCtx,
    o: &Override,
) -> Result<(), AppError> {
    // The calendar is the province's: only an administrator of a top-level agency sets it.
    crate::org::authorize_province(app, caller, Action::ManageOrganisation).await?;
    let mut tx = app.db.write().await?;
    store::set_override(tx.conn(), o.date, o.day_off, &o.name).await?;
    audit::record(
        tx.conn(),
        app,
        ctx,
        "calendar.override",
        "day",
        &o.date.to_string(),
        None,
        audit::digest(o),
    )
    .await?;
    tx.commit().await?;
    app.caches.drop_calendars();
    Ok(())
}

/// Imports a province calendar file (see [`lienthong_domain::calendar::parse_overrides`]) from
/// the command line, in one transaction; a file with any problem changes nothing and every
/// problem names its line.
pub async fn import_file(app: &App, ctx: &AuditCtx, text: &str) -> Result<usize, AppError> {
    let overrides = lienthong_domain::calendar::parse_overrides(text).map_err(|errors| {
        AppError::Validation(
            errors
                .into_iter()
                .map(|e| crate::FieldError {
                    field: format!("line:{}", e.line),
                    vi: format!("Dòng {}: {}", e.line, e.vi),
                    en: format!("Line {}: {}", e.line, e.en),
                })
                .collect(),
        )
    })?;
    let mut tx = app.db.write().await?;
    for o in &overrides {
        store::set_override(tx.conn(), o.date, o.day_off, &o.name).await?;
        audit::record(
            tx.conn(),
            app,
            ctx,
            "calendar.override",
            "day",
            &o.date.to_string(),
            None,
            audit::digest(o),
        )
        .await?;
    }
    tx.commit().await?;
    app.caches.drop_calendars();
    Ok(overrides.len())
}
