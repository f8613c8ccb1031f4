//! Where a dossier stands in its workflow, workflow versions, supplement rounds, the time each
//! agency held a dossier (legs), issued documents and the work queues.

use crate::exec::{Arg, Exec, Rec, query};

use crate::Result;

/// The processing fields of a dossier, written together by every transition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessingState {
    /// Workflow version followed.
    pub workflow_id: Option<String>,
    /// Current step id.
    pub current_step: Option<String>,
    /// Agency that holds the dossier now (`None` once closed).
    pub handling_agency_code: Option<String>,
    /// Role expected to act now (`None` once closed).
    pub handling_role: Option<String>,
    /// Instant by which the holder must act (µs).
    pub attention_at: Option<i64>,
    /// Agency to return to after a transfer.
    pub transfer_origin: Option<String>,
    /// Due instant (µs).
    pub due_at: Option<i64>,
    /// When the dossier was accepted (µs).
    pub accepted_at: Option<i64>,
    /// Due instant fixed at acceptance, moved by supplement pauses only (µs).
    pub statutory_due_at: Option<i64>,
    /// Due instant of the current step or leg (µs).
    pub step_due_at: Option<i64>,
    /// Status to return to once a supplement arrives.
    pub resume_status: Option<String>,
    /// When the clock was paused (µs).
    pub paused_at: Option<i64>,
    /// Supplement rounds so far.
    pub supplement_rounds: i64,
    /// When the apology was issued (µs).
    pub apologized_at: Option<i64>,
    /// Hash of the result document.
    pub result_sha256: Option<String>,
    /// When the result was ready (µs).
    pub resolved_at: Option<i64>,
    /// `desk`, `online`, `post`.
    pub return_channel: Option<String>,
    /// Postal tracking number.
    pub tracking_number: Option<String>,
    /// When the result was handed over (µs).
    pub returned_at: Option<i64>,
    /// 1–3.
    pub rating: Option<i64>,
    /// Applicant's comment.
    pub rating_comment: Option<String>,
    /// When rated (µs).
    pub rated_at: Option<i64>,
    /// When the dossier was refused, rejected or withdrawn (µs).
    pub closed_at: Option<i64>,
}

/// Reads the processing fields of a dossier row.
pub(crate) fn state(r: &Rec<'_, '_>) -> Result<ProcessingState> {
    Ok(ProcessingState {
        workflow_id: r.get("workflow_id")?,
        current_step: r.get("current_step")?,
        handling_agency_code: r.get("handling_agency_code")?,
        handling_role: r.get("handling_role")?,
        attention_at: r.get("attention_at")?,
        transfer_origin: r.get("transfer_origin")?,
        due_at: r.get("due_at")?,
        accepted_at: r.get("accepted_at")?,
        statutory_due_at: r.get("statutory_due_at")?,
        step_due_at: r.get("step_due_at")?,
        resume_status: r.get("resume_status")?,
        paused_at: r.get("paused_at")?,
        supplement_rounds: r.get("supplement_rounds")?,
        apologized_at: r.get("apologized_at")?,
        result_sha256: r.get("result_sha256")?,
        resolved_at: r.get("resolved_at")?,
        return_channel: r.get("return_channel")?,
        tracking_number: r.get("tracking_number")?,
        returned_at: r.get("returned_at")?,
        rating: r.get("rating")?,
        rating_comment: r.get("rating_comment")?,
        rated_at: r.get("rated_at")?,
        closed_at: r.get("closed_at")?,
    })
}

/// Writes a transition if the dossier is still at `version`; returns whether it was.
pub async fn apply<'c>(
    conn: impl Into<Exec<'c>>,
    id: &str,
    version: i64,
    status: &str,
    due_date: Option<&str>,
    s: &ProcessingState,
    now_us: i64,
) -> Result<bool> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let done = query(
        "UPDATE dossiers SET status = $1, due_date = $2, version = version + 1, updated_at = $3, \
         workflow_id = $4, current_step = $5, handling_agency_code = $6, handling_role = $7, attention_at = $8, \
         transfer_origin = $9, due_at = $10, step_due_at = $11, resume_status = $12, paused_at = $13, \
         supplement_rounds = $14, apologized_at = $15, result_sha256 = COALESCE($16, result_sha256), resolved_at = $17, \
         return_channel = $18, tracking_number = $19, returned_at = $20, rating = $21, rating_comment = $22, \
         rated_at = $23, accepted_at = $26, statutory_due_at = $27, closed_at = $28 WHERE id = $24 AND version = $25",
    )
    .bind(status)
    .bind(due_date)
    .bind(now_us)
    .bind(&s.workflow_id)
    .bind(&s.current_step)
    .bind(&s.handling_agency_code)
    .bind(&s.handling_role)
    .bind(s.attention_at)
    .bind(&s.transfer_origin)
    .bind(s.due_at)
    .bind(s.step_due_at)
    .bind(&s.resume_status)
    .bind(s.paused_at)
    .bind(s.supplement_rounds)
    .bind(s.apologized_at)
    .bind(&s.result_sha256)
    .bind(s.resolved_at)
    .bind(&s.return_channel)
    .bind(&s.tracking_number)
    .bind(s.returned_at)
    .bind(s.rating)
    .bind(&s.rating_comment)
    .bind(s.rated_at)
    .bind(id)
    .bind(version)
    .bind(s.accepted_at)
    .bind(s.statutory_due_at)
    .bind(s.closed_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces a dossier's answers (after a supplement).
pub async fn set_answers<'c>(conn: impl Into<Exec<'c>>, id: &str, answers: &str) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("UPDATE dossiers SET answers = $1 WHERE id = $2")
        .bind(answers)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Removes the files of one document slot (before attaching their replacements).
