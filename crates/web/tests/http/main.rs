//! The HTTP surface, in process, on a fresh SQLite database with the demo province.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on unexpected answers"
)]

use std::sync::{Arc, Mutex};

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use lienthong_app::{App, AuthSettings, demo};
use lienthong_domain::clock::ManualClock;
use lienthong_store::Db;
use lienthong_web::{AppState, Permission, ROUTES, WebSettings};
use tower::ServiceExt;

struct TestWeb {
    router: Router,
    app: App,
    _dir: tempfile::TempDir,
}

async fn web_with(settings: WebSettings) -> TestWeb {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let clock = ManualClock::new("2026-11-20T03:00:00Z".parse().unwrap());
    let app = App::new(
        db,
        Arc::new(clock),
        AuthSettings::default(),
        dir.path().join("files"),
    );
    demo::ensure_demo(&app).await.unwrap();
    lienthong_app::catalog::rebuild_index(&app).await.unwrap();
    TestWeb {
        router: lienthong_web::router(AppState::new(app.clone(), settings)),
        app,
        _dir: dir,
    }
}

async fn web() -> TestWeb {
    web_with(WebSettings::default()).await
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    bytes: Vec<u8>,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }
}

impl TestWeb {
    /// Produces the documents actions issued, as the server's issuer does after each action.
    async fn issue_documents(&self) {
        lienthong_app::processing::issuer::issue_all_due(&self.app)
            .await
            .unwrap();
    }

    async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut b = Request::get(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<Body>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut b = Request::post(path).header(header::CONTENT_TYPE, content_type);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(body.into()).unwrap()).await
    }

    async fn token(&self, username: &str) -> String {
        let body =
            serde_json::json!({"username": username, "password": demo::DEMO_PASSWORD}).to_string();
        let r = self
            .post("/api/v1/auth/token", "application/json", body, &[])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// Logs in through the form; returns the session cookie value.
    async fn login(&self, username: &str, password: &str) -> Reply {
        let form = self.get("/login", &[]).await;
        let csrf = form.cookie("lt_csrf").unwrap();
        let body = format!(
            "username={}&password={}&csrf_token={csrf}&next=",
            urlencode(username),
            urlencode(password)
        );
        let cookie = format!("lt_csrf={csrf}");
        self.post(
            "/login",
            "application/x-www-form-urlencoded",
            body,
            &[("cookie", &cookie), ("host", "localhost")],
        )
        .await
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A writer that keeps everything the subscriber prints.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A file part: slot, file name, declared type, content.
type Part<'a> = (&'a str, &'a str, &'a str, Vec<u8>);

/// A multipart body with a `dossier` JSON part and file parts `(slot, file name, type, bytes)`.
fn multipart(dossier: &str, files: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "lienthong-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"dossier\"\r\nContent-Type: application/json\r\n\r\n{dossier}\r\n").as_bytes());
    for (slot, name, ct, bytes) in files {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{slot}\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

const LLTP: &str = r#"{"procedure_code":"2.000488","agency_code":"000.00.04.H13","answers":{"applicant_name":"Nguyễn Văn An","applicant_cccd":"092085001234","applicant_phone":"0912345671","applicant_address":{"province_code":"92","commune_code":"31135","detail":"12 Hòa Bình"},"form_number":"1","birth_place":"Cần Thơ","purpose":"Xin việc"}}"#;

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n".to_vec()
}

/// A small but complete PDF (page tree, cross-reference table) that can be signed.
fn signable_pdf() -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for body in [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ] {
        offsets.push(out.len());
        let n = offsets.len();
        out.extend_from_slice(format!("{n} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 4\n0000000000 65535 f \n");
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

fn form_token(body: &str) -> String {
    body.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

mod accounts;
mod catalog;
mod dossiers;
mod hostile;
mod matrix;
mod ops;
mod processing;
mod reports;
mod signatures;
