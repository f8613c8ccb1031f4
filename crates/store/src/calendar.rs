//! Province calendar overrides.

use crate::exec::{Exec, query};

use crate::{Result, StoreError};

/// Every override: (day, day off?, name).
pub async fn overrides<'c>(
    conn: impl Into<Exec<'c>>,
) -> Result<Vec<(jiff::civil::Date, bool, String)>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let rows = query("SELECT day, day_off, name FROM calendar_overrides ORDER BY day")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let day: String = r.try_get("day")?;
            let off: i64 = r.try_get("day_off")?;
            Ok((
                day.parse()
                    .map_err(|_| StoreError::Corrupt(format!("day {day}")))?,
                off != 0,
                r.try_get("name")?,
            ))
        })
        .collect()
}

/// Sets the override of one day.
pub async fn set_override<'c>(
    conn: impl Into<Exec<'c>>,
    day: jiff::civil::Date,
    day_off: bool,
    name: &str,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO calendar_overrides (day, day_off, name) VALUES ($1,$2,$3) \
         ON CONFLICT (day) DO UPDATE SET day_off = excluded.day_off, name = excluded.name",
    )
    .bind(day.to_string())
    .bind(i64::from(day_off))
    .bind(name)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