pub async fn clear_slot<'c>(conn: impl Into<Exec<'c>>, id: &str, slot: &str) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("DELETE FROM dossier_files WHERE dossier_id = $1 AND slot = $2")
        .bind(id)
        .bind(slot)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A stored workflow version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowRow {
    /// Version id.
    pub id: String,
    /// Name procedures refer to.
    pub name: String,
    /// TOML source.
    pub definition: String,
    /// Created (µs).
    pub created_at: i64,
    /// Account that saved it.
    pub created_by: String,
}

fn workflow(r: &Rec<'_, '_>) -> Result<WorkflowRow> {
    Ok(WorkflowRow {
        id: r.get("id")?,
        name: r.get("name")?,
        definition: r.get("definition")?,
        created_at: r.get("created_at")?,
        created_by: r.get("created_by")?,
    })
}

/// Saves a new workflow version.
pub async fn insert_workflow<'c>(conn: impl Into<Exec<'c>>, w: &WorkflowRow) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO workflows (id, name, definition, created_at, created_by) VALUES ($1,$2,$3,$4,$5)",
    )
    .bind(&w.id)
    .bind(&w.name)
    .bind(&w.definition)
    .bind(w.created_at)
    .bind(&w.created_by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A workflow version by id.
pub async fn workflow_by_id<'c>(
    conn: impl Into<Exec<'c>>,
    id: &str,
) -> Result<Option<WorkflowRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let r =
        query("SELECT id, name, definition, created_at, created_by FROM workflows WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    r.as_ref().map(|r| workflow(&r.rec())).transpose()
}

/// The latest version of each workflow name.
pub async fn current_workflows<'c>(conn: impl Into<Exec<'c>>) -> Result<Vec<WorkflowRow>> {
    conn.into()
        .all(
            "SELECT id, name, definition, created_at, created_by FROM workflows w \
             WHERE created_at = (SELECT MAX(created_at) FROM workflows x WHERE x.name = w.name) \
             ORDER BY name",
            &[],
            workflow,
        )
        .await
}

/// A supplement request (one round).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplementRow {
    /// Round number, from 1.
    pub round: i64,
    /// `reception` (before acceptance) or `processing`.
    pub stage: String,
    /// Items (JSON array of `{target, reason}`).
    pub items: String,
    /// Requested (µs).
    pub requested_at: i64,
    /// Official who asked.
    pub requested_by: String,
    /// When the applicant answered (µs).
    pub answered_at: Option<i64>,
}

/// Records a supplement request.
pub async fn insert_supplement<'c>(
    conn: impl Into<Exec<'c>>,
    dossier_id: &str,
    s: &SupplementRow,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO supplement_requests (dossier_id, round, stage, items, requested_at, requested_by, answered_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
    )
    .bind(dossier_id)
    .bind(s.round)
    .bind(&s.stage)
    .bind(&s.items)
    .bind(s.requested_at)
    .bind(&s.requested_by)
    .bind(s.answered_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks the open supplement round answered.
pub async fn answer_supplement<'c>(
    conn: impl Into<Exec<'c>>,
    dossier_id: &str,
    at: i64,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "UPDATE supplement_requests SET answered_at = $1 WHERE dossier_id = $2 AND answered_at IS NULL",
    )
    .bind(at)
    .bind(dossier_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Supplement rounds of a dossier, oldest first.
pub async fn supplements<'c>(
    conn: impl Into<Exec<'c>>,
    dossier_id: &str,
) -> Result<Vec<SupplementRow>> {
    conn.into()
        .all(
            "SELECT round, stage, items, requested_at, requested_by, answered_at FROM supplement_requests \
             WHERE dossier_id = $1 ORDER BY round",
            &[Arg::Text(dossier_id)],
            |r| {
                Ok(SupplementRow {
                    round: r.get("round")?,
                    stage: r.get("stage")?,
                    items: r.get("items")?,
                    requested_at: r.get("requested_at")?,
                    requested_by: r.get("requested_by")?,
                    answered_at: r.get("answered_at")?,
                })
            },
        )
        .await
}

