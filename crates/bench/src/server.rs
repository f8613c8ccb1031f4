//! Starting the server under test as a child process on a fresh data dir.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::BenchError;

/// A running server started by the harness.
pub struct ServerHandle {
    child: Child,
    /// `host:port` it listens on.
    pub addr: String,
    /// Time from spawn to the ready line.
    pub startup: Duration,
    /// The data dir, when the server is its only user (removed after the server stops).
    dir: Option<FreshDir>,
}

impl ServerHandle {
    /// Hands the server its data dir, to be removed once the server has stopped.
    pub fn owning(mut self, dir: FreshDir) -> Self {
        self.dir = Some(dir);
        self
    }

    /// The server's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Resident memory of the server process in MiB (Linux).
    pub fn rss_mb(&self) -> Option<f64> {
        rss_mb_of(self.child.id()?)
    }

    /// Stops the server with SIGTERM and waits for it.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Resident memory of process `pid` in MiB (Linux).
pub fn rss_mb_of(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Open file descriptors of process `pid` (Linux).
pub fn open_fds_of(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// Starts `exe serve` on `data_dir` (with `--demo` when asked), listening on a free loopback
/// port, and waits for its ready line.
pub async fn start_server(
    exe: &Path,
    data_dir: &Path,
    demo: bool,
    database_url: Option<&str>,
    group_commit: bool,
) -> Result<ServerHandle, BenchError> {
    let mut cmd = Command::new(exe);
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"]);
    if demo {
        cmd.arg("--demo");
    }
    if let Some(url) = database_url {
        cmd.arg("--database-url").arg(url);
    }
    cmd.env("LIENTHONG_LOG_FORMAT", "json")
        .env("LIENTHONG_LOG_LEVEL", "warn,lienthong=info")
        .env("LIENTHONG_LOGIN_PER_MINUTE", "1000000")
        .env(
            "LIENTHONG_SQLITE_GROUP_COMMIT",
            if group_commit { "true" } else { "false" },
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = cmd.spawn()?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| BenchError::Server("no stderr".into()))?;
    let mut lines = BufReader::new(stderr).lines();
    let addr = tokio::time::timeout(Duration::from_secs(120), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && v.get("message").and_then(|m| m.as_str()) == Some("lienthong ready")
            {
                let url = v.get("url").and_then(|u| u.as_str()).unwrap_or_default();
                return Some(
                    url.trim_start_matches("http://")
                        .trim_end_matches('/')
                        .to_owned(),
                );
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or_else(|| BenchError::Server("the server did not report ready".into()))?;
    let startup = started.elapsed();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(ServerHandle {
        child,
        addr,
        startup,
        dir: None,
    })
}

/// A fresh data directory under the system temp dir, removed with everything in it when
/// dropped, so that a run of every workload leaves nothing behind.
#[derive(Debug)]
pub struct FreshDir(PathBuf);

impl std::ops::Deref for FreshDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for FreshDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for FreshDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for FreshDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh temporary data directory under the system temp dir.
pub fn fresh_dir(tag: &str) -> std::io::Result<FreshDir> {
    let dir = std::env::temp_dir().join(format!("lienthong-bench-{tag}-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(FreshDir(dir))
}
