//! The application error, carrying what the web layer needs to answer in Vietnamese and English.

use lienthong_domain::{DomainError, Lang};
use lienthong_store::StoreError;

/// A problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Name of the field.
    pub field: String,
    /// Vietnamese message.
    pub vi: String,
    /// English message.
    pub en: String,
}

impl FieldError {
    /// A field error from a domain rule.
    pub fn from_domain(field: &str, e: &DomainError) -> Self {
        Self {
            field: field.to_owned(),
            vi: e.message(Lang::Vi),
            en: e.message(Lang::En),
        }
    }

    /// A field error with explicit messages.
    pub fn new(field: &str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            vi: vi.into(),
            en: en.into(),
        }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.vi, &self.en)
    }
}

/// A use case could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input broke one or more rules.
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// Credentials are missing or wrong.
    #[error("not authenticated")]
    Unauthenticated,
    /// The caller may not take this action.
    #[error("forbidden")]
    Forbidden,
    /// Nothing with this identifier.
    #[error("not found: {0}")]
    NotFound(String),
    /// The change conflicts with existing data (duplicate, stale version).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The action is not possible in the current state of the object (another official acted
    /// first, the status or step does not allow it); the reason in both languages.
    #[error("not possible now: {en}")]
    NotNow {
        /// Vietnamese reason.
        vi: String,
        /// English reason.
        en: String,
    },
    /// Too many attempts; retry after the given seconds.
    #[error("rate limited")]
    RateLimited {
        /// Seconds until a new attempt is allowed.
        retry_after_secs: i64,
    },
    /// An import file is malformed at a position; nothing was imported.
    #[error("{file}:{line}:{column}: {message}")]
    Import {
        /// File name.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column (field number for CSV).
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// A database failure.
    #[error(transparent)]
    Store(StoreError),
    /// An unexpected internal failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate => AppError::Conflict("duplicate".into()),
            other => AppError::Store(other),
        }
    }
}

impl AppError {
    /// An action not possible now, with its reason.
    pub fn not_now(vi: impl Into<String>, en: impl Into<String>) -> Self {
        AppError::NotNow {
            vi: vi.into(),
            en: en.into(),
        }
    }

    /// A validation error on one field.
    pub fn field(field: &str, e: &DomainError) -> Self {
        AppError::Validation(vec![FieldError::from_domain(field, e)])
    }
}
