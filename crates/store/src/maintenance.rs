//! Queries of maintenance tools: the stored files' hashes and SQLite snapshots.

use crate::exec::{Exec, query};

use crate::Result;

/// Every stored file's hash, in order.
pub async fn blob_hashes<'c>(conn: impl Into<Exec<'c>>) -> Result<Vec<String>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let rows = query("SELECT sha256 FROM blobs ORDER BY sha256")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| r.try_get("sha256")).collect()
}

/// Writes a consistent copy of the SQLite database to `path` (`VACUUM INTO`: one read
/// transaction, writers go on).
pub async fn sqlite_snapshot<'c>(conn: impl Into<Exec<'c>>, path: &str) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("VACUUM INTO $1")
        .bind(path)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
