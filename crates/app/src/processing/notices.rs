//! The documents actions issue, as PDFs in the TT 01/2018/TT-VPCP layouts: Mẫu 02 (request
//! to supplement), Mẫu 03 (refusal), Mẫu 04 (apology and new date), the written answer when a
//! leader does not grant, and the result of an approval (generated, or the uploaded PDF).
//!
//! An action only decides what each document says ([`prepare`]); laying it out and signing it
//! happen after the action commits ([`super::issuer`]).

use lienthong_documents::{Block, Notice};
use lienthong_domain::{
    clock::{business_tz, from_micros},
    workflow::DossierAction,
};
use lienthong_store::document_jobs::DocumentJob;

use super::{
    ActionRequest, Situation,
    issuer::{Source, Spec},
    plan::Change,
};
use crate::{App, AppError, authz::Principal, catalog};

/// `dd/mm/yyyy` of a date string `YYYY-MM-DD`.
pub fn vn_date(d: &str) -> String {
    let mut it = d.split('-');
    match (it.next(), it.next(), it.next()) {
        (Some(y), Some(m), Some(day)) => format!("{day}/{m}/{y}"),
        _ => d.to_owned(),
    }
}

/// Heading fields shared by every notice about a dossier.
pub(crate) async fn heading(app: &App, s: &Situation, title: &str) -> Result<Notice, AppError> {
    let (parent, place) = crate::dossiers::letterhead(app, &s.row).await?;
    let agency_name = agency_name(app, s).await?;
    let today = app.clock.now().to_zoned(business_tz()).date();
    Ok(Notice {
        parent_agency_name: parent,
        agency_name,
        unit: Some("Bộ phận tiếp nhận và trả kết quả".into()),
        reference: format!("Mã hồ sơ: {}", s.row.code),
        place,
        issued: (today.day(), today.month(), today.year()),
        title: title.to_owned(),
        subtitle: None,
        body: Vec::new(),
        signer: None,
        qr_url: None,
        digital: None,
        landscape: false,
        pdf_title: format!("{} — {}", title, s.row.code),
    })
}

fn received_text(us: i64) -> String {
    from_micros(us)
        .to_zoned(business_tz())
        .strftime("%H giờ %M phút, ngày %d/%m/%Y")
        .to_string()
}

