//! The domain error: a value broke a rule. Every variant carries a Vietnamese and an English
//! explanation meant for the person who typed the value.

use crate::Lang;

/// A domain rule was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A CCCD (citizen identity number) is malformed.
    #[error("invalid citizen identity number: {0}")]
    Cccd(&'static str),
    /// A tax code is malformed.
    #[error("invalid tax code: {0}")]
    TaxCode(&'static str),
    /// A phone number is malformed.
    #[error("invalid phone number")]
    Phone,
    /// An e-mail address is malformed.
    #[error("invalid e-mail address")]
    Email,
    /// A username is malformed.
    #[error("invalid username")]
    Username,
    /// A password does not meet the policy.
    #[error("password too weak")]
    Password,
    /// An agency code is malformed.
    #[error("invalid agency code")]
    AgencyCode,
    /// An administrative unit code is malformed.
    #[error("invalid administrative unit code")]
    AdminUnitCode,
    /// A role name is unknown.
    #[error("unknown role")]
    Role,
    /// A validity interval ends before it starts.
    #[error("validity interval ends before it starts")]
    Interval,
    /// A required text is empty or too long.
    #[error("text must have between 1 and {max} characters")]
    Text {
        /// Maximum length in characters.
        max: usize,
    },
}

impl DomainError {
    /// The explanation in `lang`, for the person who typed the value.
    pub fn message(&self, lang: Lang) -> String {
        let (vi, en): (String, String) = match self {
            DomainError::Cccd(why) => (
                format!("Số định danh cá nhân (CCCD) không hợp lệ: {}.", cccd_reason_vi(why)),
                format!("Invalid citizen identity number (CCCD): {why}."),
            ),
            DomainError::TaxCode(why) => (
                format!("Mã số thuế không hợp lệ: {}.", tax_reason_vi(why)),
                format!("Invalid tax code: {why}."),
            ),
            DomainError::Phone => (
                "Số điện thoại không hợp lệ: cần 10 chữ số bắt đầu bằng 0 (hoặc +84), ví dụ 0912345678.".into(),
                "Invalid phone number: 10 digits starting with 0 (or +84) expected, e.g. 0912345678.".into(),
            ),
            DomainError::Email => (
                "Địa chỉ thư điện tử không hợp lệ, ví dụ: ten@example.vn.".into(),
                "Invalid e-mail address, e.g. name@example.vn.".into(),
            ),
            DomainError::Username => (
                "Tên đăng nhập chỉ gồm chữ không dấu, chữ số và các ký tự . _ - @, dài 3 đến 64 ký tự.".into(),
                "A username has 3 to 64 characters: unaccented letters, digits and . _ - @.".into(),
            ),
            DomainError::Password => (
                "Mật khẩu cần ít nhất 10 ký tự và không quá 256 ký tự.".into(),
                "A password needs at least 10 and at most 256 characters.".into(),
            ),
            DomainError::AgencyCode => (
                "Mã định danh cơ quan không hợp lệ: tối đa 35 ký tự gồm chữ in hoa, chữ số và dấu chấm, ví dụ 000.00.00.H13.".into(),
                "Invalid agency code: up to 35 upper-case letters, digits and dots, e.g. 000.00.00.H13.".into(),
            ),
            DomainError::AdminUnitCode => (
                "Mã đơn vị hành chính không hợp lệ: tỉnh 2 chữ số, huyện 3 chữ số, xã 5 chữ số.".into(),
                "Invalid administrative unit code: 2 digits for a province, 3 for a district, 5 for a commune.".into(),
            ),
            DomainError::Role => (
                "Vai trò không hợp lệ: reception, specialist, leader, clerk, admin hoặc auditor.".into(),
                "Unknown role: reception, specialist, leader, clerk, admin or auditor.".into(),
            ),
            DomainError::Interval => (
                "Ngày kết thúc hiệu lực phải sau ngày bắt đầu.".into(),
                "The end of validity must come after its start.".into(),
            ),
            DomainError::Text { max } => (
                format!("Cần nhập từ 1 đến {max} ký tự."),
                format!("Between 1 and {max} characters are required."),
            ),
        };
        match lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

fn cccd_reason_vi(why: &str) -> &'static str {
    match why {
        "length" => "cần đúng 12 chữ số",
        "digits" => "chỉ được gồm chữ số",
        "province" => "ba chữ số đầu không phải mã tỉnh nơi đăng ký khai sinh",
        "birth year" => "năm sinh (chữ số 4 đến 6) nằm trong tương lai",
        _ => "sai cấu trúc",
    }
}

fn tax_reason_vi(why: &str) -> &'static str {
    match why {
        "length" => "cần 10 chữ số, hoặc 13 chữ số cho đơn vị phụ thuộc (dạng 0123456789-001)",
        "digits" => "chỉ được gồm chữ số (và một dấu gạch ngang trước 3 số cuối)",
        "check digit" => "chữ số kiểm tra (chữ số thứ 10) không đúng",
        _ => "sai cấu trúc",
    }
}
