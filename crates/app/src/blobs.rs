//! The content-addressed file store on disk: files are streamed in while hashed (SHA-256),
//! named by their hash, written once, and verified when read back.

use std::path::{Path, PathBuf};

use lienthong_domain::dossier::{Sniffed, sniff};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::AppError;

/// Where blobs live: `<root>/<aa>/<bb>/<sha256>`.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// SHA-256, hex.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
    /// Type recognised from the content.
    pub sniffed: Option<Sniffed>,
}

/// Why an upload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadProblem {
    /// Larger than the limit (bytes).
    TooLarge(u64),
    /// Empty file.
    Empty,
}

/// Streams one file into the store.
pub struct BlobWriter {
    file: tokio::fs::File,
    tmp: PathBuf,
    hasher: Sha256,
    head: Vec<u8>,
    size: u64,
    max: u64,
    root: PathBuf,
}

impl BlobStore {
    /// A store under `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Path of a blob.
    pub fn path(&self, sha256: &str) -> PathBuf {
        let a = sha256.get(0..2).unwrap_or("00");
        let b = sha256.get(2..4).unwrap_or("00");
        self.root.join(a).join(b).join(sha256)
    }

    /// Starts writing a file of at most `max` bytes.
    pub async fn writer(&self, max: u64) -> Result<BlobWriter, AppError> {
        let tmp_dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir).await.map_err(io)?;
        let tmp = tmp_dir.join(uuid::Uuid::now_v7().to_string());
        let file = tokio::fs::File::create(&tmp).await.map_err(io)?;
        Ok(BlobWriter {
            file,
            tmp,
            hasher: Sha256::new(),
            head: Vec::with_capacity(16),
            size: 0,
            max,
            root: self.root.clone(),
        })
    }

    /// Stores bytes produced by the platform (issued documents) and returns what was stored.
    pub async fn put(&self, bytes: &[u8]) -> Result<StoredBlob, AppError> {
        let mut w = self.writer(u64::MAX).await?;
        w.write(bytes)
            .await
            .map_err(|p| AppError::Internal(format!("file store: {p:?}")))?;
        w.finish()
            .await?
            .map_err(|p| AppError::Internal(format!("file store: {p:?}")))
    }

    /// Reads a blob back, checking that its content still has its hash.
    pub async fn read(&self, sha256: &str) -> Result<Vec<u8>, AppError> {
        let bytes = tokio::fs::read(self.path(sha256)).await.map_err(io)?;
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(AppError::Internal(format!("blob {sha256} is corrupt")));
        }
        Ok(bytes)
    }

    /// The first `n` bytes of a blob (to recognise its type without reading it whole).
    pub async fn head(&self, sha256: &str, n: usize) -> Result<Vec<u8>, AppError> {
        use tokio::io::AsyncReadExt;
        let file = tokio::fs::File::open(self.path(sha256)).await.map_err(io)?;
        let mut buf = Vec::with_capacity(n);
        file.take(n as u64)
            .read_to_end(&mut buf)
            .await
            .map_err(io)?;
        Ok(buf)
    }

    /// Whether the blob's file exists.
    pub async fn exists(&self, sha256: &str) -> bool {
        tokio::fs::try_exists(self.path(sha256))
            .await
            .unwrap_or(false)
    }
}

fn io(e: std::io::Error) -> AppError {
    AppError::Internal(format!("file store: {e}"))
}

impl BlobWriter {
    /// Appends a chunk; refuses to grow past the limit.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), UploadProblem> {
        self.size += chunk.len() as u64;
        if self.size > self.max {
            return Err(UploadProblem::TooLarge(self.max));
        }
        if self.head.len() < 16 {
            let need = 16 - self.head.len();
            self.head
                .extend_from_slice(chunk.get(..need.min(chunk.len())).unwrap_or_default());
        }
        self.hasher.update(chunk);
        self.file
            .write_all(chunk)
            .await
            .map_err(|_| UploadProblem::TooLarge(self.max))?;
        Ok(())
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Makes the file durable under its hash and returns what was stored.
    pub async fn finish(mut self) -> Result<Result<StoredBlob, UploadProblem>, AppError> {
        if self.size == 0 {
            let _ = tokio::fs::remove_file(&self.tmp).await;
            return Ok(Err(UploadProblem::Empty));
        }
        self.file.flush().await.map_err(io)?;
        self.file.sync_all().await.map_err(io)?;
        let sha256 = hex::encode(self.hasher.finalize());
        let store = BlobStore {
            root: self.root.clone(),
        };
        let target = store.path(&sha256);
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
        }
        if tokio::fs::try_exists(&target).await.unwrap_or(false) {
            let _ = tokio::fs::remove_file(&self.tmp).await;
        } else {
            tokio::fs::rename(&self.tmp, &target).await.map_err(io)?;
            sync_dir(target.parent()).await;
        }
        Ok(Ok(StoredBlob {
            sha256,
            size: self.size,
            sniffed: sniff(&self.head),
        }))
    }

    /// Abandons the upload.
    pub async fn discard(self) {
        let _ = tokio::fs::remove_file(&self.tmp).await;
    }
}

async fn sync_dir(dir: Option<&Path>) {
    if let Some(d) = dir
        && let Ok(f) = tokio::fs::File::open(d).await
    {
        let _ = f.sync_all().await;
    }
}
