//! Dossiers, their files and history, blobs, sequences and drafts.

use crate::exec::{Arg, Exec, Rec, Row, query};
use std::sync::LazyLock;

use crate::Result;

/// Next value of a named sequence (1 for a new name). Safe under concurrent writers: the
/// upsert takes the row lock on PostgreSQL; SQLite has one writer.
pub async fn next_in_sequence<'c>(conn: impl Into<Exec<'c>>, name: &str) -> Result<i64> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let row = query(
        "INSERT INTO sequences (name, value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1 RETURNING value",
    )
    .bind(name)
    .fetch_one(&mut *conn)
    .await?;
    row.try_get("value")
}

/// Records a stored blob (idempotent).
pub async fn insert_blob<'c>(
    conn: impl Into<Exec<'c>>,
    sha256: &str,
    size: i64,
    media_type: &str,
    now_us: i64,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    insert_blobs(conn, &[(sha256, size, media_type)], now_us).await
}

/// A blob to record: content hash, size in bytes, media type.
pub type NewBlob<'a> = (&'a str, i64, &'a str);

/// Records stored blobs (idempotent) in one statement.
pub async fn insert_blobs<'c>(
    conn: impl Into<Exec<'c>>,
    blobs: &[NewBlob<'_>],
    now_us: i64,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    if blobs.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO blobs (sha256, size, media_type, created_at) VALUES {} \
         ON CONFLICT (sha256) DO NOTHING",
        crate::bulk::placeholders(conn, blobs.len(), 4)
    );
    let mut q = query(sql);
    for (sha256, size, media_type) in blobs {
        q = q.bind(*sha256).bind(*size).bind(*media_type).bind(now_us);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Whether a blob is recorded.
pub async fn blob_exists<'c>(conn: impl Into<Exec<'c>>, sha256: &str) -> Result<bool> {
    let conn: &mut Exec<'_> = &mut conn.into();
    Ok(query("SELECT 1 AS one FROM blobs WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

/// A stored dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierRow {
    /// Id.
    pub id: String,
    /// National code.
    pub code: String,
    /// Procedure code.
    pub procedure_code: String,
    /// Procedure version submitted under.
    pub procedure_version_id: String,
    /// Receiving agency code.
    pub agency_code: String,
    /// Agency version at receipt.
    pub agency_version_id: String,
    /// Applicant account.
    pub applicant_account_id: Option<String>,
    /// Applicant name.
    pub applicant_name: String,
    /// Applicant phone (national form).
    pub applicant_phone: Option<String>,
    /// Applicant e-mail.
    pub applicant_email: Option<String>,
    /// `online`, `direct`, `postal`.
    pub channel: String,
    /// Status name.
    pub status: String,
    /// Canonical answers (JSON).
    pub answers: String,
    /// Receipt instant (µs).
    pub received_at: i64,
    /// Due date, once fixed.
    pub due_date: Option<String>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Idempotency key given by the client.
    pub idempotency_key: Option<String>,
    /// Created (µs).
    pub created_at: i64,
    /// Last change (µs).
    pub updated_at: i64,
    /// Where the dossier stands in its workflow.
    pub state: crate::processing::ProcessingState,
}

pub(crate) const COLUMNS: &str = "id, code, procedure_code, procedure_version_id, agency_code, agency_version_id, \
    applicant_account_id, applicant_name, applicant_phone, applicant_email, channel, status, answers, received_at, \
    due_date, version, idempotency_key, created_at, updated_at, workflow_id, current_step, handling_agency_code, handling_role, attention_at, \
    transfer_origin, due_at, accepted_at, statutory_due_at, step_due_at, resume_status, paused_at, supplement_rounds, apologized_at, result_sha256, \
    resolved_at, return_channel, tracking_number, returned_at, rating, rating_comment, rated_at, closed_at";

pub(crate) fn dossier(r: &Rec<'_, '_>) -> Result<DossierRow> {
    Ok(DossierRow {
        id: r.get("id")?,
        code: r.get("code")?,
        procedure_code: r.get("procedure_code")?,
        procedure_version_id: r.get("procedure_version_id")?,
        agency_code: r.get("agency_code")?,
        agency_version_id: r.get("agency_version_id")?,
        applicant_account_id: r.get("applicant_account_id")?,
        applicant_name: r.get("applicant_name")?,
        applicant_phone: r.get("applicant_phone")?,
        applicant_email: r.get("applicant_email")?,
        channel: r.get("channel")?,
        status: r.get("status")?,
        answers: r.get("answers")?,
        received_at: r.get("received_at")?,
        due_date: r.get("due_date")?,
        version: r.get("version")?,
        idempotency_key: r.get("idempotency_key")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
        state: crate::processing::state(r)?,
    })
}

/// Inserts a dossier (with its processing state).
pub async fn insert<'c>(conn: impl Into<Exec<'c>>, d: &DossierRow) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    crate::bulk::insert_dossiers(conn, std::slice::from_ref(d)).await
}

