//! Running the binary: a command to completion, or a server until it is stopped or killed.
#![allow(dead_code, reason = "each test binary uses a part")]

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lienthong"));
    c.env_remove("LIENTHONG_DATABASE_URL")
        .env_remove("LIENTHONG_LISTEN")
        .env("LIENTHONG_LOG_FORMAT", "json");
    c
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    bin()
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub struct Server {
    pub child: Child,
    pub addr: String,
    pub log: std::sync::mpsc::Receiver<String>,
}

impl Server {
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        let mut child = bin()
            .arg("--data-dir")
            .arg(dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        loop {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("no ready line: {seen:?}"));
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && v["message"] == "lienthong ready"
            {
                let url = v["url"].as_str().unwrap();
                let addr = url
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_owned();
                return Server {
                    child,
                    addr,
                    log: rx,
                };
            }
            seen.push(line);
        }
    }

    pub fn request(&self, raw: &str) -> String {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.write_all(raw.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    pub fn get(&self, path: &str) -> String {
        self.request(&format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        ))
    }

    pub fn terminate(&mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
