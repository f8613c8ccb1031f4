//! What an action changes: the next status, step, holder, clock and result. Supplements pause
//! the clock during processing (the time already spent counts; the wait does not) and restart
//! reception when asked for before acceptance.

use jiff::civil::Date;
use lienthong_domain::{
    calendar::{OfficeHours, WorkCalendar},
    catalog::Procedure,
    clock::{business_tz, from_micros, to_micros},
    dossier::Status,
    workflow::{DossierAction, Transition, definition::AgencyRule},
};
use lienthong_store::Exec;
use lienthong_store::{
    dossiers::{self as store, DossierFile},
    processing::{self as pstore, ProcessingState, SupplementRow},
};
use serde_json::{Map, Value};

use super::{ActionRequest, Situation, fields::Checked};
use crate::{App, AppError, FieldError, authz::Principal, catalog};

/// The dossier after the action.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub status: Status,
    pub due_date: Option<String>,
    pub state: ProcessingState,
}

async fn calendar_around(app: &App, at_us: i64) -> Result<std::sync::Arc<WorkCalendar>, AppError> {
    let year = from_micros(at_us).to_zoned(business_tz()).year();
    crate::calendar::shared(app, year.saturating_sub(1), year.saturating_add(2)).await
}

/// The agency that handles a step of this dossier.
pub(crate) async fn holder(
    app: &App,
    rule: &AgencyRule,
    row: &store::DossierRow,
) -> Result<String, AppError> {
    let today = app.clock.today();
    let mut conn = app.db.reader().await?;
    match rule {
        AgencyRule::Receiving => Ok(row.agency_code.clone()),
        AgencyRule::Fixed(code) => Ok(code.clone()),
        AgencyRule::Parent => {
            Ok(
                lienthong_store::org::agency_at(&mut conn, &row.agency_code, today)
                    .await?
                    .and_then(|a| a.parent_code)
                    .unwrap_or_else(|| row.agency_code.clone()),
            )
        }
        AgencyRule::ApplicantCommune => {
            let answers: Value = serde_json::from_str(&row.answers).unwrap_or(Value::Null);
            let commune = answers.as_object().and_then(|o| {
                o.values().find_map(|v| {
                    v.get("commune_code")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
            });
            let Some(commune) = commune else {
                return Err(AppError::not_now(
                    "Hồ sơ không có địa chỉ để xác định xã của người nộp.",
                    "The dossier has no address to find the applicant's commune.",
                ));
            };
            lienthong_store::org::agency_serving(&mut conn, &commune, "people_committee", today)
                .await?
                .map(|a| a.code)
                .ok_or_else(|| {
                    AppError::not_now(
                        format!("Không có ủy ban nhân dân phục vụ xã {commune}."),
                        format!("No people's committee serves commune {commune}."),
                    )
                })
        }
    }
}

fn close(state: &mut ProcessingState) {
    state.handling_agency_code = None;
    state.handling_role = None;
    state.attention_at = None;
    state.step_due_at = None;
    state.transfer_origin = None;
}

fn attention(state: &ProcessingState, fallback: i64) -> Option<i64> {
    Some(match (state.step_due_at, state.due_at) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => fallback,
    })
}

async fn step_due(
    app: &App,
    days: Option<f64>,
    now: i64,
    due_at: Option<i64>,
    hours: &OfficeHours,
) -> Result<Option<i64>, AppError> {
    let Some(d) = days else { return Ok(None) };
    let cal = calendar_around(app, now).await?;
    let end = cal
        .due(from_micros(now), d, hours)
        .map(|x| to_micros(x.due));
    Ok(match (end, due_at) {
        (Some(e), Some(due)) => Some(e.min(due)),
        (e, _) => e,
    })
}

/// Computes the dossier after `req`.
pub(crate) async fn plan(
    app: &App,
    s: &Situation,
    req: &ActionRequest,
    checked: &Checked,
    now: i64,
    hours: &OfficeHours,
) -> Result<Change, AppError> {
    let mut state = s.row.state.clone();
    state.workflow_id = Some(s.workflow_id.clone());
    let step = s
        .step()
        .ok_or_else(|| AppError::Internal("dossier at an unknown step".into()))?;
    if state.current_step.is_none() {
        state.current_step = Some(step.id.clone());
    }
    let mut due_date = s.row.due_date.clone();
    let status = match req.action.next(s.status) {
        Some(Transition::To(n)) => n,
        Some(Transition::Same) => s.status,
        Some(Transition::Resume) => state
            .resume_status
            .as_deref()
            .and_then(Status::parse)
            .unwrap_or(Status::Processing),
        None => {
            return Err(AppError::not_now(
                "Thao tác không thực hiện được lúc này.",
                "The action is not possible now.",
            ));
        }
    };
    match req.action {
        DossierAction::Accept => {
            let published = catalog::shared_version(app, &s.row.procedure_version_id).await?;
            let procedure = &published.procedure;
            let due =
                crate::calendar::due(app, from_micros(now), procedure.processing_time.as_days())
                    .await?;
            due_date = Some(due.due_date.to_string());
            state.due_at = Some(to_micros(due.due));
            state.accepted_at = Some(now);
            state.statutory_due_at = state.due_at;
            state.step_due_at = step_due(app, step.days, now, state.due_at, hours).await?;
            state.attention_at = attention(&state, now);
        }
        DossierAction::Refuse | DossierAction::Reject | DossierAction::Withdraw => {
            state.closed_at = Some(now);
            close(&mut state)
        }
        DossierAction::RequestSupplement => {
            state.resume_status = Some(s.status.as_str().to_owned());
            state.paused_at = (s.status != Status::Submitted).then_some(now);
            state.supplement_rounds += 1;
        }
        DossierAction::Supplement => {
            if let Some(paused) = state.paused_at {
                let cal = calendar_around(app, now).await?;
                // The working half-days left at the pause, counted again from the answer; an
                // instant already passed at the pause stays where it was.
                let resume = |instant: Option<i64>| {
                    let at = instant?;
                    let left = cal.halves_between(from_micros(paused), from_micros(at), hours);
                    if left == 0 {
                        return Some((at, None));
                    }
                    cal.due_in_halves(from_micros(now), left, hours)
                        .map(|d| (to_micros(d.due), Some(d.due_date)))
                };
                if let Some((at, day)) = resume(state.due_at) {
                    state.due_at = Some(at);
                    if let Some(day) = day {
                        due_date = Some(day.to_string());
                    }
                }
                state.statutory_due_at = resume(state.statutory_due_at)
                    .map(|(at, _)| at)
                    .or(state.statutory_due_at);
                state.step_due_at = resume(state.step_due_at)
                    .map(|(at, _)| at)
                    .or(state.step_due_at);
            }
            if status == Status::Submitted {
                state.attention_at = Some(now);
            } else {
                state.attention_at = attention(&state, now);
            }
            state.resume_status = None;
            state.paused_at = None;
        }
        DossierAction::Forward | DossierAction::Approve => {
            let next = step
                .next
                .as_deref()
                .and_then(|n| s.wf.step(n))
                .ok_or_else(|| {
                    AppError::not_now(
                        "Bước này không có bước tiếp theo.",
                        "This step has no next step.",
                    )
                })?;
            state.handling_agency_code = Some(holder(app, &next.agency, &s.row).await?);
            state.handling_role = Some(next.role.as_str().to_owned());
            state.current_step = Some(next.id.clone());
            if req.action == DossierAction::Approve {
                state.resolved_at = Some(now);
                state.step_due_at = None;
                state.attention_at = Some(now);
            } else {
                state.step_due_at = step_due(app, next.days, now, state.due_at, hours).await?;
                state.attention_at = attention(&state, now);
            }
        }
        DossierAction::SendBack => {
            if let Some(origin) = state.transfer_origin.take() {
                state.handling_agency_code = Some(origin);
                state.handling_role = Some(step.role.as_str().to_owned());
            } else {
                let prev = s.wf_previous().ok_or_else(|| {
                    AppError::not_now("Đây là bước đầu tiên.", "This is the first step.")
                })?;
                state.handling_agency_code = Some(holder(app, &prev.agency, &s.row).await?);
                state.handling_role = Some(prev.role.as_str().to_owned());
                state.current_step = Some(prev.id.clone());
            }
            state.step_due_at = None;
            state.attention_at = attention(&state, now);
        }
        DossierAction::Transfer => {
            state.transfer_origin = state.handling_agency_code.clone();
            state.handling_agency_code = checked.transfer_to.clone();
            state.step_due_at = step_due(app, req.working_days, now, state.due_at, hours).await?;
            state.attention_at = attention(&state, now);
        }
        DossierAction::Apologize => {
            if let Some(d) = checked.new_due {
                due_date = Some(d.to_string());
                state.due_at = end_of_day(d, hours);
            }
            state.apologized_at = Some(now);
            state.attention_at = attention(&state, now);
        }
        DossierAction::ReturnResult => {
            state.return_channel = checked.channel.clone();
            state.tracking_number = checked.tracking_number.clone();
            state.returned_at = Some(now);
            close(&mut state);
        }
        DossierAction::Rate => {
            state.rating = checked.rating;
            state.rating_comment = checked.comment.clone();
            state.rated_at = Some(now);
        }
    }
    Ok(Change {
        status,
        due_date,
        state,
    })
}

fn end_of_day(d: Date, hours: &OfficeHours) -> Option<i64> {
    d.to_datetime(hours.afternoon_end)
        .to_zoned(business_tz())
        .ok()
        .map(|z| to_micros(z.timestamp()))
}

/// The answers after a supplement: only the requested fields may change, only the requested
/// slots may receive files, and the whole form must still be valid.
pub(crate) async fn supplemented_answers(
    app: &App,
    s: &Situation,
    req: &ActionRequest,
    procedure: &Procedure,
    errors: &mut Vec<FieldError>,
) -> Result<Map<String, Value>, AppError> {
    let open = {
        let mut conn = app.db.reader().await?;
        pstore::supplements(&mut conn, &s.row.id).await?
    }
    .into_iter()
    .rfind(|r| r.answered_at.is_none());
    let targets: Vec<String> = open
        .as_ref()
        .and_then(|r| serde_json::from_str::<Vec<super::SupplementItem>>(&r.items).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.target)
        .collect();
    let mut answers: Map<String, Value> = serde_json::from_str(&s.row.answers).unwrap_or_default();
    for (k, v) in &req.answers {
        if targets.contains(k) {
            answers.insert(k.clone(), v.clone());
        } else {
            errors.push(FieldError {
                field: k.clone(),
                vi: "Trường này không nằm trong yêu cầu bổ sung.".into(),
                en: "This field was not asked for.".into(),
            });
        }
    }
    for f in &req.files {
        match procedure.form.documents.iter().find(|d| d.slot == f.slot) {
            Some(slot) if targets.contains(&f.slot) => {
                if let Err(e) = crate::dossiers::check_file(slot, f) {
                    errors.push(e);
                }
            }
            _ => errors.push(FieldError {
                field: f.slot.clone(),
                vi: "Thành phần này không nằm trong yêu cầu bổ sung.".into(),
                en: "This document was not asked for.".into(),
            }),
        }
    }
    let asked_slots: Vec<&String> = targets
        .iter()
        .filter(|t| procedure.form.documents.iter().any(|d| &d.slot == *t))
        .collect();
    if req.answers.is_empty() && req.files.is_empty() {
        errors.push(FieldError::new(
            "answers",
            "Chưa có nội dung bổ sung nào.",
            "Nothing was supplied.",
        ));
    }
    for slot in asked_slots {
        if !req.files.iter().any(|f| &f.slot == slot) {
            errors.push(FieldError {
                field: slot.clone(),
                vi: "Cần đính kèm lại thành phần này.".into(),
                en: "Attach this document again.".into(),
            });
        }
    }
    match crate::dossiers::validate_answers(app, &procedure.form, &answers).await {
        Ok(a) => Ok(a),
        Err(AppError::Validation(e)) => {
            errors.extend(e);
            Ok(answers)
        }
        Err(e) => Err(e),
    }
}

/// Writes what an action adds beside the dossier row: supplement rounds, supplied answers
/// and files.
pub(crate) async fn write_extras<'c>(
    conn: impl Into<Exec<'c>>,
    s: &Situation,
    req: &ActionRequest,
    checked: &Checked,
    change: &Change,
    principal: &Principal,
    now: i64,
) -> Result<(), AppError> {
    let conn: &mut Exec<'_> = &mut conn.into();
    match req.action {
        DossierAction::RequestSupplement => {
            let items: Vec<&super::SupplementItem> = checked.items.iter().map(|(i, _)| i).collect();
            pstore::insert_supplement(
                &mut *conn,
                &s.row.id,
                &SupplementRow {
                    round: change.state.supplement_rounds,
                    stage: if s.status == Status::Submitted {
                        "reception"
                    } else {
                        "processing"
                    }
                    .into(),
                    items: serde_json::to_string(&items)
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                    requested_at: now,
                    requested_by: principal.account_id.clone(),
                    answered_at: None,
                },
            )
            .await?;
        }
        DossierAction::Supplement => {
            pstore::answer_supplement(&mut *conn, &s.row.id, now).await?;
            if let Some(a) = &checked.answers {
                pstore::set_answers(&mut *conn, &s.row.id, &Value::Object(a.clone()).to_string())
                    .await?;
            }
            let mut slots: Vec<&str> = req.files.iter().map(|f| f.slot.as_str()).collect();
            slots.dedup();
            for slot in slots {
                pstore::clear_slot(&mut *conn, &s.row.id, slot).await?;
            }
            let mut positions: std::collections::HashMap<&str, i64> =
                std::collections::HashMap::new();
            for f in &req.files {
                let media = f
                    .blob
                    .sniffed
                    .map_or("application/octet-stream", |x| x.media_type());
                let size = i64::try_from(f.blob.size).unwrap_or(i64::MAX);
                store::insert_blob(&mut *conn, &f.blob.sha256, size, media, now).await?;
                let pos = positions.entry(f.slot.as_str()).or_insert(0);
                *pos += 1;
                store::insert_file(
                    &mut *conn,
                    &s.row.id,
                    &DossierFile {
                        slot: f.slot.clone(),
                        position: *pos,
                        sha256: f.blob.sha256.clone(),
                        file_name: f.file_name.clone(),
                        media_type: media.to_owned(),
                        size,
                    },
                )
                .await?;
            }
        }
        _ => {}
    }
    Ok(())
}