/// What each document `req` issues will say and who signs it, as jobs to write in the action's
/// transaction.
pub(crate) async fn prepare(
    app: &App,
    s: &Situation,
    req: &ActionRequest,
    change: &Change,
    principal: &Principal,
    checked: &super::fields::Checked,
) -> Result<Vec<DocumentJob>, AppError> {
    let published = catalog::shared_version(app, &s.row.procedure_version_id).await?;
    let procedure = &published.procedure;
    let greeting = Block::bold(format!("Kính gửi: Ông/Bà {}", s.row.applicant_name));
    let about = Block::para(format!(
        "Hồ sơ đề nghị giải quyết thủ tục \"{}\", mã hồ sơ {}, nộp lúc {}.",
        procedure.name,
        s.row.code,
        received_text(s.row.received_at)
    ));
    let signer = Some(("Người lập phiếu".to_owned(), principal.full_name.clone()));
    let doc_id = uuid::Uuid::now_v7().to_string();
    let (kind, notice) = match req.action {
        DossierAction::RequestSupplement => {
            let mut n = heading(app, s, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ").await?;
            n.subtitle = Some(format!("(Lần {})", change.state.supplement_rounds));
            n.body = vec![
                greeting,
                about,
                Block::para(
                    "Sau khi xem xét, đề nghị Ông/Bà bổ sung, hoàn thiện các nội dung sau:",
                ),
                Block::Table {
                    headers: vec!["STT".into(), "Nội dung cần bổ sung".into(), "Lý do".into()],
                    widths: vec![1.0, 5.0, 6.0],
                    rows: checked
                        .items
                        .iter()
                        .enumerate()
                        .map(|(i, (item, label))| {
                            vec![(i + 1).to_string(), label.clone(), item.reason.clone()]
                        })
                        .collect(),
                },
                Block::para(
                    "Ông/Bà bổ sung trực tuyến tại Cổng dịch vụ công (mục Hồ sơ của tôi) hoặc tại Bộ phận tiếp nhận và trả kết quả. \
                     Thời gian chờ bổ sung không tính vào thời hạn giải quyết.",
                ),
                Block::para("Xin trân trọng cảm ơn."),
            ];
            n.signer = signer;
            ("supplement_request", n)
        }
        DossierAction::Refuse => {
            let mut n = heading(app, s, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ").await?;
            n.body = vec![
                greeting,
                about,
                Block::para(
                    "Cơ quan, đơn vị không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
                ),
                Block::item(checked.note.clone().unwrap_or_default()),
                Block::para("Xin thông báo để Ông/Bà được biết và thực hiện."),
            ];
            n.signer = signer;
            ("refusal", n)
        }
        DossierAction::Apologize => {
            let mut n = heading(app, s, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ").await?;
            let old = s.row.due_date.as_deref().map(vn_date).unwrap_or_default();
            let new = change.due_date.as_deref().map(vn_date).unwrap_or_default();
            n.body = vec![
                greeting,
                about,
                Block::para(format!(
                    "Theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả, ngày trả kết quả là ngày {old}."
                )),
                Block::para(
                    "Tuy nhiên đến nay cơ quan, đơn vị chưa trả kết quả giải quyết hồ sơ của Ông/Bà do:",
                ),
                Block::item(checked.note.clone().unwrap_or_default()),
                Block::para(format!(
                    "Cơ quan, đơn vị xin lỗi Ông/Bà vì sự chậm trễ này và hẹn lại ngày trả kết quả là ngày {new}."
                )),
                Block::para("Xin trân trọng cảm ơn sự hợp tác của Ông/Bà."),
            ];
            n.signer = Some((
                "Thủ trưởng cơ quan, đơn vị".into(),
                principal.full_name.clone(),
            ));
            ("apology", n)
        }
        DossierAction::Reject => {
            let mut n = heading(app, s, "THÔNG BÁO VỀ VIỆC KHÔNG GIẢI QUYẾT HỒ SƠ").await?;
            n.unit = None;
            n.body = vec![
                greeting,
                about,
                Block::para("Sau khi xem xét, cơ quan không giải quyết hồ sơ với lý do:"),
                Block::item(checked.note.clone().unwrap_or_default()),
            ];
            n.signer = Some(("Lãnh đạo".into(), principal.full_name.clone()));
            ("rejection", n)
        }
        DossierAction::Approve => {
            if let Some(f) = &req.result_file {
                // An uploaded result is signed and sealed invisibly: its layout is not ours.
                let (_, place) = crate::dossiers::letterhead(app, &s.row).await?;
                let spec = Spec {
                    code: s.row.code.clone(),
                    agency_code: s.row.agency_code.clone(),
                    agency_name: agency_name(app, s).await?,
                    place,
                    official: Some((principal.account_id.clone(), principal.full_name.clone())),
                    source: Source::Uploaded {
                        sha256: f.blob.sha256.clone(),
                    },
                };
                let mut j = job(app, s, principal, &doc_id, "result", &spec)?;
                j.file_name = format!("ket-qua-{}.pdf", s.row.code);
                return Ok(vec![j]);
            }
            let mut n = heading(app, s, &procedure.result.name.to_uppercase()).await?;
            n.unit = None;
            n.reference = format!("Số: {}/KQ", s.row.code);
            let answers: serde_json::Value =
                serde_json::from_str(&s.row.answers).unwrap_or_default();
            let mut rows = Vec::new();
            for f in &procedure.form.fields {
                if let Some(v) = answers.get(&f.name) {
                    let text = match v {
                        serde_json::Value::String(t) => t.clone(),
                        serde_json::Value::Object(o) => o
                            .get("detail")
                            .and_then(|d| d.as_str())
                            .unwrap_or_default()
                            .to_owned(),
                        other => other.to_string(),
                    };
                    rows.push(vec![f.label.clone(), text]);
                }
            }
            n.body = vec![
                Block::para(format!(
                    "Căn cứ hồ sơ mã {} của Ông/Bà {};",
                    s.row.code, s.row.applicant_name
                )),
                Block::para(format!("Căn cứ {};", procedure.legal_basis.join("; "))),
                Block::bold(format!(
                    "Chấp thuận: {} cho Ông/Bà {}.",
                    procedure.name, s.row.applicant_name
                )),
                Block::Table {
                    headers: vec!["Thông tin".into(), "Nội dung".into()],
                    widths: vec![4.0, 7.0],
                    rows,
                },
                Block::para(checked.note.clone().unwrap_or_default()),
            ];
            n.signer = Some(("Lãnh đạo".into(), principal.full_name.clone()));
            n.digital = Some(lienthong_documents::Digital {
                signed_at: app
                    .clock
                    .now()
                    .to_zoned(business_tz())
                    .strftime("%d/%m/%Y %H:%M:%S %:z")
                    .to_string(),
                seal: n.agency_name.clone(),
            });
            n.qr_url = app.pki.verification_url(&doc_id);
            ("result", n)
        }
        _ => return Ok(Vec::new()),
    };
    let official =
        (kind == "result").then(|| (principal.account_id.clone(), principal.full_name.clone()));
    let spec = Spec {
        code: s.row.code.clone(),
        agency_code: s.row.agency_code.clone(),
        agency_name: notice.agency_name.clone(),
        place: notice.place.clone(),
        official,
        source: Source::Layout {
            notice: Box::new(notice),
        },
    };
    Ok(vec![job(app, s, principal, &doc_id, kind, &spec)?])
}

async fn agency_name(app: &App, s: &Situation) -> Result<String, AppError> {
    let mut conn = app.db.reader().await?;
    Ok(
        lienthong_store::org::agency_by_id(&mut conn, &s.row.agency_version_id)
            .await?
            .map_or_else(|| s.row.agency_code.clone(), |a| a.name),
    )
}

fn job(
    app: &App,
    s: &Situation,
    principal: &Principal,
    id: &str,
    kind: &str,
    spec: &Spec,
) -> Result<DocumentJob, AppError> {
    let now = app.now_us();
    Ok(DocumentJob {
        id: id.to_owned(),
        dossier_id: s.row.id.clone(),
        kind: kind.to_owned(),
        file_name: format!("{}-{}.pdf", kind.replace('_', "-"), s.row.code),
        spec: serde_json::to_string(spec).map_err(|e| AppError::Internal(e.to_string()))?,
        created_at: now,
        created_by: principal.account_id.clone(),
        attempts: 0,
        next_at: now,
        last_error: None,
    })
}
