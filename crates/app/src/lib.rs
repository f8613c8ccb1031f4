//! Application services of lienthong.
//!
//! Each use case runs in one database transaction that holds its changes and its audit row.
//! Authorization is decided here, per action and agency scope, never only in templates.

pub mod accounts;
pub mod audit;
pub mod authz;
pub mod background;
pub mod backup;
pub mod blobs;
pub mod caches;
pub mod calendar;
pub mod catalog;
mod context;
pub mod demo;
pub mod dossiers;
pub mod drafts;
mod error;
pub mod events;
pub mod generator;
pub mod notify;
pub mod org;
pub mod processing;
pub mod refdata;
pub mod reports;
pub mod secrets;
pub mod signatures;
pub mod workflows;

pub use context::{App, AuthSettings, UploadLimits};
pub use error::{AppError, FieldError};
