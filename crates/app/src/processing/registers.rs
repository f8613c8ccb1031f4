//! The control sheet that travels with a dossier (Mẫu 05), the one-stop desk register
//! (Mẫu 06) as PDF and XLSX, and downloads of issued documents.

use jiff::civil::Date;
use lienthong_documents::{Block, notice_pdf};
use lienthong_domain::{
    clock::{business_tz, from_micros, to_micros},
    dossier::{Channel, Status},
};
use lienthong_store::processing as pstore;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use super::{Situation, notices};
use crate::{
    App, AppError, FieldError,
    authz::{Action, Caller, authorize},
    dossiers,
    org::agency_scope,
};

fn when(us: i64) -> String {
    from_micros(us)
        .to_zoned(business_tz())
        .strftime("%H:%M %d/%m/%Y")
        .to_string()
}

/// A document issued for the dossier (`id`, or the kind `result` for the latest result), for
/// those who may read the dossier: (file name, PDF bytes).
pub async fn document(
    app: &App,
    caller: &Caller,
    code: &str,
    id_or_kind: &str,
) -> Result<(String, Vec<u8>), AppError> {
    let v = dossiers::get(app, caller, code).await?;
    let Some(doc) = v
        .documents
        .iter()
        .rev()
        .find(|d| d.id == id_or_kind || d.kind == id_or_kind)
    else {
        let waiting = {
            let mut conn = app.db.reader().await?;
            lienthong_store::document_jobs::waiting(&mut conn, &v.row.id).await?
        };
        if waiting
            .iter()
            .any(|(id, kind)| id == id_or_kind || kind == id_or_kind)
        {
            return Err(AppError::not_now(
                "Văn bản đang được ký số và phát hành; hãy thử lại sau ít giây.",
                "The document is being signed and issued; try again in a few seconds.",
            ));
        }
        return Err(AppError::NotFound(format!("{code}/{id_or_kind}")));
    };
    Ok((doc.file_name.clone(), app.blobs.read(&doc.sha256).await?))
}

/// Mẫu 05 — Phiếu kiểm soát quá trình giải quyết hồ sơ: one line per hand-over, with the
/// agency, the step, the time and whether it was on time.
pub async fn control_sheet_pdf(
    app: &App,
    caller: &Caller,
    code: &str,
) -> Result<Vec<u8>, AppError> {
    let v = dossiers::get(app, caller, code).await?;
    let s = Situation::load(app, v.row.clone()).await?;
    let mut n = notices::heading(app, &s, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ").await?;
    let agency_names = {
        let mut conn = app.db.read().await?;
        let mut names = std::collections::HashMap::new();
        for leg in &v.legs {
            if !names.contains_key(&leg.agency_code) {
                let name =
                    lienthong_store::org::agency_at(&mut conn, &leg.agency_code, app.clock.today())
                        .await?
                        .map_or_else(|| leg.agency_code.clone(), |a| a.name);
                names.insert(leg.agency_code.clone(), name);
            }
        }
        names
    };
    let step_name = |id: &str| {
        s.wf.step(id)
            .map_or_else(|| id.to_owned(), |st| st.name.clone())
    };
    let rows = v
        .legs
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let result = match (l.ended_at, l.due_at) {
                (Some(end), Some(due)) if end > due => "Quá hạn",
                (Some(_), _) => "Đúng hạn",
                (None, Some(due)) if app.now_us() > due => "Đang quá hạn",
                (None, _) => "Đang xử lý",
            };
            vec![
                (i + 1).to_string(),
                agency_names
                    .get(&l.agency_code)
                    .cloned()
                    .unwrap_or_default(),
                step_name(&l.step),
                when(l.started_at),
                l.due_at.map(when).unwrap_or_else(|| "—".into()),
                l.ended_at.map(when).unwrap_or_else(|| "—".into()),
                result.to_owned(),
            ]
        })
        .collect();
    n.body = vec![
        Block::para(format!("Tên thủ tục: {}", v.procedure_name)),
        Block::para(format!("Người nộp: {}", v.row.applicant_name)),
        Block::para(format!(
            "Thời gian nhận hồ sơ: {}; hẹn trả kết quả: {}",
            when(v.row.received_at),
            v.row
                .due_date
                .as_deref()
                .map(notices::vn_date)
                .unwrap_or_else(|| "chưa xác định".into())
        )),
        Block::Table {
            headers: [
                "STT",
                "Cơ quan",
                "Bước",
                "Nhận lúc",
                "Hạn",
                "Giao lúc",
                "Kết quả",
            ]
            .map(str::to_owned)
            .to_vec(),
            widths: vec![0.6, 3.2, 2.2, 1.8, 1.8, 1.8, 1.4],
            rows,
        },
    ];
    n.pdf_title = format!("Phiếu kiểm soát quá trình giải quyết hồ sơ {code}");
    notice_pdf(&n).map_err(|e| AppError::Internal(e.to_string()))
}

/// One line of the desk register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRow {
    /// Dossier code.
    pub code: String,
    /// Procedure code.
    pub procedure_code: String,
    /// Applicant.
    pub applicant_name: String,
    /// Applicant phone.
    pub phone: String,
    /// Received (local time).
    pub received: String,
    /// Channel in Vietnamese.
    pub channel: String,
    /// Due date.
    pub due_date: String,
    /// Current status in Vietnamese.
    pub status: String,
    /// When the result was returned.
    pub returned: String,
}

/// The register header, in the order of the columns.
pub const REGISTER_HEADERS: [&str; 10] = [
    "STT",
    "Mã hồ sơ",
    "Mã thủ tục",
    "Tên tổ chức, cá nhân",
    "Số điện thoại",
    "Ngày, giờ nhận",
    "Hình thức nhận",
    "Ngày hẹn trả",
    "Tình trạng",
    "Ngày trả kết quả",
];

