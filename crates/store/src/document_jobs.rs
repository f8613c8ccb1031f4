//! Documents waiting to be laid out and signed: written by the action that issues them, in its
//! transaction, and removed by the transaction that stores the signed document.

use crate::exec::{Arg, Exec, Rec, query};

use crate::Result;

/// A document to produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentJob {
    /// Id the document will have.
    pub id: String,
    /// Dossier it is issued for.
    pub dossier_id: String,
    /// `result`, `supplement_request`, `refusal`, `apology`, `rejection`.
    pub kind: String,
    /// File name offered on download.
    pub file_name: String,
    /// What to lay out and who signs it (JSON, owned by the application).
    pub spec: String,
    /// When the action issued it (µs); the document's own date.
    pub created_at: i64,
    /// Account that took the action.
    pub created_by: String,
    /// Failed attempts so far.
    pub attempts: i64,
    /// Not before this instant (µs).
    pub next_at: i64,
    /// What went wrong last time.
    pub last_error: Option<String>,
}

/// Records a document to produce.
pub async fn enqueue<'c>(conn: impl Into<Exec<'c>>, job: &DocumentJob) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO document_jobs (id, dossier_id, kind, file_name, spec, created_at, created_by, attempts, next_at, last_error) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
    )
    .bind(&job.id)
    .bind(&job.dossier_id)
    .bind(&job.kind)
    .bind(&job.file_name)
    .bind(&job.spec)
    .bind(job.created_at)
    .bind(&job.created_by)
    .bind(job.attempts)
    .bind(job.next_at)
    .bind(&job.last_error)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Up to `limit` documents due at `now_us`, oldest first.
pub async fn due<'c>(
    conn: impl Into<Exec<'c>>,
    now_us: i64,
    limit: i64,
) -> Result<Vec<DocumentJob>> {
    conn.into()
        .all(
            "SELECT id, dossier_id, kind, file_name, spec, created_at, created_by, attempts, next_at, last_error \
             FROM document_jobs WHERE next_at <= $1 ORDER BY next_at, id LIMIT $2",
            &[Arg::Int(now_us), Arg::Int(limit)],
            job_row,
        )
        .await
}

/// Ids and kinds of the documents still waiting for dossier `dossier_id`, oldest first.
pub async fn waiting<'c>(
    conn: impl Into<Exec<'c>>,
    dossier_id: &str,
) -> Result<Vec<(String, String)>> {
    conn.into()
        .all(
            "SELECT id, kind FROM document_jobs WHERE dossier_id = $1 ORDER BY created_at, id",
            &[Arg::Text(dossier_id)],
            |r| Ok((r.get("id")?, r.get("kind")?)),
        )
        .await
}

/// How many documents are waiting, and how many of them have failed at least once.
pub async fn backlog<'c>(conn: impl Into<Exec<'c>>) -> Result<(i64, i64)> {
    let r = query(
        "SELECT COUNT(*) AS waiting, COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) AS failing \
         FROM document_jobs",
    )
    .fetch_one(conn)
    .await?;
    Ok((r.try_get("waiting")?, r.try_get("failing")?))
}

/// Removes a produced document's job; `false` when another worker already did.
pub async fn finish<'c>(conn: impl Into<Exec<'c>>, id: &str) -> Result<bool> {
    let done = query("DELETE FROM document_jobs WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt and when to try again.
pub async fn failed<'c>(
    conn: impl Into<Exec<'c>>,
    id: &str,
    error: &str,
    next_at: i64,
) -> Result<()> {
    query("UPDATE document_jobs SET attempts = attempts + 1, next_at = $1, last_error = $2 WHERE id = $3")
        .bind(next_at)
        .bind(error)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets the dossier's result once its signed result is stored.
pub async fn set_result<'c>(
    conn: impl Into<Exec<'c>>,
    dossier_id: &str,
    sha256: &str,
) -> Result<()> {
    query("UPDATE dossiers SET result_sha256 = $1 WHERE id = $2")
        .bind(sha256)
        .bind(dossier_id)
        .execute(conn)
        .await?;
    Ok(())
}

fn job_row(r: &Rec<'_, '_>) -> Result<DocumentJob> {
    Ok(DocumentJob {
        id: r.get("id")?,
        dossier_id: r.get("dossier_id")?,
        kind: r.get("kind")?,
        file_name: r.get("file_name")?,
        spec: r.get("spec")?,
        created_at: r.get("created_at")?,
        created_by: r.get("created_by")?,
        attempts: r.get("attempts")?,
        next_at: r.get("next_at")?,
        last_error: r.get("last_error")?,
    })
}