/// The dossier with this code.
pub async fn by_code<'c>(conn: impl Into<Exec<'c>>, code: &str) -> Result<Option<DossierRow>> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {COLUMNS} FROM dossiers WHERE code = $1"));
    conn.into()
        .optional(SQL.as_str(), &[Arg::Text(code)], dossier)
        .await
}

/// The dossier an account created with an idempotency key.
pub async fn by_idempotency_key<'c>(
    conn: impl Into<Exec<'c>>,
    account_id: &str,
    key: &str,
) -> Result<Option<DossierRow>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {COLUMNS} FROM dossiers WHERE applicant_account_id = $1 AND idempotency_key = $2"
        )
    });
    conn.into()
        .optional(
            SQL.as_str(),
            &[Arg::Text(account_id), Arg::Text(key)],
            dossier,
        )
        .await
}

/// An applicant's dossiers, newest first.
pub async fn of_applicant<'c>(
    conn: impl Into<Exec<'c>>,
    account_id: &str,
    limit: i64,
) -> Result<Vec<DossierRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {COLUMNS} FROM dossiers WHERE applicant_account_id = $1 ORDER BY received_at DESC LIMIT $2"
    );
    let rows = query(sql)
        .bind(account_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| dossier(&r.rec())).collect()
}

/// A file attached to a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierFile {
    /// Document slot.
    pub slot: String,
    /// Order within the slot.
    pub position: i64,
    /// Content hash.
    pub sha256: String,
    /// Safe file name.
    pub file_name: String,
    /// Sniffed media type.
    pub media_type: String,
    /// Bytes.
    pub size: i64,
}

/// Attaches a file.
pub async fn insert_file<'c>(
    conn: impl Into<Exec<'c>>,
    dossier_id: &str,
    f: &DossierFile,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    insert_files(conn, dossier_id, std::slice::from_ref(f)).await
}

/// Attaches files in one statement.
pub async fn insert_files<'c>(
    conn: impl Into<Exec<'c>>,
    dossier_id: &str,
    files: &[DossierFile],
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    if files.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO dossier_files (dossier_id, slot, position, sha256, file_name, media_type, size) VALUES {}",
        crate::bulk::placeholders(conn, files.len(), 7)
    );
    let mut q = query(sql);
    for f in files {
        q = q
            .bind(dossier_id)
            .bind(&f.slot)
            .bind(f.position)
            .bind(&f.sha256)
            .bind(&f.file_name)
            .bind(&f.media_type)
            .bind(f.size);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Files of a dossier.
pub async fn files<'c>(conn: impl Into<Exec<'c>>, dossier_id: &str) -> Result<Vec<DossierFile>> {
    conn.into()
        .all(
            "SELECT slot, position, sha256, file_name, media_type, size FROM dossier_files \
             WHERE dossier_id = $1 ORDER BY slot, position",
            &[Arg::Text(dossier_id)],
            |r| {
                Ok(DossierFile {
                    slot: r.get("slot")?,
                    position: r.get("position")?,
                    sha256: r.get("sha256")?,
                    file_name: r.get("file_name")?,
                    media_type: r.get("media_type")?,
                    size: r.get("size")?,
                })
            },
        )
        .await
}

