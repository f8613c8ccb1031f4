//! The answer to an action: the dossier as reading it back after the commit gives it, built
//! from the view read before the action and what the action's transaction wrote.
//!
//! The transaction was guarded by the version the view was read at, so nothing else changed
//! the dossier's row, history, legs, files or supplement rounds in between. Documents are
//! attached later by the issuer, which may have attached one meanwhile: that one shows on the
//! next read. Actions that rewrite files or supplement rounds read the dossier back instead.

use lienthong_domain::workflow::DossierAction;
use lienthong_store::{dossiers::HistoryEntry, processing::Leg};

use super::plan::Change;

/// Whether the answer to `action` must be read back: it changes more than the row, the
/// history and the legs.
pub(super) fn read_back(action: DossierAction) -> bool {
    matches!(
        action,
        DossierAction::RequestSupplement | DossierAction::Supplement
    )
}

/// The view after the action: the row as `apply` left it, the history entry appended, and
/// the legs as `move_leg` left them when the holder or the step changed.
pub(super) fn after(
    mut view: crate::dossiers::DossierView,
    change: &Change,
    mut entry: HistoryEntry,
    moved: bool,
    now: i64,
) -> crate::dossiers::DossierView {
    let row = &mut view.row;
    row.status = change.status.as_str().to_owned();
    row.due_date = change.due_date.clone();
    row.version += 1;
    row.updated_at = now;
    // `apply` keeps the stored result when the change brings none.
    let result = row.state.result_sha256.take();
    row.state = change.state.clone();
    if row.state.result_sha256.is_none() {
        row.state.result_sha256 = result;
    }
    view.status = change.status;
    entry.seq = view.history.last().map_or(1, |h| h.seq + 1);
    view.history.push(entry);
    if moved {
        for leg in view.legs.iter_mut().filter(|l| l.ended_at.is_none()) {
            leg.ended_at = Some(now);
        }
        if let (Some(agency), Some(step)) = (
            &change.state.handling_agency_code,
            &change.state.current_step,
        ) {
            let seq = view.legs.iter().map(|l| l.seq).max().unwrap_or(0) + 1;
            view.legs.push(Leg {
                seq,
                agency_code: agency.clone(),
                step: step.clone(),
                started_at: now,
                due_at: change.state.step_due_at,
                ended_at: None,
            });
        }
    }
    view
}