/// A period during which one agency held a dossier at one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    /// Position.
    pub seq: i64,
    /// Holding agency.
    pub agency_code: String,
    /// Step id.
    pub step: String,
    /// Start (µs).
    pub started_at: i64,
    /// Due (µs), if the step has a duration.
    pub due_at: Option<i64>,
    /// End (µs), once left.
    pub ended_at: Option<i64>,
}

/// Closes the open leg (if any) and, when `next` is given, opens a new one.
pub async fn move_leg<'c>(
    conn: impl Into<Exec<'c>>,
    dossier_id: &str,
    at: i64,
    next: Option<(&str, &str, Option<i64>)>,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("UPDATE dossier_legs SET ended_at = $1 WHERE dossier_id = $2 AND ended_at IS NULL")
        .bind(at)
        .bind(dossier_id)
        .execute(&mut *conn)
        .await?;
    if let Some((agency, step, due)) = next {
        start_leg(conn, dossier_id, at, agency, step, due).await?;
    }
    Ok(())
}

/// Opens a leg; the caller knows no leg is open (a dossier just received).
pub async fn start_leg<'c>(
    conn: impl Into<Exec<'c>>,
    dossier_id: &str,
    at: i64,
    agency: &str,
    step: &str,
    due: Option<i64>,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO dossier_legs (dossier_id, seq, agency_code, step, started_at, due_at, ended_at) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM dossier_legs WHERE dossier_id = $1), $2, $3, $4, $5, NULL)",
    )
    .bind(dossier_id)
    .bind(agency)
    .bind(step)
    .bind(at)
    .bind(due)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Legs of a dossier, in order.
pub async fn legs<'c>(conn: impl Into<Exec<'c>>, dossier_id: &str) -> Result<Vec<Leg>> {
    conn.into()
        .all(
            "SELECT seq, agency_code, step, started_at, due_at, ended_at FROM dossier_legs \
             WHERE dossier_id = $1 ORDER BY seq",
            &[Arg::Text(dossier_id)],
            |r| {
                Ok(Leg {
                    seq: r.get("seq")?,
                    agency_code: r.get("agency_code")?,
                    step: r.get("step")?,
                    started_at: r.get("started_at")?,
                    due_at: r.get("due_at")?,
                    ended_at: r.get("ended_at")?,
                })
            },
        )
        .await
}

/// A document issued for a dossier (notice, apology, result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    /// Id.
    pub id: String,
    /// `supplement_request`, `refusal`, `apology`, `rejection`, `result`.
    pub kind: String,
    /// Content hash (blob).
    pub sha256: String,
    /// File name offered on download.
    pub file_name: String,
    /// Issued (µs).
    pub created_at: i64,
    /// Account that issued it.
    pub created_by: String,
}

/// Records an issued document.
pub async fn insert_document<'c>(
    conn: impl Into<Exec<'c>>,
    dossier_id: &str,
    d: &DocumentRow,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO dossier_documents (id, dossier_id, kind, sha256, file_name, created_at, created_by) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
    )
    .bind(&d.id)
    .bind(dossier_id)
    .bind(&d.kind)
    .bind(&d.sha256)
    .bind(&d.file_name)
    .bind(d.created_at)
    .bind(&d.created_by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Documents issued for a dossier, oldest first.
pub async fn documents<'c>(
    conn: impl Into<Exec<'c>>,
    dossier_id: &str,
) -> Result<Vec<DocumentRow>> {
    conn.into()
        .all(
            "SELECT id, kind, sha256, file_name, created_at, created_by FROM dossier_documents \
             WHERE dossier_id = $1 ORDER BY created_at, id",
            &[Arg::Text(dossier_id)],
            document_row,
        )
        .await
}

/// What a work queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Holding agency.
    pub agency_code: String,
    /// Only dossiers waiting for this role (the caller's own queue); `None`: the whole unit.
    pub role: Option<String>,
    /// Code prefix, applicant name or procedure code to search for.
    pub search: Option<String>,
    /// Rows to skip (paging).
    pub offset: i64,
}

