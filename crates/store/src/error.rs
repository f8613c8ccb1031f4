//! The store error.

/// A persistence operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not understood.
    #[error("unsupported database URL (expected sqlite://… or postgres://…): {0}")]
    Url(String),
    /// A uniqueness constraint was violated.
    #[error("duplicate value violates a unique constraint")]
    Duplicate,
    /// The database could not apply the migrations.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value cannot be read back (corrupt or foreign data).
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// A statement on a plain SQLite connection failed.
    #[error("database error: {0}")]
    Direct(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        const UNIQUE: std::ffi::c_int = 2067;
        const PRIMARY_KEY: std::ffi::c_int = 1555;
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == UNIQUE || f.extended_code == PRIMARY_KEY =>
            {
                StoreError::Duplicate
            }
            _ => StoreError::Direct(e),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate,
            _ => StoreError::Database(e),
        }
    }
}
