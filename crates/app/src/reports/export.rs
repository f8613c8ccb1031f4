//! Biểu 06 as files: CSV (UTF-8 with BOM for spreadsheet programs), XLSX laid out like the
//! official form (merged group headers, column numbers) and a landscape PDF.

use lienthong_documents::{Block, Notice, notice_pdf};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use super::{Report, ReportRow};
use crate::AppError;

/// Form title.
pub const TITLE: &str = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH";

/// The eleven figure headers (columns 3–13), each with its group.
pub const FIGURE_HEADERS: [(&str, &str); 11] = [
    ("Số hồ sơ nhận giải quyết", "Tổng số"),
    ("Số hồ sơ nhận giải quyết", "Trong kỳ: Trực tuyến"),
    (
        "Số hồ sơ nhận giải quyết",
        "Trong kỳ: Trực tiếp, dịch vụ bưu chính",
    ),
    ("Số hồ sơ nhận giải quyết", "Từ kỳ trước chuyển sang"),
    ("Số hồ sơ đã giải quyết", "Tổng số"),
    ("Số hồ sơ đã giải quyết", "Trước hạn"),
    ("Số hồ sơ đã giải quyết", "Đúng hạn"),
    ("Số hồ sơ đã giải quyết", "Quá hạn"),
    ("Số hồ sơ đang giải quyết", "Tổng số"),
    ("Số hồ sơ đang giải quyết", "Trong hạn"),
    ("Số hồ sơ đang giải quyết", "Quá hạn"),
];

fn period_line(r: &Report) -> String {
    let dmy = |s: &str| {
        s.parse::<jiff::civil::Date>()
            .map(|d| d.strftime("%d/%m/%Y").to_string())
            .unwrap_or_else(|_| s.to_owned())
    };
    format!(
        "Kỳ báo cáo: từ ngày {} đến ngày {}",
        dmy(&r.from),
        dmy(&r.to)
    )
}

fn lines(r: &Report) -> impl Iterator<Item = (String, String, [i64; 11])> + '_ {
    r.rows
        .iter()
        .enumerate()
        .map(|(i, row): (usize, &ReportRow)| {
            ((i + 1).to_string(), row.name.clone(), row.values.columns())
        })
        .chain(std::iter::once((
            String::new(),
            "Tổng cộng".to_owned(),
            r.totals.columns(),
        )))
}

