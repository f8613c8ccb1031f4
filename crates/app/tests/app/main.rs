//! Use cases on a real database: SQLite always, PostgreSQL when configured.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on unexpected results"
)]

#[cfg(test)]
mod common;

use jiff::{SignedDuration, civil::date};
use lienthong_app::{
    AppError,
    accounts::{self, NewAccount},
    audit::{self, AuditCtx},
    authz::Caller,
    demo, org, refdata,
};
use lienthong_domain::{
    audit::ChainBreak,
    org::{AgencyLevel, SuccessionKind, UnitLevel, Validity},
    role::{AccountKind, Role},
};
use lienthong_store::org as store_org;

use common::TestApp;

fn citizen(username: &str, cccd: &str) -> NewAccount {
    NewAccount {
        username: username.into(),
        kind: Some(AccountKind::Citizen),
        full_name: "Nguyễn Thị Lan".into(),
        password: "mat-khau-du-dai".into(),
        cccd: Some(cccd.into()),
        email: Some("lan@example.vn".into()),
        phone: Some("0912 345 678".into()),
        ..NewAccount::default()
    }
}

async fn write_rows(t: &TestApp, n: usize) {
    for i in 0..n {
        let mut input = citizen(&format!("user{i}"), &format!("0921950{:05}", 10000 + i));
        input.email = None;
        input.phone = None;
        accounts::create(&t.app, None, &AuditCtx::cli(), &input)
            .await
            .unwrap();
    }
}

fn demo_catalog() -> Vec<lienthong_domain::catalog::Procedure> {
    demo::demo_procedures(&["135.31.90.H13".to_owned(), "120.31.90.H13".to_owned()]).unwrap()
}

async fn stored(t: &TestApp, bytes: &[u8]) -> lienthong_app::blobs::StoredBlob {
    let mut w = t.app.blobs.writer(1024 * 1024).await.unwrap();
    w.write(bytes).await.unwrap();
    w.finish().await.unwrap().unwrap()
}

fn lltp_answers() -> serde_json::Map<String, serde_json::Value> {
    serde_json::json!({
        "applicant_name": "Nguyễn Văn An", "applicant_cccd": "092085001234", "applicant_phone": "0912 345 671",
        "applicant_address": {"province_code": "92", "commune_code": "31135", "detail": "12 Hòa Bình"},
        "form_number": "1", "birth_place": "Cần Thơ", "purpose": "Xin việc"
    })
    .as_object()
    .unwrap()
    .clone()
}

async fn lltp(t: &TestApp, key: Option<&str>) -> lienthong_app::dossiers::Submission {
    use lienthong_app::dossiers::{Submission, UploadedFile};
    let pdf = stored(t, b"%PDF-1.7\n1 0 obj\n").await;
    let jpg = stored(t, &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).await;
    Submission {
        procedure_code: "2.000488".into(),
        agency_code: "000.00.04.H13".into(),
        answers: lltp_answers(),
        files: vec![
            UploadedFile {
                slot: "to_khai".into(),
                file_name: "to-khai.pdf".into(),
                declared_type: Some("application/pdf".into()),
                blob: pdf,
            },
            UploadedFile {
                slot: "giay_to_tuy_than".into(),
                file_name: "cccd.jpg".into(),
                declared_type: None,
                blob: jpg,
            },
        ],
        idempotency_key: key.map(str::to_owned),
    }
}

async fn login(t: &TestApp, user: &str) -> Caller {
    Caller::Account(
        accounts::authenticate(&t.app, &AuditCtx::cli(), user, demo::DEMO_PASSWORD)
            .await
            .unwrap(),
    )
}

/// A real SMTP server (aiosmtpd, PyPI) writing what it receives into a Maildir.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_server() -> Option<SmtpServer> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir.path().join("inbox"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let mut server = match child {
        Ok(c) => SmtpServer {
            child: c,
            port,
            maildir,
        },
        Err(e) => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must provide python3 with aiosmtpd: {e}"
            );
            eprintln!("SKIPPED: python3 is not available to run aiosmtpd");
            return None;
        }
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(server);
        }
        if let Ok(Some(_)) = server.child.try_wait() {
            assert!(
                std::env::var("CI").is_err(),
                "CI must provide aiosmtpd (pip install aiosmtpd)"
            );
            eprintln!("SKIPPED: aiosmtpd is not installed (pip install aiosmtpd)");
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    server.child.kill().ok();
    None
}

/// Decodes quoted-printable text (soft line breaks and `=XX` bytes).
fn unquote(s: &str) -> String {
    let joined = s.replace("=\r\n", "").replace("=\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'=' && i + 2 < b.len())
            .then(|| {
                std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .flatten();
        if let Some(v) = hex {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn delivered(maildir: &std::path::Path) -> Vec<String> {
    let dir = maildir.join("inbox").join("new");
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .map(|m| unquote(&m))
                .collect()
        })
        .unwrap_or_default()
}

mod applications;
mod backups;
mod identity;
mod issuance;
mod notifications;
mod organisation;
mod procedures;
mod processing;
mod reports;
mod signatures;
