//! Stored procedure versions and the outbox.

use crate::exec::{Arg, Exec, Rec, query};
use jiff::civil::Date;
use std::sync::LazyLock;

use crate::{Result, StoreError};

/// One stored version of a procedure; `definition` is the JSON of the domain `Procedure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureVersion {
    /// Version id (what a dossier points at).
    pub id: String,
    /// National code.
    pub code: String,
    /// 1, 2, …
    pub version: i64,
    /// First valid day.
    pub valid_from: Date,
    /// First day no longer valid.
    pub valid_to: Option<Date>,
    /// Name (for listings without parsing the definition).
    pub name: String,
    /// Field code.
    pub field_code: String,
    /// Level.
    pub level: String,
    /// Online mode.
    pub online_mode: String,
    /// The definition as JSON.
    pub definition: String,
    /// Creation instant (µs).
    pub created_at: i64,
}

const COLUMNS: &str = "id, code, version, valid_from, valid_to, name, field_code, level, online_mode, definition, created_at";

fn date(s: &str) -> Result<Date> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("date {s}")))
}

fn row(r: &Rec<'_, '_>) -> Result<ProcedureVersion> {
    let from: String = r.get("valid_from")?;
    let to: Option<String> = r.get("valid_to")?;
    Ok(ProcedureVersion {
        id: r.get("id")?,
        code: r.get("code")?,
        version: r.get("version")?,
        valid_from: date(&from)?,
        valid_to: to.as_deref().map(date).transpose()?,
        name: r.get("name")?,
        field_code: r.get("field_code")?,
        level: r.get("level")?,
        online_mode: r.get("online_mode")?,
        definition: r.get("definition")?,
        created_at: r.get("created_at")?,
    })
}

/// Inserts a version.
pub async fn insert<'c>(conn: impl Into<Exec<'c>>, p: &ProcedureVersion) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO procedures (id, code, version, valid_from, valid_to, name, field_code, level, online_mode, definition, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(&p.id)
    .bind(&p.code)
    .bind(p.version)
    .bind(p.valid_from.to_string())
    .bind(p.valid_to.map(|d| d.to_string()))
    .bind(&p.name)
    .bind(&p.field_code)
    .bind(&p.level)
    .bind(&p.online_mode)
    .bind(&p.definition)
    .bind(p.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Closes the open version of `code` on `to`.
pub async fn close<'c>(conn: impl Into<Exec<'c>>, id: &str, to: Date) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("UPDATE procedures SET valid_to = $1 WHERE id = $2 AND valid_to IS NULL")
        .bind(to.to_string())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The latest version of `code` (open or not).
pub async fn latest<'c>(conn: impl Into<Exec<'c>>, code: &str) -> Result<Option<ProcedureVersion>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql =
        format!("SELECT {COLUMNS} FROM procedures WHERE code = $1 ORDER BY version DESC LIMIT 1");
    let r = query(sql).bind(code).fetch_optional(&mut *conn).await?;
    r.as_ref().map(|r| row(&r.rec())).transpose()
}

/// The id of the version of `code` in force on `on` (the version itself is immutable, so a
/// caller may keep it by id).
pub async fn id_at<'c>(conn: impl Into<Exec<'c>>, code: &str, on: Date) -> Result<Option<String>> {
    let on = on.to_string();
    conn.into()
        .optional(
            "SELECT id FROM procedures WHERE code = $1 AND valid_from <= $2 \
             AND (valid_to IS NULL OR valid_to > $2)",
            &[Arg::Text(code), Arg::Text(&on)],
            |r| r.get::<String>("id"),
        )
        .await
}

/// A version by id.
pub async fn by_id<'c>(conn: impl Into<Exec<'c>>, id: &str) -> Result<Option<ProcedureVersion>> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {COLUMNS} FROM procedures WHERE id = $1"));
    conn.into()
        .optional(SQL.as_str(), &[Arg::Text(id)], row)
        .await
}

/// Every version valid on `on`, ordered by code.
pub async fn all_at<'c>(conn: impl Into<Exec<'c>>, on: Date) -> Result<Vec<ProcedureVersion>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {COLUMNS} FROM procedures WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1) ORDER BY code"
    );
    let rows = query(sql)
        .bind(on.to_string())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| row(&r.rec())).collect()
}

/// The latest version of every procedure, ordered by code.
pub async fn all_latest<'c>(conn: impl Into<Exec<'c>>) -> Result<Vec<ProcedureVersion>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {COLUMNS} FROM procedures p WHERE version = (SELECT MAX(version) FROM procedures q WHERE q.code = p.code) ORDER BY code"
    );
    let rows = query(sql).fetch_all(&mut *conn).await?;
    rows.iter().map(|r| row(&r.rec())).collect()
}

/// Number of versions stored.
pub async fn count<'c>(conn: impl Into<Exec<'c>>) -> Result<i64> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("SELECT COUNT(*) AS n FROM procedures")
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")
}

/// An event waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// Position.
    pub id: i64,
    /// Topic, e.g. `catalog.procedure.changed`.
    pub topic: String,
    /// Key of the object concerned.
    pub key: String,
    /// JSON payload.
    pub payload: String,
}

/// Adds an event to the outbox, inside the caller's transaction.
pub async fn enqueue<'c>(
    conn: impl Into<Exec<'c>>,
    topic: &str,
    key: &str,
    payload: &str,
    now_us: i64,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("INSERT INTO outbox (topic, key, payload, created_at) VALUES ($1,$2,$3,$4)")
        .bind(topic)
        .bind(key)
        .bind(payload)
        .bind(now_us)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Up to `limit` unpublished events, oldest first.
pub async fn pending<'c>(conn: impl Into<Exec<'c>>, limit: i64) -> Result<Vec<OutboxEvent>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let rows = query("SELECT id, topic, key, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1")
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(OutboxEvent {
                id: r.try_get("id")?,
                topic: r.try_get("topic")?,
                key: r.try_get("key")?,
                payload: r.try_get("payload")?,
            })
        })
        .collect()
}

/// Marks events up to `last_id` published.
pub async fn mark_published<'c>(conn: impl Into<Exec<'c>>, ids: &[i64], now_us: i64) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    for id in ids {
        query("UPDATE outbox SET published_at = $1 WHERE id = $2")
            .bind(now_us)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
