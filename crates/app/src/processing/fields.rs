//! Checking the fields each action carries; every problem is reported in Vietnamese and
//! English with the field it concerns.

use jiff::civil::Date;
use lienthong_domain::{text::nfc, workflow::DossierAction};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ActionRequest, Situation};
use crate::{App, AppError, FieldError, catalog};

/// One item of a supplement request: a form field name or document slot, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementItem {
    /// Field name or document slot.
    pub target: String,
    /// What is wrong or missing.
    pub reason: String,
}

/// The checked, normalised fields of a request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Checked {
    pub note: Option<String>,
    pub items: Vec<(SupplementItem, String)>,
    pub transfer_to: Option<String>,
    pub new_due: Option<Date>,
    pub channel: Option<String>,
    pub tracking_number: Option<String>,
    pub rating: Option<i64>,
    pub comment: Option<String>,
    /// Answers after a supplement, validated as a whole.
    pub answers: Option<Map<String, Value>>,
}

fn clean(s: Option<&str>) -> Option<String> {
    s.map(|x| nfc(x.trim())).filter(|x| !x.is_empty())
}

fn bad(field: &str, vi: &str, en: &str) -> FieldError {
    FieldError::new(field, vi, en)
}

fn too_long(s: &Option<String>, max: usize) -> bool {
    s.as_ref().is_some_and(|x| x.chars().count() > max)
}

