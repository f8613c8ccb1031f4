//! Online, consistent backups and their restore: the database (SQLite `VACUUM INTO`, a
//! snapshot taken while the platform runs; `pg_dump` on PostgreSQL) and every stored file by
//! its hash, with a manifest. Restoring checks every file's hash and refuses a target that
//! already holds data.

use std::path::{Path, PathBuf};

use lienthong_store::maintenance;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{App, AppError, blobs::BlobStore};

/// Name of the manifest in a backup directory.
pub const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "lienthong.db";
const PG_FILE: &str = "lienthong.pgdump";

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format of this directory.
    pub format: u32,
    /// `sqlite` or `postgres`.
    pub engine: String,
    /// When it was taken (RFC 3339).
    pub created_at: String,
    /// Database file name in the directory.
    pub database_file: String,
    /// SHA-256 of that file.
    pub database_sha256: String,
    /// Files copied (by hash).
    pub files: u64,
}

fn io(what: &str, e: std::io::Error) -> AppError {
    AppError::Internal(format!("{what}: {e}"))
}

/// SHA-256 of a file, streamed (database snapshots run to many gigabytes).
fn sha256_file(path: &Path) -> Result<String, AppError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| io(&name, e))?;
    let mut hasher = Sha256::new();
    std::io::copy(
        &mut std::io::BufReader::with_capacity(1 << 20, file),
        &mut hasher,
    )
    .map_err(|e| io(&name, e))?;
    Ok(hex::encode(hasher.finalize()))
}

/// Copies the file of `sha256` from one store to another, checking its content on the way.
fn copy_blob(from: &BlobStore, to: &BlobStore, sha256: &str) -> Result<(), AppError> {
    let src = from.path(sha256);
    let bytes = std::fs::read(&src).map_err(|e| io(&src.display().to_string(), e))?;
    if hex::encode(Sha256::digest(&bytes)) != sha256 {
        return Err(AppError::Internal(format!(
            "tệp {sha256} bị hỏng (nội dung không khớp mã băm) / file {sha256} is corrupt"
        )));
    }
    let dst = to.path(sha256);
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io("create dir", e))?;
    }
    std::fs::write(&dst, &bytes).map_err(|e| io(&dst.display().to_string(), e))?;
    Ok(())
}

async fn blob_hashes(app: &App) -> Result<Vec<String>, AppError> {
    let mut conn = app.db.read().await?;
    Ok(maintenance::blob_hashes(&mut conn).await?)
}

/// Takes a backup of the running platform into the new directory `dir`. `database_url` is
/// the URL the platform uses (for `pg_dump`).
pub async fn backup(app: &App, database_url: &str, dir: &Path) -> Result<Manifest, AppError> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(|e| io("backup dir", e))?
            .next()
            .is_some()
    {
        return Err(AppError::Conflict(format!(
            "thư mục sao lưu phải trống / the backup directory must be empty: {}",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| io("backup dir", e))?;
    let (engine, file) = if database_url.starts_with("sqlite:") {
        let target = dir.join(SQLITE_FILE);
        let mut conn = app.db.read().await?;
        // One read transaction: a consistent snapshot while writers go on.
        maintenance::sqlite_snapshot(&mut conn, &target.display().to_string()).await?;
        ("sqlite", SQLITE_FILE)
    } else {
        let out = tokio::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--file"])
            .arg(dir.join(PG_FILE))
            .arg(database_url)
            .output()
            .await
            .map_err(|e| io("pg_dump", e))?;
        if !out.status.success() {
            return Err(AppError::Internal(format!(
                "pg_dump: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        ("postgres", PG_FILE)
    };
    // Files are written before the rows that name them commit: every hash in the snapshot
    // has its file.
    let target = BlobStore::new(dir.join("files"));
    let hashes = blob_hashes(app).await?;
    for h in &hashes {
        copy_blob(&app.blobs, &target, h)?;
    }
    let manifest = Manifest {
        format: 1,
        engine: engine.into(),
        created_at: app.clock.now().to_string(),
        database_file: file.into(),
        database_sha256: sha256_file(&dir.join(file))?,
        files: u64::try_from(hashes.len()).unwrap_or(0),
    };
    let json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| AppError::Internal(e.to_string()))?;
    std::fs::write(dir.join(MANIFEST), json).map_err(|e| io("manifest", e))?;
    Ok(manifest)
}

/// Reads and checks a backup directory's manifest and database file.
pub fn read_manifest(dir: &Path) -> Result<Manifest, AppError> {
    let bytes = std::fs::read(dir.join(MANIFEST)).map_err(|e| io("manifest", e))?;
    let m: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| AppError::Internal(format!("manifest: {e}")))?;
    if m.format != 1 || m.database_file.contains(['/', '\\']) {
        return Err(AppError::Internal("unknown backup format".into()));
    }
    if sha256_file(&dir.join(&m.database_file))? != m.database_sha256 {
        return Err(AppError::Internal(
            "tệp cơ sở dữ liệu sao lưu bị hỏng / the database file of the backup is corrupt".into(),
        ));
    }
    Ok(m)
}

/// Restores the database of the backup in `dir` into `database_url`, which must be empty:
/// copies the SQLite file into place, or runs `pg_restore` into an empty PostgreSQL database.
/// Call before opening the platform; then [`restore_files`].
pub async fn restore_database(dir: &Path, database_url: &str) -> Result<Manifest, AppError> {
    let m = read_manifest(dir)?;
    match (m.engine.as_str(), database_url.strip_prefix("sqlite://")) {
        ("sqlite", Some(path)) => {
            let path = PathBuf::from(path.split('?').next().unwrap_or(path));
            if path.exists() {
                return Err(AppError::Conflict(format!(
                    "đã có cơ sở dữ liệu tại đích / a database already exists at {}",
                    path.display()
                )));
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io("data dir", e))?;
            }
            std::fs::copy(dir.join(&m.database_file), &path).map_err(|e| io("copy database", e))?;
        }
        ("postgres", None) => {
            let out = tokio::process::Command::new("pg_restore")
                .args(["--no-owner", "--exit-on-error", "--dbname"])
                .arg(database_url)
                .arg(dir.join(&m.database_file))
                .output()
                .await
                .map_err(|e| io("pg_restore", e))?;
            if !out.status.success() {
                return Err(AppError::Internal(format!(
                    "pg_restore (the target database must be empty): {}",
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
        }
        (engine, _) => {
            return Err(AppError::Conflict(format!(
                "bản sao lưu của {engine} không khôi phục được vào {database_url} / a {engine} backup cannot be restored there"
            )));
        }
    }
    Ok(m)
}

/// Copies the backup's files into the restored platform's store, checking each hash against
/// the restored database. Returns how many were restored.
pub async fn restore_files(app: &App, dir: &Path) -> Result<u64, AppError> {
    let from = BlobStore::new(dir.join("files"));
    let mut n = 0;
    for h in blob_hashes(app).await? {
        copy_blob(&from, &app.blobs, &h)?;
        n += 1;
    }
    Ok(n)
}
