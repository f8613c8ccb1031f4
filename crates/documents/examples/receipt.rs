//! Writes a sample receipt to the path given as the first argument.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "receipt.pdf".to_owned());
    let data = lienthong_documents::ReceiptData {
        parent_agency_name: Some("Ủy ban nhân dân thành phố Cần Thơ".into()),
        agency_name: "Sở Tư pháp thành phố Cần Thơ".into(),
        place: "Cần Thơ".into(),
        issued: (20, 11, 2026),
        code: "000.00.04.H13-261120-0001".into(),
        applicant_name: "Nguyễn Văn An".into(),
        applicant_address: Some("12 Hòa Bình, Phường Ninh Kiều, Thành phố Cần Thơ".into()),
        applicant_phone: Some("0912345671".into()),
        applicant_email: Some("an@example.vn".into()),
        procedure_name: "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam".into(),
        documents: vec![("Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp theo mẫu".into(), 1), ("Bản chụp giấy tờ tùy thân".into(), 1)],
        processing_time: "10 ngày làm việc".into(),
        received_at: "10 giờ 00 phút, ngày 20/11/2026".into(),
        due: None,
        channel: "Trực tuyến".into(),
        result_delivery: "Cổng dịch vụ công (bản điện tử)".into(),
        tracking_url: "http://127.0.0.1:8080/track?code=000.00.04.H13-261120-0001".into(),
    };
    std::fs::write(out, lienthong_documents::receipt_pdf(&data)?)?;
    Ok(())
}
