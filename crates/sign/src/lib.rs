//! Digital signatures for lienthong.
//!
//! - [`ca`]: an internal certification authority (root, issuing CA, certificates for
//!   officials, agency seals and the timestamp authority; CRLs).
//! - [`keys`]: software keys encrypted at rest, and the [`keys::KeySigner`] trait a PKCS#11
//!   token implements too.
//! - [`cms_build`] and [`pades`]: detached CMS and PAdES baseline signatures, each PDF
//!   signature in its own incremental update.
//! - [`verify`] with [`trust`]: verification of signed PDFs and detached CMS against a trust
//!   store, at signing time, with CRLs.
//! - [`pkcs11`]: keys on PKCS#11 tokens and HSMs.
//! - [`tsa`]: RFC 3161 timestamps (client and authority), for PAdES B-T.
//! - [`pdf`]: the PDF reader and writer underneath, built for hostile input.

pub mod ca;
pub mod cms_build;
pub mod crypto;
mod error;
pub mod http;
pub mod keys;
pub mod oids;
pub mod pades;
pub mod pdf;
pub mod pkcs11;
pub mod trust;
pub mod tsa;
pub mod verify;

pub use error::SignError;
