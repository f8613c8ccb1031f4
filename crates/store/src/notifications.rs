//! The notification delivery log.

use crate::exec::{Exec, Row, query};

use crate::Result;

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Id.
    pub id: String,
    /// Outbox event it answers.
    pub event_id: i64,
    /// `email` (later `sms`, `in_app`).
    pub channel: String,
    /// Address.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Dossier concerned.
    pub dossier_code: Option<String>,
    /// `pending`, `sent`, `failed`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// Last delivery error.
    pub last_error: Option<String>,
    /// Created (µs).
    pub created_at: i64,
    /// Delivered (µs).
    pub sent_at: Option<i64>,
}

/// Inserts a notification unless one exists for the same event and channel; returns whether
/// it was inserted.
pub async fn insert_once<'c>(conn: impl Into<Exec<'c>>, n: &Notification) -> Result<bool> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let done = query(
        "INSERT INTO notifications (id, event_id, channel, recipient, subject, body, dossier_code, status, attempts, last_error, created_at, sent_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (event_id, channel) DO NOTHING",
    )
    .bind(&n.id)
    .bind(n.event_id)
    .bind(&n.channel)
    .bind(&n.recipient)
    .bind(&n.subject)
    .bind(&n.body)
    .bind(&n.dossier_code)
    .bind(&n.status)
    .bind(n.attempts)
    .bind(&n.last_error)
    .bind(n.created_at)
    .bind(n.sent_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the outcome of a delivery attempt.
pub async fn record_attempt<'c>(
    conn: impl Into<Exec<'c>>,
    id: &str,
    status: &str,
    error: Option<&str>,
    sent_at: Option<i64>,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("UPDATE notifications SET status = $1, last_error = $2, sent_at = $3, attempts = attempts + 1 WHERE id = $4")
        .bind(status)
        .bind(error)
        .bind(sent_at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const COLUMNS: &str = "id, event_id, channel, recipient, subject, body, dossier_code, status, attempts, last_error, created_at, sent_at";

fn row(r: &Row) -> Result<Notification> {
    Ok(Notification {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        channel: r.try_get("channel")?,
        recipient: r.try_get("recipient")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        dossier_code: r.try_get("dossier_code")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        sent_at: r.try_get("sent_at")?,
    })
}

/// Notifications still to deliver (pending, or failed with fewer than `max_attempts`).
///
/// Retries back off: after `n` attempts the next one waits until `n²` minutes after creation.
pub async fn due<'c>(
    conn: impl Into<Exec<'c>>,
    max_attempts: i64,
    now_us: i64,
    limit: i64,
) -> Result<Vec<Notification>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE status <> 'sent' AND attempts < $1 \
         AND created_at + attempts * attempts * 60000000 <= $2 ORDER BY created_at LIMIT $3"
    );
    let rows = query(sql)
        .bind(max_attempts)
        .bind(now_us)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(row).collect()
}

/// Notifications about one dossier, oldest first.
pub async fn for_dossier<'c>(conn: impl Into<Exec<'c>>, code: &str) -> Result<Vec<Notification>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql =
        format!("SELECT {COLUMNS} FROM notifications WHERE dossier_code = $1 ORDER BY created_at");
    let rows = query(sql).bind(code).fetch_all(&mut *conn).await?;
    rows.iter().map(row).collect()
}

/// The latest notifications of every channel (delivery log), newest first.
pub async fn recent<'c>(conn: impl Into<Exec<'c>>, limit: i64) -> Result<Vec<Notification>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!("SELECT {COLUMNS} FROM notifications ORDER BY created_at DESC LIMIT $1");
    let rows = query(sql).bind(limit).fetch_all(&mut *conn).await?;
    rows.iter().map(row).collect()
}

/// In-app notifications of an account, newest first.
pub async fn inbox<'c>(
    conn: impl Into<Exec<'c>>,
    account_id: &str,
    limit: i64,
) -> Result<Vec<Notification>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE channel = 'inapp' AND recipient = $1 ORDER BY created_at DESC LIMIT $2"
    );
    let rows = query(sql)
        .bind(account_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(row).collect()
}
