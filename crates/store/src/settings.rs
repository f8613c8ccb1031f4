//! Small key/value settings of the installation (e.g. when the demo province was created).

use crate::exec::{Exec, query};

use crate::Result;

/// Reads a setting.
pub async fn get<'c>(conn: impl Into<Exec<'c>>, key: &str) -> Result<Option<String>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let row = query("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| r.try_get("value")).transpose()
}

/// Writes a setting.
pub async fn set<'c>(conn: impl Into<Exec<'c>>, key: &str, value: &str) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("INSERT INTO settings (key, value) VALUES ($1,$2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
