//! The application context handed to every use case.

use std::sync::Arc;

use lienthong_domain::clock::Clock;
use lienthong_store::Db;

/// Limits of sessions, tokens and login attempts.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Idle lifetime of a browser session, in seconds.
    pub session_idle_secs: i64,
    /// Lifetime of an API bearer token, in seconds.
    pub token_ttl_secs: i64,
    /// Failed logins of one username within the window that lock it.
    pub max_failures: i64,
    /// Length of the failure window and of the lockout, in seconds.
    pub lockout_secs: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_idle_secs: 30 * 60,
            token_ttl_secs: 3600,
            max_failures: 5,
            lockout_secs: 15 * 60,
        }
    }
}

/// Database, clock and settings shared by the use cases.
#[derive(Clone)]
pub struct App {
    /// The database.
    pub db: Db,
    /// The injected clock.
    pub clock: Arc<dyn Clock>,
    /// Session and login limits.
    pub auth: AuthSettings,
    /// In-process side of domain events.
    pub events: crate::events::EventBus,
    /// Catalog search index.
    pub search: Arc<crate::catalog::search::SearchIndex>,
    /// Content-addressed file store.
    pub blobs: crate::blobs::BlobStore,
    /// Upload limits.
    pub uploads: UploadLimits,
    /// Parsed workflow versions.
    pub workflows: Arc<crate::workflows::WorkflowCache>,
    /// Procedure versions and calendars.
    pub caches: Arc<crate::caches::Caches>,
    /// Signing keys, certificates and trust settings.
    pub pki: Arc<crate::signatures::Pki>,
    /// Low-priority threads for CPU work no one waits for.
    pub background: Arc<crate::background::Background>,
}

/// Limits on uploaded files.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// Largest file, bytes.
    pub max_file_bytes: u64,
    /// Largest total per dossier, bytes.
    pub max_dossier_bytes: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 20 * 1024 * 1024,
            max_dossier_bytes: 100 * 1024 * 1024,
        }
    }
}

impl App {
    /// Builds the context; files are stored under `blob_root`.
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        auth: AuthSettings,
        blob_root: std::path::PathBuf,
    ) -> Self {
        Self {
            db,
            clock,
            auth,
            events: crate::events::EventBus::default(),
            search: Arc::default(),
            pki: Arc::new(crate::signatures::Pki::new(
                blob_root.with_file_name("pki-passphrase"),
            )),
            blobs: crate::blobs::BlobStore::new(blob_root),
            uploads: UploadLimits::default(),
            workflows: Arc::default(),
            caches: Arc::default(),
            background: Arc::default(),
        }
    }

    /// The current instant in µs since the epoch.
    pub fn now_us(&self) -> i64 {
        lienthong_domain::clock::to_micros(self.clock.now())
    }
}
