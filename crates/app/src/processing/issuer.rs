//! Produces the documents actions issue, after the action has committed: lays out each notice,
//! signs it (the approving official and the agency's seal for a result; the seal alone for
//! other notices), stores it and attaches it to the dossier in one transaction with its audit
//! row and outbox event.
//!
//! The decision is durable as soon as the action commits; its document follows within moments.
//! A job that fails is tried again later (doubling the wait, at most an hour) and stays visible
//! in the backlog; a job produced twice (two processes on one database) is attached once.

use std::time::Duration;

use lienthong_documents::{Marks, Notice, notice_pdf_marked};
use lienthong_domain::clock::business_tz;
use lienthong_store::{
    document_jobs::{self, DocumentJob},
    dossiers as store,
    processing::{self as pstore, DocumentRow},
};
use serde::{Deserialize, Serialize};

use crate::{
    App, AppError, audit,
    signatures::{self, Priority},
};

/// Jobs taken per round.
const BATCH: i64 = 64;
/// Longest wait before a failed job is tried again (µs).
const MAX_BACKOFF_US: i64 = 3_600_000_000;

/// What a document says and who signs it, as the action decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Spec {
    /// Dossier code.
    pub code: String,
    /// Agency whose seal goes on the document.
    pub agency_code: String,
    /// Its name.
    pub agency_name: String,
    /// Place of signing.
    pub place: String,
    /// The official who signs a result (account id, full name); `None`: sealed only.
    pub official: Option<(String, String)>,
    /// The content.
    pub source: Source,
}

/// Where a document's content comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Source {
    /// A notice laid out by the platform.
    Layout {
        /// The notice.
        notice: Box<Notice>,
    },
    /// A PDF the official uploaded (signed invisibly: its layout is not ours).
    Uploaded {
        /// Its blob.
        sha256: String,
    },
}

/// Produces the documents that are due; returns how many jobs were taken (produced or failed).
pub async fn issue_due(app: &App) -> Result<usize, AppError> {
    let jobs = {
        let mut conn = app.db.reader().await?;
        document_jobs::due(&mut conn, app.now_us(), BATCH).await?
    };
    let taken = jobs.len();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut jobs = jobs.into_iter();
    loop {
        let (width, pause) = pace(app.db.most_writers_waiting(), cores);
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        let mut running = tokio::task::JoinSet::new();
        for job in jobs.by_ref().take(width) {
            let app = app.clone();
            running.spawn(async move {
                if let Err(e) = issue_one(&app, &job).await {
                    postpone(&app, &job, &e).await;
                }
            });
        }
        if running.is_empty() {
            break;
        }
        while running.join_next().await.is_some() {}
    }
    Ok(taken)
}

/// How many documents to produce at once, and the pause before them, given the most writers
/// that queued at once for the database since the previous round. Usually two per core (one's
/// file and database writes overlap another's layout and signing). At a peak, when more
/// writers queued than the issuer's own documents and the platform's other background work
/// can make ([`PEAK_MARGIN`] more than the documents of one round), one at a time and at most
/// [`PEAK_RATE`] a second: producing a document costs as much processor time as dozens of
/// actions and takes the writer too, and no one waits for it at once; the backlog still moves,
/// and drains at full speed once the peak is over.
pub(crate) fn pace(most_writers_waiting: usize, cores: usize) -> (usize, Duration) {
    let width = 2 * cores.max(1);
    if most_writers_waiting < width + PEAK_MARGIN {
        (width, Duration::ZERO)
    } else {
        (1, Duration::from_secs(1) / PEAK_RATE)
    }
}

/// Documents produced per second, at most, while requests queue for the writer: 18,000 an
/// hour, more than a province issues in a day, for about a twentieth of one core.
pub(crate) const PEAK_RATE: u32 = 5;

/// Writers queueing for the database, beyond the documents of one round, from which the
/// issuer slows down.
pub(crate) const PEAK_MARGIN: usize = 4;

/// Produces every document due now, round after round, until none is left; returns how many.
pub async fn issue_all_due(app: &App) -> Result<usize, AppError> {
    let mut total = 0;
    loop {
        match issue_due(app).await? {
            0 => return Ok(total),
            n => total += n,
        }
    }
}

/// Documents waiting to be produced, and how many of them have failed at least once.
pub async fn backlog(app: &App) -> Result<(i64, i64), AppError> {
    let mut conn = app.db.reader().await?;
    Ok(document_jobs::backlog(&mut conn).await?)
}

/// Kinds of the documents of dossier `dossier_id` still being produced, oldest first.
pub async fn waiting_kinds(app: &App, dossier_id: &str) -> Result<Vec<String>, AppError> {
    let mut conn = app.db.reader().await?;
    Ok(document_jobs::waiting(&mut conn, dossier_id)
        .await?
        .into_iter()
        .map(|(_, kind)| kind)
        .collect())
}

/// Produces documents whenever an action issues some, and at least every second (for jobs
/// whose retry time has come).
pub async fn run_issuer(app: App) {
    loop {
        match issue_due(&app).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "document issuer failed"),
        }
        app.events.documents_waiting(Duration::from_secs(1)).await;
    }
}

