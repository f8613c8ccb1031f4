//! Mẫu 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả (TT 01/2018/TT-VPCP), with a QR code that
//! opens the tracking page.

use krilla::{Document, metadata::Metadata, page::PageSettings};

use crate::{
    DocumentError,
    layout::{Fonts, centred, qr, rule, text, wrap},
};

/// What the receipt says.
#[derive(Debug, Clone)]
pub struct ReceiptData {
    /// Agency above the receiving one (e.g. the city people's committee), if any.
    pub parent_agency_name: Option<String>,
    /// Receiving agency.
    pub agency_name: String,
    /// Place name in the date line (e.g. `Cần Thơ`).
    pub place: String,
    /// Day of issue, `ngày dd tháng mm năm yyyy` parts.
    pub issued: (i8, i8, i16),
    /// Dossier code.
    pub code: String,
    /// Applicant.
    pub applicant_name: String,
    /// Applicant address, if given.
    pub applicant_address: Option<String>,
    /// Applicant phone.
    pub applicant_phone: Option<String>,
    /// Applicant e-mail.
    pub applicant_email: Option<String>,
    /// Procedure name.
    pub procedure_name: String,
    /// Documents received: (name, number of copies or files).
    pub documents: Vec<(String, i64)>,
    /// Statutory processing time, e.g. `10 ngày làm việc`.
    pub processing_time: String,
    /// Receipt instant, e.g. `10 giờ 05 phút, ngày 20/11/2026`.
    pub received_at: String,
    /// Due instant, or `None` until the dossier is accepted.
    pub due: Option<String>,
    /// How the dossier came in, e.g. `Trực tuyến`.
    pub channel: String,
    /// Where the result is collected.
    pub result_delivery: String,
    /// URL of the tracking page (encoded in the QR code).
    pub tracking_url: String,
}

const W: f32 = 595.28;
const H: f32 = 841.89;
const LEFT: f32 = 56.0;
const RIGHT: f32 = W - 56.0;

