//! PDF documents issued by lienthong.
//!
//! Text is drawn with DejaVu Sans (embedded, subset), which covers every Vietnamese letter, so
//! that the documents print and extract (`pdftotext`) with correct diacritics. Layouts follow
//! the forms of TT 01/2018/TT-VPCP.

mod blank_form;
mod layout;
mod notice;
mod receipt;

pub use blank_form::{BlankQuestion, blank_form_pdf};
pub use notice::{Block, Digital, Marks, Notice, notice_pdf, notice_pdf_marked};
pub use receipt::{ReceiptData, receipt_pdf};

/// A document could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The embedded font could not be loaded.
    #[error("font unavailable")]
    Font,
    /// The QR code could not be encoded.
    #[error("QR code: {0}")]
    Qr(String),
    /// The PDF writer failed.
    #[error("PDF: {0}")]
    Pdf(String),
}
