//! The content-addressed file store on disk: files are streamed in while hashed (SHA-256),
//! named by their hash, written once, and verified when read back.
//!
//! A file of up to [`IN_MEMORY`] bytes is kept in memory while it arrives and then stored by
//! one blocking task (write, fsync, rename, fsync of the directory), or not written at all
//! when the store already holds the same content; a larger one is streamed to a temporary
//! file as it arrives.

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

/// Largest file kept in memory until it is complete.
pub const IN_MEMORY: usize = 256 * 1024;

/// Streams one file into the store.
pub struct BlobWriter {
    /// The temporary file, once the content outgrew [`IN_MEMORY`].
    file: Option<tokio::fs::File>,
    /// The content while it fits in memory.
    buf: Vec<u8>,
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
        let tmp = self.root.join("tmp").join(uuid::Uuid::now_v7().to_string());
        Ok(BlobWriter {
            file: None,
            buf: Vec::new(),
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
        if self.file.is_none() && self.buf.len() + chunk.len() <= IN_MEMORY {
            self.buf.extend_from_slice(chunk);
            return Ok(());
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                let file = self
                    .spill()
                    .await
                    .map_err(|_| UploadProblem::TooLarge(self.max))?;
                self.file.insert(file)
            }
        };
        file.write_all(chunk)
            .await
            .map_err(|_| UploadProblem::TooLarge(self.max))?;
        Ok(())
    }

    /// Moves what is in memory to a new temporary file and returns the file.
    async fn spill(&mut self) -> std::io::Result<tokio::fs::File> {
        if let Some(dir) = self.tmp.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let mut file = tokio::fs::File::create(&self.tmp).await?;
        file.write_all(&self.buf).await?;
        self.buf = Vec::new();
        Ok(file)
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Makes the file durable under its hash and returns what was stored.
    pub async fn finish(mut self) -> Result<Result<StoredBlob, UploadProblem>, AppError> {
        if self.size == 0 {
            self.discard().await;
            return Ok(Err(UploadProblem::Empty));
        }
        let sha256 = hex::encode(self.hasher.clone().finalize());
        let store = BlobStore {
            root: self.root.clone(),
        };
        let target = store.path(&sha256);
        match self.file.take() {
            None => {
                let bytes = std::mem::take(&mut self.buf);
                let tmp = self.tmp.clone();
                tokio::task::spawn_blocking(move || store_whole(&bytes, &tmp, &target))
                    .await
                    .map_err(|e| AppError::Internal(format!("file store: {e}")))?
                    .map_err(io)?;
            }
            Some(mut file) => {
                file.flush().await.map_err(io)?;
                file.sync_all().await.map_err(io)?;
                drop(file);
                if let Some(dir) = target.parent() {
                    tokio::fs::create_dir_all(dir).await.map_err(io)?;
                }
                if tokio::fs::try_exists(&target).await.unwrap_or(false) {
                    let _ = tokio::fs::remove_file(&self.tmp).await;
                } else {
                    tokio::fs::rename(&self.tmp, &target).await.map_err(io)?;
                    sync_dir(target.parent()).await;
                }
            }
        }
        Ok(Ok(StoredBlob {
            sha256,
            size: self.size,
            sniffed: sniff(&self.head),
        }))
    }

    /// Abandons the upload.
    pub async fn discard(self) {
        if self.file.is_some() {
            let _ = tokio::fs::remove_file(&self.tmp).await;
        }
    }
}

/// Stores a whole file under `target` unless the store already holds it: written to `tmp`,
/// made durable, renamed, and the rename made durable. Runs on a blocking thread.
fn store_whole(bytes: &[u8], tmp: &Path, target: &Path) -> std::io::Result<()> {
    use std::io::Write;
    if target.try_exists().unwrap_or(false) {
        return Ok(());
    }
    if let Some(dir) = tmp.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::File::create(tmp)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    let moved = written.and_then(|()| {
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::rename(tmp, target)
    });
    if let Err(e) = moved {
        let _ = std::fs::remove_file(tmp);
        return Err(e);
    }
    if let Some(dir) = target.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

async fn sync_dir(dir: Option<&Path>) {
    if let Some(d) = dir
        && let Ok(f) = tokio::fs::File::open(d).await
    {
        let _ = f.sync_all().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files left under the store's temporary directory.
    fn leftovers(root: &Path) -> usize {
        std::fs::read_dir(root.join("tmp")).map_or(0, |d| d.count())
    }

    async fn store(s: &BlobStore, chunks: &[&[u8]], max: u64) -> Result<StoredBlob, UploadProblem> {
        let mut w = s.writer(max).await.unwrap();
        for c in chunks {
            w.write(c).await?;
        }
        w.finish().await.unwrap()
    }

    #[tokio::test]
    async fn small_and_large_files_are_stored_under_their_hash_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = BlobStore::new(dir.path());
        let small = b"%PDF-1.7 nh\xe1\xbb\x8f".repeat(1000);
        let large: Vec<u8> = (0..IN_MEMORY * 3 + 17).map(|i| (i % 251) as u8).collect();
        for bytes in [&small[..], &large[..]] {
            let (a, b) = bytes.split_at(bytes.len() / 3);
            let got = store(&s, &[a, b], u64::MAX).await.unwrap();
            assert_eq!(got.sha256, hex::encode(Sha256::digest(bytes)));
            assert_eq!(got.size, bytes.len() as u64);
            assert_eq!(s.read(&got.sha256).await.unwrap(), bytes);
        }
        assert_eq!(leftovers(dir.path()), 0, "no temporary file is left behind");
    }

    #[tokio::test]
    async fn content_already_held_is_not_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let s = BlobStore::new(dir.path());
        let first = store(&s, &[b"%PDF-1.4 same"], u64::MAX).await.unwrap();
        let path = s.path(&first.sha256);
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let again = store(&s, &[b"%PDF-1.4 ", b"same"], u64::MAX).await.unwrap();
        assert_eq!(again, first);
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            before
        );
        assert_eq!(leftovers(dir.path()), 0);
    }

    #[tokio::test]
    async fn refused_and_abandoned_uploads_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = BlobStore::new(dir.path());
        assert_eq!(store(&s, &[], 10).await, Err(UploadProblem::Empty));
        assert_eq!(
            store(&s, &[b"0123456789", b"x"], 10).await,
            Err(UploadProblem::TooLarge(10))
        );
        let big = vec![7u8; IN_MEMORY + 1];
        let mut w = s.writer(u64::MAX).await.unwrap();
        w.write(&big).await.unwrap();
        assert_eq!(
            leftovers(dir.path()),
            1,
            "a large upload is streamed to disk"
        );
        w.discard().await;
        assert_eq!(leftovers(dir.path()), 0);
    }
}