async fn postpone(app: &App, job: &DocumentJob, e: &AppError) {
    let wait = (1_000_000i64 << job.attempts.clamp(0, 12)).min(MAX_BACKOFF_US);
    tracing::warn!(document = %job.id, kind = %job.kind, attempts = job.attempts + 1, error = %e, "document not issued; will try again");
    let outcome = async {
        let mut tx = app.db.write().await?;
        document_jobs::failed(tx.conn(), &job.id, &e.to_string(), app.now_us() + wait).await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = outcome {
        tracing::warn!(document = %job.id, error = %e, "cannot record a failed document");
    }
}

/// Lays out, signs, stores and attaches one document.
async fn issue_one(app: &App, job: &DocumentJob) -> Result<(), AppError> {
    let spec: Spec = serde_json::from_str(&job.spec)
        .map_err(|e| AppError::Internal(format!("document {}: {e}", job.id)))?;
    let pdf = produce(app, &spec).await?;
    let blob = app.blobs.put(&pdf).await?;
    let size = i64::try_from(blob.size).unwrap_or(i64::MAX);
    let now = app.now_us();
    let mut tx = app.db.write().await?;
    let conn = &mut tx.conn();
    if !document_jobs::finish(&mut *conn, &job.id).await? {
        // Another process attached it already; dropping the transaction changes nothing.
        return Ok(());
    }
    store::insert_blob(&mut *conn, &blob.sha256, size, "application/pdf", now).await?;
    pstore::insert_document(
        &mut *conn,
        &job.dossier_id,
        &DocumentRow {
            id: job.id.clone(),
            kind: job.kind.clone(),
            sha256: blob.sha256.clone(),
            file_name: job.file_name.clone(),
            created_at: job.created_at,
            created_by: job.created_by.clone(),
        },
    )
    .await?;
    if job.kind == "result" {
        let row = store::by_code(&mut *conn, &spec.code)
            .await?
            .ok_or_else(|| AppError::NotFound(spec.code.clone()))?;
        document_jobs::set_result(&mut *conn, &job.dossier_id, &blob.sha256).await?;
        let mut after = row.state.clone();
        after.result_sha256 = Some(blob.sha256.clone());
        crate::reports::facts::record_change(
            &mut *conn,
            &row,
            &crate::reports::facts::facts_of(&row.channel, &row.status, &after),
        )
        .await?;
    }
    audit::record(
        &mut *conn,
        app,
        &audit::AuditCtx::system(),
        "dossier.document_issued",
        "dossier",
        &spec.code,
        None,
        Some(format!("{} {}", job.kind, job.id)),
    )
    .await?;
    lienthong_store::catalog::enqueue(
        &mut *conn,
        "dossier.document_issued",
        &spec.code,
        &serde_json::json!({ "kind": job.kind, "id": job.id, "sha256": blob.sha256 }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    app.events.poke();
    Ok(())
}

/// The signed PDF of `spec`.
async fn produce(app: &App, spec: &Spec) -> Result<Vec<u8>, AppError> {
    match &spec.source {
        Source::Uploaded { sha256 } => {
            let original = app.blobs.read(sha256).await?;
            sign_result(app, spec, &original, None).await
        }
        Source::Layout { notice } => {
            let mut notice = (**notice).clone();
            if let Some(d) = notice.digital.as_mut() {
                // The visible block gives the time of signing, which is now.
                d.signed_at = app
                    .clock
                    .now()
                    .to_zoned(business_tz())
                    .strftime("%d/%m/%Y %H:%M:%S %:z")
                    .to_string();
            }
            let reason = format!("{} — {}", notice.title, spec.code);
            // Laying out, subsetting the fonts and compressing take milliseconds of CPU no one
            // waits for: on the low-priority threads.
            let (bytes, marks) = app
                .background
                .run(move || notice_pdf_marked(&notice))
                .await?
                .map_err(|e| AppError::Internal(e.to_string()))?;
            match marks {
                Some(m) => sign_result(app, spec, &bytes, Some(m)).await,
                None => {
                    signatures::seal_document_at(
                        app,
                        &bytes,
                        (&spec.agency_code, &spec.agency_name),
                        &reason,
                        Priority::Background,
                    )
                    .await
                }
            }
        }
    }
}

/// Signs a result by the approving official and seals it by the dossier's agency, over the
/// visible blocks when `marks` says where they are.
async fn sign_result(
    app: &App,
    spec: &Spec,
    pdf: &[u8],
    marks: Option<Marks>,
) -> Result<Vec<u8>, AppError> {
    let (account_id, full_name) = spec
        .official
        .as_ref()
        .ok_or_else(|| AppError::Internal(format!("result of {} without its signer", spec.code)))?;
    let official = signatures::person(app, account_id, full_name, &spec.agency_name).await?;
    let seal = signatures::seal(app, &spec.agency_code, &spec.agency_name).await?;
    let at = signatures::Placement {
        page: marks.map_or(0, |m| m.page),
        signer: marks.map(|m| m.signer),
        seal: marks.map(|m| m.seal),
    };
    signatures::sign_and_seal_at(
        app,
        pdf,
        (&official, &seal),
        &format!("Phê duyệt kết quả hồ sơ {}", spec.code),
        &spec.place,
        &at,
        Priority::Background,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_produced_two_per_core_when_idle_and_one_at_a_time_at_a_peak() {
        assert_eq!(pace(0, 2), (4, Duration::ZERO));
        assert_eq!(pace(0, 0), (2, Duration::ZERO), "an unknown core count");
        assert_eq!(
            pace(4 + PEAK_MARGIN - 1, 2),
            (4, Duration::ZERO),
            "the issuer's own documents and the platform's background writers are not a peak"
        );
        assert_eq!(pace(16 + PEAK_MARGIN - 1, 8), (16, Duration::ZERO));
        let (width, pause) = pace(4 + PEAK_MARGIN, 2);
        assert_eq!(width, 1);
        assert_eq!(pause, Duration::from_millis(200));
        // The backlog still moves at a peak: a pause, never a stop.
        assert!(pause < Duration::from_secs(1));
    }
}
