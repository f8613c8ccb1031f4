//! A minimal HTTP/1.1 keep-alive client: enough to drive our own server without measuring a
//! heavy client library instead.

use std::time::{Duration, Instant};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// One persistent connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Connects to `addr` (`host:port`).
    pub async fn open(addr: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends a request and returns the status and the body.
    pub async fn fetch(&mut self, request: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        let (status, _) = self.roundtrip(request).await?;
        let body_start = find(&self.buf, b"\r\n\r\n").map_or(self.buf.len(), |i| i + 4);
        Ok((
            status,
            self.buf.get(body_start..).unwrap_or_default().to_vec(),
        ))
    }

    /// Sends a prepared request and reads the whole answer; returns the status and latency.
    pub async fn roundtrip(&mut self, request: &[u8]) -> std::io::Result<(u16, Duration)> {
        let start = Instant::now();
        self.stream.write_all(request).await?;
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.read_more().await?;
        };
        let head =
            String::from_utf8_lossy(self.buf.get(..head_end).unwrap_or_default()).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let lower = head.to_ascii_lowercase();
        if let Some(len) = header(&lower, "content-length").and_then(|v| v.parse::<usize>().ok()) {
            while self.buf.len() < head_end + len {
                self.read_more().await?;
            }
        } else if header(&lower, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            while find(self.buf.get(head_end..).unwrap_or_default(), b"0\r\n\r\n").is_none() {
                self.read_more().await?;
            }
        }
        Ok((status, start.elapsed()))
    }

    async fn read_more(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        self.buf
            .extend_from_slice(chunk.get(..n).unwrap_or_default());
        Ok(())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        l.strip_prefix(name)
            .and_then(|r| r.strip_prefix(':'))
            .map(str::trim)
    })
}

/// A GET request for `path` on `host`.
pub fn get(host: &str, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: lienthong-bench\r\n\r\n")
        .into_bytes()
}

/// A request with a body.
pub fn with_body(
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    content_type: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: lienthong-bench\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A GET request with extra headers.
pub fn get_with(host: &str, path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut head =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: lienthong-bench\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}
