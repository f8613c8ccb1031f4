//! Hostile connections against the real binary: clients that trickle their headers
//! (slow-loris), clients that never finish their body, and more connections than allowed (in
//! all, and from one address).
//! Each is cut off within its limit while other clients are still served.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::zombie_processes,
    reason = "tests fail loudly on unexpected answers; servers are waited for on drop"
)]

mod common;

use std::{
    io::{ErrorKind, Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use common::Server;

/// How long until the server closes `conn` (reads until end of stream), or `None` if it is
/// still open after `within`.
fn closed_within(conn: &mut TcpStream, within: Duration) -> Option<(Duration, String)> {
    let start = Instant::now();
    conn.set_read_timeout(Some(within)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match conn.read(&mut buf) {
            Ok(0) => return Some((start.elapsed(), String::from_utf8_lossy(&got).into_owned())),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None;
            }
            Err(_) => return Some((start.elapsed(), String::from_utf8_lossy(&got).into_owned())),
        }
        if start.elapsed() > within {
            return None;
        }
    }
}

fn start(dir: &std::path::Path) -> Server {
    let config = dir.join("lienthong.toml");
    std::fs::write(
        &config,
        "header_timeout_seconds = 1\nrequest_timeout_seconds = 2\nmax_connections = 40\n",
    )
    .unwrap();
    Server::start(dir, &["--config", config.to_str().unwrap()])
}

#[test]
fn a_client_that_trickles_its_headers_is_disconnected_and_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let mut slow: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut c = TcpStream::connect(&s.addr).unwrap();
            c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            c
        })
        .collect();
    // Others are served while the slow ones hold their connections.
    assert!(s.get("/healthz").starts_with("HTTP/1.1 200"));
    std::thread::sleep(Duration::from_millis(300));
    for c in &mut slow {
        // One more byte, as a slow-loris client does, before the limit.
        let _ = c.write_all(b"a");
    }
    for c in &mut slow {
        let (after, _) = closed_within(c, Duration::from_secs(5))
            .unwrap_or_else(|| panic!("a slow client kept its connection"));
        assert!(after < Duration::from_secs(3), "closed after {after:?}");
    }
    assert!(s.get("/healthz").starts_with("HTTP/1.1 200"));
}

#[test]
fn a_body_that_never_ends_gets_a_timeout_answer() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let mut c = TcpStream::connect(&s.addr).unwrap();
    c.write_all(
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"user",
    )
    .unwrap();
    let (after, reply) = closed_within(&mut c, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("the request was never cut off"));
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(
        reply.contains("application/problem+json") && reply.contains("Quá thời gian"),
        "{reply}"
    );
    assert!(after < Duration::from_secs(5), "answered after {after:?}");
}

#[test]
fn connections_beyond_the_limit_are_closed_and_the_server_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let mut held: Vec<TcpStream> = (0..40)
        .map(|_| TcpStream::connect(&s.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = TcpStream::connect(&s.addr).unwrap();
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let (_, reply) = closed_within(&mut extra, Duration::from_secs(2))
        .unwrap_or_else(|| panic!("the connection over the limit stayed open"));
    assert!(reply.is_empty(), "served over the limit: {reply}");
    // Idle connections are dropped at the header timeout, and the slots come back.
    for c in &mut held {
        assert!(closed_within(c, Duration::from_secs(5)).is_some());
    }
    drop(held);
    std::thread::sleep(Duration::from_millis(200));
    assert!(s.get("/healthz").starts_with("HTTP/1.1 200"));
}

#[test]
fn one_address_cannot_take_every_connection() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("lienthong.toml");
    std::fs::write(
        &config,
        "header_timeout_seconds = 5\nmax_connections = 40\nmax_connections_per_address = 5\n",
    )
    .unwrap();
    let s = Server::start(dir.path(), &["--config", config.to_str().unwrap()]);
    let held: Vec<TcpStream> = (0..5)
        .map(|_| TcpStream::connect(&s.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut sixth = TcpStream::connect(&s.addr).unwrap();
    let _ = sixth.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let (_, reply) = closed_within(&mut sixth, Duration::from_secs(2))
        .unwrap_or_else(|| panic!("a sixth connection from the same address stayed open"));
    assert!(
        reply.is_empty(),
        "served over the per-address limit: {reply}"
    );
    // Closing one gives its place back.
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    assert!(s.get("/healthz").starts_with("HTTP/1.1 200"));
}