/// Checks the fields of `req` for the dossier in `s`.
pub(crate) async fn check(
    app: &App,
    s: &Situation,
    req: &ActionRequest,
) -> Result<Checked, AppError> {
    let mut errors = Vec::new();
    let mut out = Checked {
        note: clean(req.note.as_deref()),
        ..Checked::default()
    };
    if too_long(&out.note, 2000) {
        errors.push(bad(
            "note",
            "Ghi chú tối đa 2.000 ký tự.",
            "The note has at most 2,000 characters.",
        ));
    }
    if req.action.needs_reason() && out.note.is_none() {
        errors.push(bad("note", "Cần nêu rõ lý do.", "A reason is required."));
    }
    let published = catalog::shared_version(app, &s.row.procedure_version_id).await?;
    let procedure = &published.procedure;
    match req.action {
        DossierAction::RequestSupplement => {
            if req.items.is_empty() || req.items.len() > 50 {
                errors.push(bad(
                    "items",
                    "Cần nêu từ 1 đến 50 nội dung phải bổ sung.",
                    "List 1 to 50 items to supplement.",
                ));
            }
            for (i, item) in req.items.iter().enumerate() {
                let label = procedure
                    .form
                    .fields
                    .iter()
                    .find(|f| f.name == item.target)
                    .map(|f| f.label.clone())
                    .or_else(|| {
                        procedure
                            .form
                            .documents
                            .iter()
                            .find(|d| d.slot == item.target)
                            .map(|d| d.name.clone())
                    });
                let reason = nfc(item.reason.trim());
                match label {
                    None => errors.push(FieldError {
                        field: format!("items[{i}].target"),
                        vi: format!(
                            "\"{}\" không phải trường hoặc thành phần của hồ sơ này.",
                            item.target
                        ),
                        en: format!(
                            "\"{}\" is not a field or document of this dossier.",
                            item.target
                        ),
                    }),
                    Some(_) if reason.is_empty() || reason.chars().count() > 500 => {
                        errors.push(FieldError {
                            field: format!("items[{i}].reason"),
                            vi: "Mỗi nội dung cần lý do (tối đa 500 ký tự).".into(),
                            en: "Each item needs a reason (at most 500 characters).".into(),
                        })
                    }
                    Some(l) => out.items.push((
                        SupplementItem {
                            target: item.target.clone(),
                            reason,
                        },
                        l,
                    )),
                }
            }
        }
        DossierAction::Supplement => {
            out.answers =
                Some(super::plan::supplemented_answers(app, s, req, procedure, &mut errors).await?);
        }
        DossierAction::Transfer => {
            let code = clean(req.agency_code.as_deref());
            match code {
                None => errors.push(bad(
                    "agency_code",
                    "Cần chọn cơ quan nhận hồ sơ chuyển.",
                    "Choose the agency to transfer to.",
                )),
                Some(c) if Some(&c) == s.row.state.handling_agency_code.as_ref() => {
                    errors.push(bad(
                        "agency_code",
                        "Hồ sơ đang ở chính cơ quan này.",
                        "The dossier is already at this agency.",
                    ))
                }
                Some(c) => {
                    let exists = {
                        let mut conn = app.db.reader().await?;
                        lienthong_store::org::agency_at(&mut conn, &c, app.clock.today())
                            .await?
                            .is_some()
                    };
                    if exists {
                        out.transfer_to = Some(c);
                    } else {
                        errors.push(bad(
                            "agency_code",
                            "Không có cơ quan với mã này.",
                            "No agency has this code.",
                        ));
                    }
                }
            }
            if let Some(d) = req.working_days
                && !(d > 0.0 && d <= 365.0 && (d * 2.0).fract() == 0.0)
            {
                errors.push(bad(
                    "working_days",
                    "Thời hạn từ 0,5 đến 365 ngày làm việc, theo nửa ngày.",
                    "0.5 to 365 working days, in halves.",
                ));
            }
        }
        DossierAction::Apologize => {
            let reason = clean(req.reason.as_deref()).or_else(|| out.note.clone());
            if reason.is_none() || too_long(&reason, 2000) {
                errors.push(bad(
                    "reason",
                    "Cần nêu lý do chậm trễ (tối đa 2.000 ký tự).",
                    "Give the reason for the delay (at most 2,000 characters).",
                ));
            }
            out.note = reason;
            let current = s
                .row
                .due_date
                .as_deref()
                .and_then(|d| d.parse::<Date>().ok());
            match req.new_due_date.as_deref().map(str::parse::<Date>) {
                Some(Ok(d)) => {
                    let cal =
                        crate::calendar::shared(app, d.year().saturating_sub(1), d.year()).await?;
                    let latest = app
                        .clock
                        .today()
                        .saturating_add(jiff::Span::new().days(366));
                    if current.is_some_and(|c| d <= c) {
                        errors.push(bad(
                            "new_due_date",
                            "Ngày hẹn mới phải sau ngày hẹn hiện tại.",
                            "The new date must be after the current due date.",
                        ));
                    } else if d > latest || !cal.is_working_day(d) {
                        errors.push(bad(
                            "new_due_date",
                            "Ngày hẹn mới phải là ngày làm việc trong vòng một năm.",
                            "The new date must be a working day within a year.",
                        ));
                    } else {
                        out.new_due = Some(d);
                    }
                }
                _ => errors.push(bad(
                    "new_due_date",
                    "Ngày hẹn mới có dạng NNNN-TT-NN.",
                    "The new date has the form YYYY-MM-DD.",
                )),
            }
        }
        DossierAction::ReturnResult => {
            match req.channel.as_deref() {
                Some(c @ ("desk" | "online" | "post")) => out.channel = Some(c.to_owned()),
                _ => errors.push(bad(
                    "channel",
                    "Hình thức trả: tại quầy (desk), trực tuyến (online) hoặc bưu chính (post).",
                    "Channel: desk, online or post.",
                )),
            }
            let tn = clean(req.tracking_number.as_deref());
            if out.channel.as_deref() == Some("post") {
                match &tn {
                    Some(t)
                        if t.len() <= 40
                            && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
                    {
                        out.tracking_number = tn.clone();
                    }
                    _ => errors.push(bad(
                        "tracking_number",
                        "Trả qua bưu chính cần mã bưu gửi (chữ, số, '-', tối đa 40).",
                        "Return by post needs the postal tracking number (letters, digits, '-', at most 40).",
                    )),
                }
            }
            if out.channel.as_deref() == Some("online") && s.row.state.result_sha256.is_none() {
                errors.push(bad(
                    "channel",
                    "Chưa có kết quả điện tử để trả trực tuyến (kết quả vừa phê duyệt cần ít giây để ký số).",
                    "There is no electronic result to return online (a result just approved takes a few seconds to sign).",
                ));
            }
        }
        DossierAction::Rate => {
            match req.rating {
                Some(r @ 1..=3) => out.rating = Some(r),
                _ => errors.push(bad(
                    "rating",
                    "Mức đánh giá: 1 (không hài lòng), 2 (hài lòng) hoặc 3 (rất hài lòng).",
                    "Rating: 1 (unsatisfied), 2 (satisfied) or 3 (very satisfied).",
                )),
            }
            out.comment = clean(req.comment.as_deref());
            if too_long(&out.comment, 1000) {
                errors.push(bad(
                    "comment",
                    "Ý kiến tối đa 1.000 ký tự.",
                    "The comment has at most 1,000 characters.",
                ));
            }
        }
        DossierAction::Approve => {
            if let Some(f) = &req.result_file
                && f.blob.sniffed != Some(lienthong_domain::dossier::Sniffed::Pdf)
            {
                errors.push(bad(
                    "result",
                    "Kết quả tải lên phải là tệp PDF.",
                    "An uploaded result must be a PDF.",
                ));
            }
        }
        _ => {}
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::Validation(errors))
    }
}
