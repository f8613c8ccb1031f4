//! Writing and verifying the audit chain.

use lienthong_domain::audit::{ChainBreak, ChainVerifier, digest_json};
use lienthong_store::Exec;
use lienthong_store::audit as store;
use serde::Serialize;

use crate::{App, AppError};

/// Who acts and under which request, for the audit rows of a use case.
#[derive(Debug, Clone)]
pub struct AuditCtx {
    /// Account id, `system`, or `cli`.
    pub actor: String,
    /// Request id of the HTTP request or CLI run.
    pub request_id: Option<String>,
}

impl AuditCtx {
    /// An unattended change by the platform itself.
    pub fn system() -> Self {
        Self {
            actor: "system".into(),
            request_id: None,
        }
    }

    /// A change made through the command line.
    pub fn cli() -> Self {
        Self {
            actor: "cli".into(),
            request_id: None,
        }
    }
}

/// Digest of an object's state for the audit row.
pub fn digest<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value).ok().map(|v| digest_json(&v))
}

/// Appends one audit row inside the use case's transaction.
#[expect(clippy::too_many_arguments, reason = "mirrors the audit columns")]
pub async fn record<'c>(
    conn: impl Into<Exec<'c>>,
    app: &App,
    ctx: &AuditCtx,
    action: &str,
    object_type: &str,
    object_id: &str,
    before: Option<String>,
    after: Option<String>,
) -> Result<(), AppError> {
    let conn: &mut Exec<'_> = &mut conn.into();
    store::append(
        &mut *conn,
        store::NewAuditEntry {
            at_us: app.now_us(),
            actor: ctx.actor.clone(),
            action: action.to_owned(),
            object_type: object_type.to_owned(),
            object_id: object_id.to_owned(),
            before_digest: before,
            after_digest: after,
            request_id: ctx.request_id.clone(),
        },
    )
    .await?;
    Ok(())
}

/// Outcome of a full verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Rows that verified before the walk stopped.
    pub checked: i64,
    /// The first broken link, if any.
    pub broken: Option<ChainBreak>,
}

/// Walks the whole chain in pages and reports the first broken link.
pub async fn verify(app: &App) -> Result<VerifyReport, AppError> {
    let mut conn = app.db.read().await?;
    let (head_seq, head_hash) = store::head(&mut conn).await?;
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let page = store::page(&mut conn, after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in &page {
            if let Err(b) = verifier.push(row) {
                return Ok(VerifyReport {
                    checked: verifier.checked(),
                    broken: Some(b),
                });
            }
        }
    }
    let broken = verifier.finish(head_seq, &head_hash).err();
    Ok(VerifyReport {
        checked: verifier.checked(),
        broken,
    })
}

/// The newest audit rows, for an auditor or administrator.
pub async fn recent(
    app: &App,
    caller: &crate::authz::Caller,
    limit: i64,
) -> Result<Vec<lienthong_domain::audit::AuditRecord>, AppError> {
    crate::authz::authorize(caller, crate::authz::Action::ReadAudit, None)?;
    let mut conn = app.db.read().await?;
    Ok(store::recent(&mut conn, limit.clamp(1, 500)).await?)
}
