//! The one error type of the signing crate.

/// Why signing or verification could not proceed (a verification *result* — invalid,
/// untrusted, revoked — is not an error: it is reported in [`crate::verify::Report`]).
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The file is not a PDF.
    #[error("not a PDF file")]
    NotPdf,
    /// The PDF's structure could not be read.
    #[error("malformed PDF: {0}")]
    MalformedPdf(String),
    /// A CMS structure could not be read.
    #[error("malformed CMS signature: {0}")]
    MalformedCms(String),
    /// A certificate or CRL could not be read or built.
    #[error("certificate: {0}")]
    Certificate(String),
    /// A key could not be read, generated or used.
    #[error("key: {0}")]
    Key(String),
    /// A feature of the input that is valid but not supported.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The timestamp authority failed.
    #[error("timestamp authority: {0}")]
    Timestamp(String),
}

impl SignError {
    /// The message in Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            SignError::NotPdf => "Tệp không phải là PDF.".into(),
            SignError::MalformedPdf(d) => format!("Tệp PDF bị hỏng hoặc không đọc được ({d})."),
            SignError::MalformedCms(d) => {
                format!("Chữ ký (CMS) bị hỏng hoặc không đọc được ({d}).")
            }
            SignError::Certificate(d) => format!("Chứng thư số không hợp lệ ({d})."),
            SignError::Key(d) => format!("Khóa ký không dùng được ({d})."),
            SignError::Unsupported(d) => format!("Chưa hỗ trợ: {d}."),
            SignError::Timestamp(d) => format!("Máy chủ cấp dấu thời gian lỗi ({d})."),
        }
    }
}
