//! Pure domain types and rules of lienthong.
//!
//! Nothing in this crate performs I/O or reads the wall clock: identities and their structural
//! validation, the organisation model (administrative units, agencies, effective dating), roles,
//! the tamper-evident audit chain and the injected [`clock::Clock`].

pub mod audit;
pub mod calendar;
pub mod catalog;
pub mod clock;
pub mod dossier;
pub mod error;
pub mod form;
pub mod identity;
pub mod lang;
pub mod lunar;
pub mod org;
pub mod redact;
pub mod report;
pub mod role;
pub mod text;
pub mod workflow;

pub use error::DomainError;
pub use lang::Lang;
