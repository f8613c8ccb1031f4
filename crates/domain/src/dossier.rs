//! Dossiers (hồ sơ): codes, statuses and their national (DVCQG) mapping, and the sniffing of
//! uploaded files.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Where a dossier came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Submitted on the portal.
    Online,
    /// Brought to the desk.
    Direct,
    /// Sent by public postal service.
    Postal,
}

impl Channel {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Direct => "direct",
            Channel::Postal => "postal",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "online" => Some(Channel::Online),
            "direct" => Some(Channel::Direct),
            "postal" => Some(Channel::Postal),
            _ => None,
        }
    }
}

/// The life-cycle state of a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Submitted online, not yet accepted.
    Submitted,
    /// Accepted at reception; the clock runs.
    Accepted,
    /// Refused at reception.
    Refused,
    /// Being processed.
    Processing,
    /// Waiting for documents the applicant must supply.
    SupplementRequested,
    /// Waiting for a fee or tax payment.
    PaymentRequested,
    /// Withdrawn by the applicant.
    Withdrawn,
    /// Processing stopped.
    Stopped,
    /// Result ready.
    Resolved,
    /// Result handed over.
    Returned,
}

impl Status {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Accepted => "accepted",
            Status::Refused => "refused",
            Status::Processing => "processing",
            Status::SupplementRequested => "supplement_requested",
            Status::PaymentRequested => "payment_requested",
            Status::Withdrawn => "withdrawn",
            Status::Stopped => "stopped",
            Status::Resolved => "resolved",
            Status::Returned => "returned",
        }
    }

    /// Every status, in the order of the national codes 1–10.
    pub const ALL: [Status; 10] = [
        Status::Submitted,
        Status::Accepted,
        Status::Refused,
        Status::Processing,
        Status::SupplementRequested,
        Status::PaymentRequested,
        Status::Withdrawn,
        Status::Stopped,
        Status::Resolved,
        Status::Returned,
    ];

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The national portal's status code 1–10 (VN-STANDARDS §3.4).
    pub fn dvcqg_code(self) -> u8 {
        match self {
            Status::Submitted => 1,
            Status::Accepted => 2,
            Status::Refused => 3,
            Status::Processing => 4,
            Status::SupplementRequested => 5,
            Status::PaymentRequested => 6,
            Status::Withdrawn => 7,
            Status::Stopped => 8,
            Status::Resolved => 9,
            Status::Returned => 10,
        }
    }

    /// Vietnamese label as citizens read it.
    pub fn label_vi(self) -> &'static str {
        match self {
            Status::Submitted => "Mới đăng ký",
            Status::Accepted => "Được tiếp nhận",
            Status::Refused => "Không được tiếp nhận",
            Status::Processing => "Đang xử lý",
            Status::SupplementRequested => "Yêu cầu bổ sung giấy tờ",
            Status::PaymentRequested => "Yêu cầu thực hiện nghĩa vụ tài chính",
            Status::Withdrawn => "Công dân yêu cầu rút hồ sơ",
            Status::Stopped => "Dừng xử lý",
            Status::Resolved => "Đã xử lý xong",
            Status::Returned => "Đã trả kết quả",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Status::Submitted => "Submitted",
            Status::Accepted => "Accepted",
            Status::Refused => "Refused",
            Status::Processing => "Processing",
            Status::SupplementRequested => "Documents requested",
            Status::PaymentRequested => "Payment requested",
            Status::Withdrawn => "Withdrawn",
            Status::Stopped => "Stopped",
            Status::Resolved => "Result ready",
            Status::Returned => "Result returned",
        }
    }
}

/// The national dossier code `<agency code>-<yyMMdd>-<NNNN>`: receiving agency, day of
/// receipt (Vietnam time) and the agency's sequence number of that day, zero-padded to 4.
pub fn dossier_code(agency_code: &str, day: Date, sequence: i64) -> String {
    format!(
        "{agency_code}-{:02}{:02}{:02}-{sequence:04}",
        day.year() % 100,
        day.month(),
        day.day()
    )
}

/// Key of the sequence that numbers an agency's dossiers of one day.
pub fn dossier_sequence_key(agency_code: &str, day: Date) -> String {
    format!("dossier:{agency_code}:{day}")
}

/// A file type recognised from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// `%PDF-`.
    Pdf,
    /// JPEG SOI marker.
    Jpeg,
    /// PNG signature.
    Png,
}

impl Sniffed {
    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Sniffed::Pdf => "application/pdf",
            Sniffed::Jpeg => "image/jpeg",
            Sniffed::Png => "image/png",
        }
    }

    /// Extensions a file of this type may carry.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Sniffed::Pdf => &["pdf"],
            Sniffed::Jpeg => &["jpg", "jpeg", "jfif"],
            Sniffed::Png => &["png"],
        }
    }
}

/// Recognises PDF, JPEG and PNG by their signatures; anything else is `None`.
pub fn sniff(head: &[u8]) -> Option<Sniffed> {
    if head.starts_with(b"%PDF-") {
        Some(Sniffed::Pdf)
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Sniffed::Jpeg)
    } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(Sniffed::Png)
    } else {
        None
    }
}

/// A file name safe to store and show: the last path component, NFC, control characters and
/// path separators removed, at most 120 characters; `tep` when nothing is left.
pub fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = crate::text::nfc(last)
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
                && !matches!(*c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.');
    if trimmed.is_empty() {
        return "tep".to_owned();
    }
    let n = trimmed.chars().count();
    if n <= 120 {
        return trimmed.to_owned();
    }
    // Keep the extension.
    match trimmed.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 10 => {
            let keep: String = stem.chars().take(119 - ext.chars().count()).collect();
            format!("{keep}.{ext}")
        }
        _ => trimmed.chars().take(120).collect(),
    }
}

/// The extension of a file name, lower-cased.
pub fn extension(name: &str) -> Option<String> {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.len() <= 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_national_form() {
        assert_eq!(
            dossier_code("000.00.04.H13", jiff::civil::date(2026, 11, 20), 2),
            "000.00.04.H13-261120-0002"
        );
        assert_eq!(
            dossier_code("X", jiff::civil::date(2030, 1, 5), 12345),
            "X-300105-12345"
        );
        for s in [
            Status::Submitted,
            Status::Returned,
            Status::SupplementRequested,
        ] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::Returned.dvcqg_code(), 10);
    }

    #[test]
    fn sniffing_and_names() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(Sniffed::Pdf));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Sniffed::Jpeg));
        assert_eq!(sniff(b"<html><body>%PDF-"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            safe_file_name("C:\\Users\\an\\Giấy khai sinh.pdf"),
            "Giấy khai sinh.pdf"
        );
        assert_eq!(safe_file_name("..."), "tep");
        assert_eq!(safe_file_name("a\u{0000}b\u{202e}.pdf"), "ab.pdf");
        let long = format!("{}.pdf", "x".repeat(500));
        let s = safe_file_name(&long);
        assert!(s.ends_with(".pdf") && s.chars().count() == 120);
        assert_eq!(extension("scan.JPG").as_deref(), Some("jpg"));
    }
}