/// Mẫu 06 — the desk register of `agency` for receipts from `from` to `to` (both inclusive).
/// Officials of the agency (or above) who read dossiers.
pub async fn desk_register(
    app: &App,
    caller: &Caller,
    agency: &str,
    from: Date,
    to: Date,
) -> Result<Vec<RegisterRow>, AppError> {
    let scope = agency_scope(app, agency).await?;
    authorize(caller, Action::ReadDossiers, Some(&scope))?;
    if to < from || from.until(to).map_or(true, |s| s.get_days() > 366) {
        return Err(AppError::Validation(vec![FieldError::new(
            "to",
            "Khoảng thời gian không hợp lệ (từ ngày đến ngày, tối đa một năm).",
            "Invalid period (from before to, at most one year).",
        )]));
    }
    let start = from
        .to_zoned(business_tz())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let end = to
        .tomorrow()
        .and_then(|d| d.to_zoned(business_tz()))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let rows = {
        let mut conn = app.db.read().await?;
        pstore::received_between(
            &mut conn,
            agency,
            to_micros(start.timestamp()),
            to_micros(end.timestamp()),
            20_000,
        )
        .await?
    };
    Ok(rows
        .into_iter()
        .map(|r| RegisterRow {
            channel: match Channel::parse(&r.channel) {
                Some(Channel::Online) => "Trực tuyến",
                Some(Channel::Postal) => "Bưu chính",
                _ => "Trực tiếp",
            }
            .to_owned(),
            status: Status::parse(&r.status)
                .map_or_else(|| r.status.clone(), |s| s.label_vi().to_owned()),
            due_date: r
                .due_date
                .as_deref()
                .map(notices::vn_date)
                .unwrap_or_default(),
            returned: r.state.returned_at.map(when).unwrap_or_default(),
            received: when(r.received_at),
            phone: r.applicant_phone.clone().unwrap_or_default(),
            code: r.code,
            procedure_code: r.procedure_code,
            applicant_name: r.applicant_name,
        })
        .collect())
}

fn cells(i: usize, r: &RegisterRow) -> [String; 10] {
    [
        (i + 1).to_string(),
        r.code.clone(),
        r.procedure_code.clone(),
        r.applicant_name.clone(),
        r.phone.clone(),
        r.received.clone(),
        r.channel.clone(),
        r.due_date.clone(),
        r.status.clone(),
        r.returned.clone(),
    ]
}

/// The register as a landscape PDF.
pub fn register_pdf(
    agency_name: &str,
    from: Date,
    to: Date,
    rows: &[RegisterRow],
) -> Result<Vec<u8>, AppError> {
    let today = from;
    let n = lienthong_documents::Notice {
        parent_agency_name: None,
        agency_name: agency_name.to_owned(),
        unit: Some("Bộ phận tiếp nhận và trả kết quả".into()),
        reference: String::new(),
        place: String::new(),
        issued: (today.day(), today.month(), today.year()),
        title: "SỔ THEO DÕI HỒ SƠ".into(),
        subtitle: Some(format!(
            "Từ ngày {} đến ngày {}",
            from.strftime("%d/%m/%Y"),
            to.strftime("%d/%m/%Y")
        )),
        body: vec![Block::Table {
            headers: REGISTER_HEADERS.map(str::to_owned).to_vec(),
            widths: vec![0.5, 2.6, 1.1, 2.0, 1.2, 1.5, 1.1, 1.1, 1.5, 1.5],
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, r)| cells(i, r).to_vec())
                .collect(),
        }],
        signer: None,
        qr_url: None,
        digital: None,
        landscape: true,
        pdf_title: "Sổ theo dõi hồ sơ".into(),
    };
    notice_pdf(&n).map_err(|e| AppError::Internal(e.to_string()))
}

/// The register as XLSX: a merged title row, the period, bold bordered headers, one row per
/// dossier.
pub fn register_xlsx(
    agency_name: &str,
    from: Date,
    to: Date,
    rows: &[RegisterRow],
) -> Result<Vec<u8>, AppError> {
    let x = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("xlsx: {e}"));
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("So theo doi").map_err(x)?;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let centre = Format::new().set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let cell = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    ws.merge_range(0, 0, 0, 9, &agency_name.to_uppercase(), &centre)
        .map_err(x)?;
    ws.merge_range(1, 0, 1, 9, "SỔ THEO DÕI HỒ SƠ", &title)
        .map_err(x)?;
    ws.merge_range(
        2,
        0,
        2,
        9,
        &format!(
            "Từ ngày {} đến ngày {}",
            from.strftime("%d/%m/%Y"),
            to.strftime("%d/%m/%Y")
        ),
        &centre,
    )
    .map_err(x)?;
    for (c, h) in REGISTER_HEADERS.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(0);
        ws.write_string_with_format(4, col, *h, &head).map_err(x)?;
    }
    for (w, c) in [6.0, 28.0, 12.0, 26.0, 14.0, 18.0, 12.0, 12.0, 20.0, 18.0]
        .iter()
        .zip(0u16..)
    {
        ws.set_column_width(c, *w).map_err(x)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = u32::try_from(i + 5).unwrap_or(u32::MAX);
        for (c, v) in cells(i, r).iter().enumerate() {
            ws.write_string_with_format(row, u16::try_from(c).unwrap_or(0), v, &cell)
                .map_err(x)?;
        }
    }
    wb.save_to_buffer().map_err(x)
}
