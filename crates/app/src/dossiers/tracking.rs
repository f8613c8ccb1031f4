//! Public tracking of a dossier by its code and the last four digits of the applicant's phone.

use lienthong_domain::dossier::Status;
use lienthong_store::dossiers as store;

use super::{complete, stored_on};
use crate::{App, AppError, authz::Caller};

/// What anyone holding the code and the phone's last four digits may see.
#[derive(Debug, Clone)]
pub struct Tracking {
    /// Dossier code.
    pub code: String,
    /// Procedure name.
    pub procedure_name: String,
    /// Agency name at receipt.
    pub agency_name: String,
    /// Status.
    pub status: Status,
    /// Received (µs).
    pub received_at: i64,
    /// Due date, once fixed.
    pub due_date: Option<String>,
    /// (instant µs, status, note) of every change; no names of people.
    pub timeline: Vec<(i64, Status, Option<String>)>,
}

/// Public tracking: the code and the last four digits of the phone given in the dossier must
/// both match, so that codes cannot be enumerated. Any mismatch is "not found".
pub async fn track(app: &App, code: &str, phone_last4: &str) -> Result<Tracking, AppError> {
    let digits: String = phone_last4.chars().filter(char::is_ascii_digit).collect();
    let mut conn = app.db.reader().await?;
    let row = store::by_code(&mut conn, code.trim())
        .await?
        .filter(|r| {
            digits.len() == 4
                && r.applicant_phone
                    .as_deref()
                    .is_some_and(|p| p.ends_with(&digits))
        })
        .ok_or_else(|| AppError::NotFound(code.to_owned()))?;
    let stored = stored_on(&app.caches, row, &mut conn).await?;
    drop(conn);
    let v = complete(app, &Caller::Anonymous, stored).await?;
    Ok(Tracking {
        code: v.row.code.clone(),
        procedure_name: v.procedure_name,
        agency_name: v.agency_name,
        status: v.status,
        received_at: v.row.received_at,
        due_date: v.row.due_date.clone(),
        timeline: v
            .history
            .iter()
            .filter_map(|h| Status::parse(&h.status).map(|s| (h.at, s, h.note.clone())))
            .collect(),
    })
}
