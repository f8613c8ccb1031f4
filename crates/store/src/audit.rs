//! The audit log table and its chain head.

use crate::exec::{Exec, Row, query};
use lienthong_domain::audit::{AuditRecord, link_hash};

use crate::Result;

/// What a use case records about its change; the chain fields are filled in by [`append`].
#[derive(Debug, Clone, Default)]
pub struct NewAuditEntry {
    /// Instant of the change (µs since the epoch).
    pub at_us: i64,
    /// Account id or `system` / `cli`.
    pub actor: String,
    /// Action name, e.g. `account.create`.
    pub action: String,
    /// Object kind.
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// Digest of the object before the change.
    pub before_digest: Option<String>,
    /// Digest of the object after the change.
    pub after_digest: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
}

/// Appends `entry` to the chain inside the caller's transaction. The head row is updated
/// first, which takes its row lock on PostgreSQL and so serialises concurrent appenders.
pub async fn append<'c>(conn: impl Into<Exec<'c>>, entry: NewAuditEntry) -> Result<AuditRecord> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let row = query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = row.try_get("seq")?;
    let prev_hash: String = row.try_get("hash")?;
    let hash = link_hash(
        &prev_hash,
        seq,
        entry.at_us,
        &entry.actor,
        &entry.action,
        &entry.object_type,
        &entry.object_id,
        entry.before_digest.as_deref(),
        entry.after_digest.as_deref(),
        entry.request_id.as_deref(),
    );
    query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    query(
        "INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, before_digest, \
         after_digest, request_id, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(seq)
    .bind(entry.at_us)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.object_type)
    .bind(&entry.object_id)
    .bind(&entry.before_digest)
    .bind(&entry.after_digest)
    .bind(&entry.request_id)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    Ok(AuditRecord {
        seq,
        at_us: entry.at_us,
        actor: entry.actor,
        action: entry.action,
        object_type: entry.object_type,
        object_id: entry.object_id,
        before_digest: entry.before_digest,
        after_digest: entry.after_digest,
        request_id: entry.request_id,
        prev_hash,
        hash,
    })
}

fn record(row: &Row) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        at_us: row.try_get("at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        object_type: row.try_get("object_type")?,
        object_id: row.try_get("object_id")?,
        before_digest: row.try_get("before_digest")?,
        after_digest: row.try_get("after_digest")?,
        request_id: row.try_get("request_id")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

const COLUMNS: &str = "seq, at, actor, action, object_type, object_id, before_digest, \
                       after_digest, request_id, prev_hash, hash";

/// Up to `limit` rows with `seq > after`, in sequence order (for a streaming walk).
pub async fn page<'c>(
    conn: impl Into<Exec<'c>>,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditRecord>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
    let rows = query(sql)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(record).collect()
}

/// Rows about one object, newest first.
pub async fn for_object<'c>(
    conn: impl Into<Exec<'c>>,
    object_type: &str,
    object_id: &str,
) -> Result<Vec<AuditRecord>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE object_type = $1 AND object_id = $2 ORDER BY seq DESC"
    );
    let rows = query(sql)
        .bind(object_type)
        .bind(object_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(record).collect()
}

/// The chain head: number of rows written and the last hash.
pub async fn head<'c>(conn: impl Into<Exec<'c>>) -> Result<(i64, String)> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let row = query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get("seq")?, row.try_get("hash")?))
}

/// The newest `limit` rows, newest first.
pub async fn recent<'c>(conn: impl Into<Exec<'c>>, limit: i64) -> Result<Vec<AuditRecord>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT $1");
    let rows = query(sql).bind(limit).fetch_all(&mut *conn).await?;
    rows.iter().map(record).collect()
}