/// CSV: one header line with the form's column names, one line per row, then the totals.
pub fn csv(r: &Report) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let x = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut header = vec![
        "STT".to_owned(),
        r.group_by.heading_vi().to_owned(),
        "Mã".to_owned(),
    ];
    header.extend(FIGURE_HEADERS.iter().map(|(g, c)| format!("{g} - {c}")));
    w.write_record(&header).map_err(x)?;
    let keys: Vec<&str> = r
        .rows
        .iter()
        .map(|x| x.key.as_str())
        .chain(std::iter::once(""))
        .collect();
    for ((n, name, cols), key) in lines(r).zip(keys) {
        let mut rec = vec![n, name, key.to_owned()];
        rec.extend(cols.iter().map(ToString::to_string));
        w.write_record(&rec).map_err(x)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// XLSX laid out like the form: title, period, two header rows with merged groups, the row
/// of column numbers, the rows and the totals.
pub fn xlsx(r: &Report) -> Result<Vec<u8>, AppError> {
    let x = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("xlsx: {e}"));
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Bieu 06").map_err(x)?;
    let centre = Format::new().set_align(FormatAlign::Center);
    let title = centre.clone().set_bold().set_text_wrap();
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let cell = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let num = Format::new().set_border(FormatBorder::Thin);
    let total = num.clone().set_bold();
    ws.merge_range(0, 0, 0, 12, "Biểu số 06/VPCP/KSTT", &centre)
        .map_err(x)?;
    ws.merge_range(1, 0, 1, 12, TITLE, &title).map_err(x)?;
    ws.set_row_height(1, 32).map_err(x)?;
    ws.merge_range(2, 0, 2, 12, &period_line(r), &centre)
        .map_err(x)?;
    ws.merge_range(
        3,
        0,
        3,
        12,
        &format!("Đơn vị báo cáo: {}", r.agency_name),
        &centre,
    )
    .map_err(x)?;
    ws.merge_range(5, 0, 6, 0, "STT", &head).map_err(x)?;
    ws.merge_range(5, 1, 6, 1, r.group_by.heading_vi(), &head)
        .map_err(x)?;
    for (first, last, group) in [
        (2u16, 5u16, "Số hồ sơ nhận giải quyết"),
        (6, 9, "Số hồ sơ đã giải quyết"),
        (10, 12, "Số hồ sơ đang giải quyết"),
    ] {
        ws.merge_range(5, first, 5, last, group, &head).map_err(x)?;
    }
    for (c, (_, name)) in FIGURE_HEADERS.iter().enumerate() {
        let col = u16::try_from(c + 2).unwrap_or(0);
        ws.write_string_with_format(6, col, *name, &head)
            .map_err(x)?;
    }
    ws.set_row_height(6, 45).map_err(x)?;
    for c in 0..13u16 {
        ws.write_number_with_format(7, c, f64::from(c + 1), &head)
            .map_err(x)?;
        ws.set_column_width(c, if c == 1 { 40.0 } else { 11.0 })
            .map_err(x)?;
    }
    for (i, (n, name, cols)) in lines(r).enumerate() {
        let row = u32::try_from(i + 8).unwrap_or(u32::MAX);
        let is_total = n.is_empty();
        ws.write_string_with_format(row, 0, &n, &cell).map_err(x)?;
        ws.write_string_with_format(row, 1, &name, if is_total { &total } else { &cell })
            .map_err(x)?;
        for (c, v) in cols.iter().enumerate() {
            let col = u16::try_from(c + 2).unwrap_or(0);
            #[expect(
                clippy::cast_precision_loss,
                reason = "counts of dossiers stay far below 2^52"
            )]
            let value = *v as f64;
            ws.write_number_with_format(row, col, value, if is_total { &total } else { &num })
                .map_err(x)?;
        }
    }
    wb.save_to_buffer().map_err(x)
}

/// A landscape PDF of the report.
pub fn pdf(r: &Report, issued: jiff::civil::Date) -> Result<Vec<u8>, AppError> {
    let mut headers = vec!["STT".to_owned(), r.group_by.heading_vi().to_owned()];
    headers.extend(FIGURE_HEADERS.iter().map(|(g, c)| {
        let short = match *g {
            "Số hồ sơ nhận giải quyết" => "Nhận",
            "Số hồ sơ đã giải quyết" => "Đã giải quyết",
            _ => "Đang giải quyết",
        };
        format!("{short}: {c}")
    }));
    let mut widths = vec![0.4, 2.6];
    widths.extend([0.75; 11]);
    let n = Notice {
        parent_agency_name: None,
        agency_name: r.agency_name.clone(),
        unit: None,
        reference: String::new(),
        place: String::new(),
        issued: (issued.day(), issued.month(), issued.year()),
        title: "BIỂU SỐ 06/VPCP/KSTT".into(),
        subtitle: Some(format!("{}\n{}", TITLE, period_line(r))),
        body: vec![Block::Table {
            headers,
            widths,
            rows: lines(r)
                .map(|(n, name, cols)| {
                    let mut v = vec![n, name];
                    v.extend(cols.iter().map(ToString::to_string));
                    v
                })
                .collect(),
        }],
        signer: None,
        qr_url: None,
        digital: None,
        landscape: true,
        pdf_title: "Biểu số 06/VPCP/KSTT".into(),
    };
    notice_pdf(&n).map_err(|e| AppError::Internal(e.to_string()))
}