/// Renders the receipt as a one- or two-page A4 PDF.
pub fn receipt_pdf(d: &ReceiptData) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts::load()?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!(
                "Giấy tiếp nhận hồ sơ và hẹn trả kết quả {}",
                d.code
            ))
            .language("vi".to_owned())
            .creator("lienthong".to_owned()),
    );
    let settings =
        PageSettings::from_wh(W, H).ok_or_else(|| DocumentError::Pdf("page size".into()))?;
    let mut page = doc.start_page_with(settings.clone());
    let mut s = page.surface();
    let (r, b) = (&fonts.regular, &fonts.bold);
    let left_cx = LEFT + 110.0;
    let right_cx = RIGHT - 130.0;
    let mut y = 60.0;
    if let Some(parent) = &d.parent_agency_name {
        for line in wrap(&parent.to_uppercase(), 9.0, 220.0) {
            centred(&mut s, r, 9.0, left_cx, y, &line);
            y += 12.0;
        }
    }
    for line in wrap(&d.agency_name.to_uppercase(), 9.0, 220.0) {
        centred(&mut s, b, 9.0, left_cx, y, &line);
        y += 12.0;
    }
    centred(
        &mut s,
        b,
        9.0,
        left_cx,
        y,
        "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
    );
    y += 14.0;
    centred(&mut s, r, 9.0, left_cx, y, &format!("Mã hồ sơ: {}", d.code));
    centred(
        &mut s,
        b,
        9.5,
        right_cx,
        60.0,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    );
    centred(
        &mut s,
        b,
        10.0,
        right_cx,
        73.0,
        "Độc lập - Tự do - Hạnh phúc",
    );
    rule(&mut s, right_cx - 70.0, 77.0, 140.0);
    let (day, month, year) = d.issued;
    centred(
        &mut s,
        r,
        9.5,
        right_cx,
        95.0,
        &format!("{}, ngày {day:02} tháng {month:02} năm {year}", d.place),
    );
    y = y.max(110.0) + 24.0;
    centred(
        &mut s,
        b,
        13.0,
        W / 2.0,
        y,
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    );
    y += 26.0;
    let size = 10.5;
    let line_h = 15.0;
    let para = |s: &mut krilla::surface::Surface<'_>,
                y: &mut f32,
                font: &krilla::text::Font,
                content: &str,
                indent: f32| {
        for line in wrap(content, size, RIGHT - LEFT - indent) {
            text(s, font, size, LEFT + indent, *y, &line);
            *y += line_h;
        }
    };
    para(
        &mut s,
        &mut y,
        r,
        &format!(
            "Bộ phận tiếp nhận và trả kết quả {} đã tiếp nhận hồ sơ của:",
            d.agency_name
        ),
        0.0,
    );
    para(
        &mut s,
        &mut y,
        b,
        &format!("Ông/Bà: {}", d.applicant_name),
        0.0,
    );
    if let Some(a) = &d.applicant_address {
        para(&mut s, &mut y, r, &format!("Địa chỉ: {a}"), 0.0);
    }
    let contact = match (&d.applicant_phone, &d.applicant_email) {
        (Some(p), Some(e)) => format!("Số điện thoại: {p}    Thư điện tử: {e}"),
        (Some(p), None) => format!("Số điện thoại: {p}"),
        (None, Some(e)) => format!("Thư điện tử: {e}"),
        (None, None) => String::new(),
    };
    if !contact.is_empty() {
        para(&mut s, &mut y, r, &contact, 0.0);
    }
    para(
        &mut s,
        &mut y,
        r,
        &format!("Nội dung yêu cầu giải quyết: {}", d.procedure_name),
        0.0,
    );
    para(&mut s, &mut y, r, "1. Thành phần hồ sơ nộp gồm:", 0.0);
    for (i, (name, count)) in d.documents.iter().enumerate() {
        para(
            &mut s,
            &mut y,
            r,
            &format!("{}) {name} — số lượng: {count:02}", i + 1),
            14.0,
        );
    }
    para(&mut s, &mut y, r, "2. Số lượng hồ sơ: 01 (bộ)", 0.0);
    para(
        &mut s,
        &mut y,
        r,
        &format!(
            "3. Thời gian giải quyết hồ sơ theo quy định là: {}",
            d.processing_time
        ),
        0.0,
    );
    para(
        &mut s,
        &mut y,
        r,
        &format!("4. Thời gian nhận hồ sơ: {} ({})", d.received_at, d.channel),
        0.0,
    );
    let due = d.due.clone().unwrap_or_else(|| {
        "được xác định khi hồ sơ được tiếp nhận và sẽ được thông báo đến Ông/Bà".to_owned()
    });
    para(
        &mut s,
        &mut y,
        r,
        &format!("5. Thời gian trả kết quả giải quyết hồ sơ: {due}"),
        0.0,
    );
    para(
        &mut s,
        &mut y,
        r,
        &format!("6. Đăng ký nhận kết quả tại: {}", d.result_delivery),
        0.0,
    );
    y += 6.0;
    para(
        &mut s,
        &mut y,
        r,
        &format!(
            "Tra cứu tình trạng hồ sơ: quét mã QR hoặc mở {} và nhập mã hồ sơ cùng 4 số cuối điện thoại.",
            d.tracking_url.split('?').next().unwrap_or_default()
        ),
        0.0,
    );
    y += 8.0;
    if y > H - 200.0 {
        s.finish();
        page.finish();
        page = doc.start_page_with(settings);
        s = page.surface();
        y = 60.0;
    }
    qr(&mut s, &d.tracking_url, LEFT, y, 96.0)?;
    centred(&mut s, b, 10.0, LEFT + 230.0, y + 14.0, "NGƯỜI NỘP HỒ SƠ");
    centred(
        &mut s,
        b,
        10.0,
        RIGHT - 90.0,
        y + 14.0,
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
    );
    centred(
        &mut s,
        r,
        8.5,
        LEFT + 230.0,
        y + 27.0,
        "(Ký và ghi rõ họ tên)",
    );
    centred(
        &mut s,
        r,
        8.5,
        RIGHT - 90.0,
        y + 27.0,
        "(Ký và ghi rõ họ tên)",
    );
    centred(&mut s, r, 10.0, LEFT + 230.0, y + 80.0, &d.applicant_name);
    s.finish();
    page.finish();
    doc.finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(super) fn sample() -> ReceiptData {
        ReceiptData {
            parent_agency_name: Some("Ủy ban nhân dân thành phố Cần Thơ".into()),
            agency_name: "Sở Tư pháp thành phố Cần Thơ".into(),
            place: "Cần Thơ".into(),
            issued: (20, 11, 2026),
            code: "000.00.04.H13-261120-0001".into(),
            applicant_name: "Nguyễn Văn An".into(),
            applicant_address: Some("12 Hòa Bình, Phường Ninh Kiều, Thành phố Cần Thơ".into()),
            applicant_phone: Some("0912345671".into()),
            applicant_email: None,
            procedure_name: "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam".into(),
            documents: vec![("Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp".into(), 1), ("Bản chụp giấy tờ tùy thân".into(), 1)],
            processing_time: "10 ngày làm việc".into(),
            received_at: "10 giờ 00 phút, ngày 20/11/2026".into(),
            due: None,
            channel: "Trực tuyến".into(),
            result_delivery: "Cổng dịch vụ công (bản điện tử)".into(),
            tracking_url: "http://127.0.0.1:8080/track?code=000.00.04.H13-261120-0001".into(),
        }
    }

    #[test]
    fn renders_a_pdf() {
        let bytes = receipt_pdf(&sample()).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.len() > 5_000);
    }

    #[test]
    fn wraps_long_lines_at_word_boundaries() {
        let lines = wrap(
            "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam",
            10.0,
            200.0,
        );
        assert!(lines.len() > 1);
        assert_eq!(
            lines.join(" "),
            "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam"
        );
    }
}

#[cfg(test)]
mod extraction {
    use super::tests::sample;

    /// The text a reader (or screen reader) gets out of the PDF keeps every diacritic.
    #[test]
    fn vietnamese_text_extracts_exactly() {
        let Ok(status) = std::process::Command::new("pdftotext").arg("-v").output() else {
            assert!(
                std::env::var("CI").is_err(),
                "CI must have poppler-utils (pdftotext)"
            );
            eprintln!("SKIPPED: pdftotext (poppler-utils) is not installed");
            return;
        };
        let _ = status;
        let dir = std::env::temp_dir().join(format!("lt-receipt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pdf = dir.join("receipt.pdf");
        std::fs::write(&pdf, super::receipt_pdf(&sample()).unwrap()).unwrap();
        let out = std::process::Command::new("pdftotext")
            .arg("-layout")
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for expected in [
            "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Nguyễn Văn An",
            "000.00.04.H13-261120-0001",
            "Cần Thơ, ngày 20 tháng 11 năm 2026",
            "10 ngày làm việc",
            "SỞ TƯ PHÁP THÀNH PHỐ CẦN THƠ",
        ] {
            assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
