//! The documents actions issue, as PDFs in the TT 01/2018/TT-VPCP layouts: Mẫu 02 (request
//! to supplement), Mẫu 03 (refusal), Mẫu 04 (apology and new date), the written answer when a
//! leader does not grant, and the result of an approval (generated, or the uploaded PDF).

use lienthong_documents::{Block, Marks, Notice, notice_pdf_marked};
use lienthong_domain::{
    clock::{business_tz, from_micros},
    workflow::DossierAction,
};
use lienthong_store::processing::DocumentRow;

use super::{ActionRequest, Situation, plan::Change};
use crate::{App, AppError, authz::Principal, blobs::StoredBlob, catalog, signatures};

/// A document issued by an action, already in the blob store.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub blob: StoredBlob,
    pub row: DocumentRow,
}

impl Issued {
    pub fn size(&self) -> i64 {
        i64::try_from(self.blob.size).unwrap_or(i64::MAX)
    }
}

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
    let agency_name = {
        let mut conn = app.db.reader().await?;
        lienthong_store::org::agency_by_id(&mut conn, &s.row.agency_version_id)
            .await?
            .map_or_else(|| s.row.agency_code.clone(), |a| a.name)
    };
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

/// Renders and stores the documents `req` issues.
pub(crate) async fn issue(
    app: &App,
    s: &Situation,
    req: &ActionRequest,
    change: &Change,
    principal: &Principal,
    checked: &super::fields::Checked,
) -> Result<Vec<Issued>, AppError> {
    let procedure = catalog::version_by_id(app, &s.row.procedure_version_id)
        .await?
        .procedure;
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
                let original = app.blobs.read(&f.blob.sha256).await?;
                let signed = sign_result(app, s, principal, &original, None).await?;
                let blob = app.blobs.put(&signed).await?;
                return Ok(vec![Issued {
                    row: row(
                        &doc_id,
                        "result",
                        &blob.sha256,
                        &format!("ket-qua-{}.pdf", s.row.code),
                        app,
                        principal,
                    ),
                    blob,
                }]);
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
    // Laying out, subsetting the fonts and compressing take milliseconds of CPU: off the
    // async workers, so that quick requests do not queue behind them.
    let layout = notice.clone();
    let (mut bytes, marks) = tokio::task::spawn_blocking(move || notice_pdf_marked(&layout))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if let Some(m) = marks {
        bytes = sign_result(app, s, principal, &bytes, Some(m)).await?;
    } else {
        // Other notices carry the agency's seal (invisible).
        bytes = signatures::seal_document(
            app,
            &bytes,
            &s.row.agency_code,
            &notice.agency_name,
            &format!("{} — {}", notice.title, s.row.code),
        )
        .await?;
    }
    let blob = app.blobs.put(&bytes).await?;
    let file_name = format!("{}-{}.pdf", kind.replace('_', "-"), s.row.code);
    Ok(vec![Issued {
        row: row(&doc_id, kind, &blob.sha256, &file_name, app, principal),
        blob,
    }])
}

/// Signs a result by the approving official and seals it by the dossier's agency, over the
/// visible blocks when `marks` says where they are.
async fn sign_result(
    app: &App,
    s: &Situation,
    principal: &Principal,
    pdf: &[u8],
    marks: Option<Marks>,
) -> Result<Vec<u8>, AppError> {
    let agency_name = {
        let mut conn = app.db.reader().await?;
        lienthong_store::org::agency_by_id(&mut conn, &s.row.agency_version_id)
            .await?
            .map_or_else(|| s.row.agency_code.clone(), |a| a.name)
    };
    let official = signatures::person(
        app,
        &principal.account_id,
        &principal.full_name,
        &agency_name,
    )
    .await?;
    let seal = signatures::seal(app, &s.row.agency_code, &agency_name).await?;
    let (_, place) = crate::dossiers::letterhead(app, &s.row).await?;
    let at = signatures::Placement {
        page: marks.map_or(0, |m| m.page),
        signer: marks.map(|m| m.signer),
        seal: marks.map(|m| m.seal),
    };
    signatures::sign_and_seal(
        app,
        pdf,
        &official,
        &seal,
        &format!("Phê duyệt kết quả hồ sơ {}", s.row.code),
        &place,
        &at,
    )
    .await
}

fn row(
    id: &str,
    kind: &str,
    sha256: &str,
    file_name: &str,
    app: &App,
    principal: &Principal,
) -> DocumentRow {
    DocumentRow {
        id: id.to_owned(),
        kind: kind.to_owned(),
        sha256: sha256.to_owned(),
        file_name: file_name.to_owned(),
        created_at: app.now_us(),
        created_by: principal.account_id.clone(),
    }
}
