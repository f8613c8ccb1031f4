//! Persistence of lienthong.
//!
//! The engine is chosen by the database URL (`sqlite://…` embedded by default, `postgres://…`
//! in production), and each engine has its own migration folder. Repositories are free
//! functions over an [`Exec`] so that a use case runs all its writes — including its audit
//! row — in one [`WriteTx`]. Each statement and each row mapping is written once and runs on
//! sqlx's `Any` driver (PostgreSQL, or SQLite without group commit) or on a plain SQLite
//! connection on the calling thread (short reads, and the group-commit writer).

pub mod accounts;
pub mod audit;
pub mod bulk;
pub mod calendar;
pub mod catalog;
mod db;
mod direct;
pub mod document_jobs;
pub mod dossiers;
mod error;
mod exec;
mod group;
pub mod maintenance;
pub mod notifications;
pub mod org;
pub mod pki;
pub mod processing;
pub mod reports;
pub mod sessions;
pub mod settings;

pub use db::{Conn, Db, Engine, GroupCommits, Reader, WriteTx};
pub use direct::Lease;
pub use error::StoreError;
pub use exec::Exec;

/// Result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