/// One step of a dossier's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Position.
    pub seq: i64,
    /// Instant (µs).
    pub at: i64,
    /// Actor account id (or `system`).
    pub actor: String,
    /// Actor's name as shown.
    pub actor_name: String,
    /// Action name.
    pub action: String,
    /// Status after the action.
    pub status: String,
    /// Reason or note.
    pub note: Option<String>,
    /// Workflow step the action was taken at.
    pub step: Option<String>,
    /// Agency that held the dossier.
    pub agency_code: Option<String>,
}

/// Appends a history entry (sequence computed inside the transaction).
pub async fn append_history<'c>(
    conn: impl Into<Exec<'c>>,
    dossier_id: &str,
    e: &HistoryEntry,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO dossier_history (dossier_id, seq, at, actor, actor_name, action, status, note, step, agency_code) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM dossier_history WHERE dossier_id = $1), $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(dossier_id)
    .bind(e.at)
    .bind(&e.actor)
    .bind(&e.actor_name)
    .bind(&e.action)
    .bind(&e.status)
    .bind(&e.note)
    .bind(&e.step)
    .bind(&e.agency_code)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// History of a dossier, oldest first.
pub async fn history<'c>(conn: impl Into<Exec<'c>>, dossier_id: &str) -> Result<Vec<HistoryEntry>> {
    conn.into()
        .all(
            "SELECT seq, at, actor, actor_name, action, status, note, step, agency_code \
             FROM dossier_history WHERE dossier_id = $1 ORDER BY seq",
            &[Arg::Text(dossier_id)],
            |r| {
                Ok(HistoryEntry {
                    seq: r.get("seq")?,
                    at: r.get("at")?,
                    actor: r.get("actor")?,
                    actor_name: r.get("actor_name")?,
                    action: r.get("action")?,
                    status: r.get("status")?,
                    note: r.get("note")?,
                    step: r.get("step")?,
                    agency_code: r.get("agency_code")?,
                })
            },
        )
        .await
}

/// A stored draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRow {
    /// Id.
    pub id: String,
    /// Owner.
    pub account_id: String,
    /// Procedure code.
    pub procedure_code: String,
    /// Answers as typed (JSON object).
    pub answers: String,
    /// Files (JSON array).
    pub files: String,
    /// Step reached.
    pub step: String,
    /// Created (µs).
    pub created_at: i64,
    /// Last saved (µs).
    pub updated_at: i64,
}

fn draft(r: &Row) -> Result<DraftRow> {
    Ok(DraftRow {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        procedure_code: r.try_get("procedure_code")?,
        answers: r.try_get("answers")?,
        files: r.try_get("files")?,
        step: r.try_get("step")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const DRAFT_COLUMNS: &str =
    "id, account_id, procedure_code, answers, files, step, created_at, updated_at";

/// Inserts or replaces a draft.
pub async fn save_draft<'c>(conn: impl Into<Exec<'c>>, d: &DraftRow) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO drafts (id, account_id, procedure_code, answers, files, step, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (id) DO UPDATE SET answers = excluded.answers, \
         files = excluded.files, step = excluded.step, updated_at = excluded.updated_at",
    )
    .bind(&d.id)
    .bind(&d.account_id)
    .bind(&d.procedure_code)
    .bind(&d.answers)
    .bind(&d.files)
    .bind(&d.step)
    .bind(d.created_at)
    .bind(d.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A draft by id.
pub async fn draft_by_id<'c>(conn: impl Into<Exec<'c>>, id: &str) -> Result<Option<DraftRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!("SELECT {DRAFT_COLUMNS} FROM drafts WHERE id = $1");
    let r = query(sql).bind(id).fetch_optional(&mut *conn).await?;
    r.as_ref().map(draft).transpose()
}

/// An account's drafts, most recently saved first.
pub async fn drafts_of<'c>(conn: impl Into<Exec<'c>>, account_id: &str) -> Result<Vec<DraftRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {DRAFT_COLUMNS} FROM drafts WHERE account_id = $1 ORDER BY updated_at DESC"
    );
    let rows = query(sql).bind(account_id).fetch_all(&mut *conn).await?;
    rows.iter().map(draft).collect()
}

/// Deletes a draft.
pub async fn delete_draft<'c>(conn: impl Into<Exec<'c>>, id: &str) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("DELETE FROM drafts WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
