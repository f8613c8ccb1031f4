//! A minimal HTTP/1.1 client for the two things signatures fetch over the network — RFC 3161
//! timestamps and CRLs — bounded in time and size. Plain `http://` only (CRLs and most
//! timestamp authorities are served that way; their contents are signed).

use std::{
    io::{Read as _, Write as _},
    time::Duration,
};

/// Why a fetch failed.
fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Sends a request and returns the body of a 200 answer (at most `limit` bytes).
pub fn request(
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: &[u8],
    limit: u64,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// addresses are supported: {url}"))?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let host_port = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:80")
    };
    let addr = std::net::ToSocketAddrs::to_socket_addrs(&host_port)
        .map_err(err)?
        .next()
        .ok_or_else(|| format!("unknown host {host}"))?;
    let mut stream = std::net::TcpStream::connect_timeout(&addr, timeout).map_err(err)?;
    stream.set_read_timeout(Some(timeout)).map_err(err)?;
    stream.set_write_timeout(Some(timeout)).map_err(err)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some(ct) = content_type {
        head.push_str(&format!(
            "Content-Type: {ct}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(err)?;
    stream.write_all(body).map_err(err)?;
    let mut raw = Vec::new();
    stream
        .take(limit.saturating_add(8192))
        .read_to_end(&mut raw)
        .map_err(err)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("malformed HTTP response")?;
    let (head, rest) = raw.split_at(split);
    let status = String::from_utf8_lossy(head.split(|b| *b == b'\n').next().unwrap_or_default())
        .trim()
        .to_owned();
    if !status.contains(" 200 ") {
        return Err(format!("HTTP {status}"));
    }
    let body = rest.get(4..).unwrap_or_default();
    if u64::try_from(body.len()).unwrap_or(u64::MAX) > limit {
        return Err("response too large".into());
    }
    Ok(body.to_vec())
}
