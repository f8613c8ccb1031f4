//! Multi-row inserts for generated history (demo and benchmark data): many dossiers and their
//! history per statement, inside the caller's transaction.

use crate::exec::{Exec, query};

use crate::{Result, dossiers::DossierRow, dossiers::HistoryEntry};

const DOSSIER_COLUMNS: &str = "id, code, procedure_code, procedure_version_id, agency_code, agency_version_id, \
    applicant_account_id, applicant_name, applicant_phone, applicant_email, channel, status, answers, received_at, \
    due_date, version, idempotency_key, created_at, updated_at, workflow_id, current_step, handling_agency_code, \
    handling_role, attention_at, transfer_origin, due_at, accepted_at, statutory_due_at, step_due_at, \
    supplement_rounds, apologized_at, result_sha256, resolved_at, return_channel, tracking_number, returned_at, \
    rating, rating_comment, rated_at, closed_at";
const DOSSIER_ARITY: usize = 40;
/// Rows per statement (far under SQLite's limit of 32,766 parameters).
const ROWS_PER_STATEMENT: usize = 100;

/// `(…),(…)` parameter lists. SQLite gets anonymous `?` parameters: its driver looks each
/// numbered parameter up by name, which costs the square of their number.
pub(crate) fn placeholders(conn: &Exec<'_>, rows: usize, arity: usize) -> String {
    let anonymous = conn.is_sqlite();
    (0..rows)
        .map(|r| {
            let marks = (1..=arity)
                .map(|c| {
                    if anonymous {
                        "?".to_owned()
                    } else {
                        format!("${}", r * arity + c)
                    }
                })
                .collect::<Vec<_>>()
                .join(",");
            format!("({marks})")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Inserts dossiers with their full processing state.
pub async fn insert_dossiers<'c>(conn: impl Into<Exec<'c>>, rows: &[DossierRow]) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO dossiers ({DOSSIER_COLUMNS}) VALUES {}",
            placeholders(conn, chunk.len(), DOSSIER_ARITY)
        );
        let mut q = query(sql);
        for d in chunk {
            let s = &d.state;
            q = q
                .bind(&d.id)
                .bind(&d.code)
                .bind(&d.procedure_code)
                .bind(&d.procedure_version_id)
                .bind(&d.agency_code)
                .bind(&d.agency_version_id)
                .bind(&d.applicant_account_id)
                .bind(&d.applicant_name)
                .bind(&d.applicant_phone)
                .bind(&d.applicant_email)
                .bind(&d.channel)
                .bind(&d.status)
                .bind(&d.answers)
                .bind(d.received_at)
                .bind(&d.due_date)
                .bind(d.version)
                .bind(&d.idempotency_key)
                .bind(d.created_at)
                .bind(d.updated_at)
                .bind(&s.workflow_id)
                .bind(&s.current_step)
                .bind(&s.handling_agency_code)
                .bind(&s.handling_role)
                .bind(s.attention_at)
                .bind(&s.transfer_origin)
                .bind(s.due_at)
                .bind(s.accepted_at)
                .bind(s.statutory_due_at)
                .bind(s.step_due_at)
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
                .bind(s.closed_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts history entries (with their sequence numbers as given).
pub async fn insert_history<'c>(
    conn: impl Into<Exec<'c>>,
    rows: &[(String, HistoryEntry)],
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    const ARITY: usize = 10;
    for chunk in rows.chunks(400) {
        let sql = format!(
            "INSERT INTO dossier_history (dossier_id, seq, at, actor, actor_name, action, status, note, step, \
             agency_code) VALUES {}",
            placeholders(conn, chunk.len(), ARITY)
        );
        let mut q = query(sql);
        for (id, h) in chunk {
            q = q
                .bind(id)
                .bind(h.seq)
                .bind(h.at)
                .bind(&h.actor)
                .bind(&h.actor_name)
                .bind(&h.action)
                .bind(&h.status)
                .bind(&h.note)
                .bind(&h.step)
                .bind(&h.agency_code);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The named sequences whose names start with `prefix`.
pub async fn sequences<'c>(conn: impl Into<Exec<'c>>, prefix: &str) -> Result<Vec<(String, i64)>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let rows = query("SELECT name, value FROM sequences WHERE name LIKE $1")
        .bind(format!("{prefix}%"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("value")?)))
        .collect()
}

/// Raises a named sequence to at least `value`.
pub async fn raise_sequence<'c>(conn: impl Into<Exec<'c>>, name: &str, value: i64) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO sequences (name, value) VALUES ($1, $2) ON CONFLICT (name) \
         DO UPDATE SET value = CASE WHEN sequences.value > excluded.value THEN sequences.value ELSE excluded.value END",
    )
    .bind(name)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
