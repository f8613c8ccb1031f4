//! Queries of maintenance tools: the stored files' hashes and SQLite snapshots.

use sqlx::{AnyConnection, Row};

use crate::Result;

/// Every stored file's hash, in order.
pub async fn blob_hashes(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT sha256 FROM blobs ORDER BY sha256")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok(r.try_get("sha256")?)).collect()
}

/// Writes a consistent copy of the SQLite database to `path` (`VACUUM INTO`: one read
/// transaction, writers go on).
pub async fn sqlite_snapshot(conn: &mut AnyConnection, path: &str) -> Result<()> {
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