/// Open dossiers held by an agency, most urgent first.
pub async fn queue<'c>(
    conn: impl Into<Exec<'c>>,
    f: &QueueFilter,
    limit: i64,
) -> Result<Vec<crate::dossiers::DossierRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let mut sql = format!(
        "SELECT {} FROM dossiers WHERE handling_agency_code = $1",
        crate::dossiers::COLUMNS
    );
    let mut n = 1;
    if f.role.is_some() {
        n += 1;
        sql.push_str(&format!(" AND handling_role = ${n}"));
    }
    if f.search.is_some() {
        n += 1;
        sql.push_str(&format!(
            " AND (code LIKE ${n} OR applicant_name LIKE ${a} OR procedure_code = ${b})",
            a = n + 1,
            b = n + 2
        ));
        n += 2;
    }
    sql.push_str(&format!(
        " ORDER BY attention_at, id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    ));
    let mut q = query(sql).bind(&f.agency_code);
    if let Some(r) = &f.role {
        q = q.bind(r);
    }
    if let Some(s) = &f.search {
        let escaped: String = s.chars().filter(|c| !matches!(c, '%' | '_')).collect();
        q = q
            .bind(format!("{escaped}%"))
            .bind(format!("%{escaped}%"))
            .bind(s.clone());
    }
    let rows = q.bind(limit).bind(f.offset).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| crate::dossiers::dossier(&r.rec()))
        .collect()
}

/// Open dossiers held by an agency whose last change is older than `before` (µs), oldest first.
pub async fn stale<'c>(
    conn: impl Into<Exec<'c>>,
    agency_code: &str,
    before: i64,
    limit: i64,
) -> Result<Vec<crate::dossiers::DossierRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {} FROM dossiers WHERE handling_agency_code = $1 AND updated_at < $2 ORDER BY updated_at LIMIT $3",
        crate::dossiers::COLUMNS
    );
    let rows = query(sql)
        .bind(agency_code)
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| crate::dossiers::dossier(&r.rec()))
        .collect()
}

/// Dossiers received by an agency in `[from, to)` (µs), in order of receipt (desk register).
pub async fn received_between<'c>(
    conn: impl Into<Exec<'c>>,
    agency_code: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<crate::dossiers::DossierRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {} FROM dossiers WHERE agency_code = $1 AND received_at >= $2 AND received_at < $3 \
         ORDER BY received_at, code LIMIT $4",
        crate::dossiers::COLUMNS
    );
    let rows = query(sql)
        .bind(agency_code)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| crate::dossiers::dossier(&r.rec()))
        .collect()
}

/// Copies dossier `template_code` as copies `first..=last` (codes `<template>-B<i>`, urgency
/// spread over the copies): load data for benchmarks of queues and reports. Returns the count.
pub async fn copy_batch<'c>(
    conn: impl Into<Exec<'c>>,
    template_code: &str,
    first: i64,
    last: i64,
) -> Result<u64> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let done = query(
        "WITH RECURSIVE seq(i) AS (SELECT $2 UNION ALL SELECT i + 1 FROM seq WHERE i < $3) \
         INSERT INTO dossiers (id, code, procedure_code, procedure_version_id, agency_code, agency_version_id, \
         applicant_account_id, applicant_name, applicant_phone, applicant_email, channel, status, answers, \
         received_at, due_date, version, idempotency_key, created_at, updated_at, workflow_id, current_step, \
         handling_agency_code, handling_role, attention_at, due_at, accepted_at, statutory_due_at, \
         resolved_at, closed_at, rating, rated_at, apologized_at, result_sha256, supplement_rounds) \
         SELECT d.id || '-' || CAST(seq.i AS TEXT), d.code || '-B' || CAST(seq.i AS TEXT), d.procedure_code, \
         d.procedure_version_id, d.agency_code, d.agency_version_id, d.applicant_account_id, d.applicant_name, \
         d.applicant_phone, d.applicant_email, d.channel, d.status, d.answers, d.received_at - seq.i, d.due_date, \
         d.version, NULL, d.created_at, d.updated_at, d.workflow_id, d.current_step, d.handling_agency_code, \
         d.handling_role, d.attention_at + seq.i * 1000, d.due_at, d.accepted_at, d.statutory_due_at, \
         d.resolved_at, d.closed_at, d.rating, d.rated_at, d.apologized_at, d.result_sha256, d.supplement_rounds \
         FROM dossiers d CROSS JOIN seq WHERE d.code = $1",
    )
    .bind(template_code)
    .bind(first)
    .bind(last)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// An issued document by id (for public verification by the code printed on it).
pub async fn document_by_id<'c>(
    conn: impl Into<Exec<'c>>,
    id: &str,
) -> Result<Option<DocumentRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let r = query(
        "SELECT id, kind, sha256, file_name, created_at, created_by FROM dossier_documents WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(|r| document_row(&r.rec())).transpose()
}

fn document_row(r: &Rec<'_, '_>) -> Result<DocumentRow> {
    Ok(DocumentRow {
        id: r.get("id")?,
        kind: r.get("kind")?,
        sha256: r.get("sha256")?,
        file_name: r.get("file_name")?,
        created_at: r.get("created_at")?,
        created_by: r.get("created_by")?,
    })
}
