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
        router: lienthong_web::router(AppState::new(app, settings)),
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
    async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
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

#[tokio::test]
async fn operations_endpoints_answer() {
    let w = web().await;
    let h = w.get("/healthz", &[]).await;
    assert_eq!(
        (h.status, h.json()),
        (StatusCode::OK, serde_json::json!({"status": "ok"}))
    );
    assert!(h.headers.contains_key("x-request-id"));
    let r = w.get("/readyz", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let m = w.get("/metrics", &[]).await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.body.contains("http_requests_total"), "{}", m.body);
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let app = App::new(
        db.clone(),
        Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH)),
        AuthSettings::default(),
        dir.path().join("files"),
    );
    let w = TestWeb {
        router: lienthong_web::router(AppState::new(app, WebSettings::default())),
        _dir: dir,
    };
    db.close().await;
    let r = w.get("/readyz", &[]).await;
    assert_eq!(
        (r.status, r.json()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "unavailable"})
        )
    );
    assert_eq!(w.get("/healthz", &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_committed_openapi_document_matches_the_code() {
    let generated = lienthong_web::openapi_json();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, format!("{generated}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        committed.trim_end(),
        generated,
        "docs/openapi.json drifted: run UPDATE_OPENAPI=1 cargo test -p lienthong-web"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let w = web().await;
    assert_eq!(w.get("/api/openapi.json", &[]).await.json(), doc);
}

#[tokio::test]
async fn every_route_declares_a_permission_and_every_declared_route_exists() {
    let doc = lienthong_web::openapi();
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("DELETE", item.delete.is_some()),
            ("PATCH", item.patch.is_some()),
        ];
        for (method, present) in methods {
            if present {
                assert!(
                    ROUTES.iter().any(|r| r.method == method && r.path == path),
                    "{method} {path} has no declared permission"
                );
            }
        }
    }
    let w = web().await;
    for r in ROUTES {
        let code = if r.path.contains("procedures") {
            "1.001193"
        } else {
            "000.00.00.H13"
        };
        let path = r
            .path
            .replace("{code}", code)
            .replace("{tag}", "en")
            .replace("{slot}", "to_khai");
        let method = Method::from_bytes(r.method.as_bytes()).unwrap();
        let reply = w
            .send(
                Request::builder()
                    .method(method)
                    .uri(&path)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert!(
            reply.status != StatusCode::NOT_FOUND && reply.status != StatusCode::METHOD_NOT_ALLOWED,
            "{} {path} is declared but not routed ({})",
            r.method,
            reply.status
        );
        if r.permission != Permission::Public && r.method == "GET" {
            assert!(
                matches!(
                    reply.status,
                    StatusCode::UNAUTHORIZED | StatusCode::SEE_OTHER | StatusCode::FORBIDDEN
                ),
                "{path} answered {} to an anonymous caller",
                reply.status
            );
        }
    }
}

#[tokio::test]
async fn token_endpoint_issues_rejects_and_rate_limits() {
    let w = web_with(WebSettings {
        login_per_minute: 4,
        ..WebSettings::default()
    })
    .await;
    let token = w.token("leader@000.00.04.H13").await;
    let me = w
        .get(
            "/api/v1/me",
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(me.status, StatusCode::OK);
    insta::assert_json_snapshot!("me_leader", me.json(), {".id" => "[id]"});
    let bad = w
        .post(
            "/api/v1/auth/token",
            "application/json",
            r#"{"username":"citizen1","password":"wrong-password"}"#,
            &[],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad.headers["content-type"], "application/problem+json");
    insta::assert_json_snapshot!("token_unauthorized_vi", bad.json());
    let _ = w
        .post(
            "/api/v1/auth/token",
            "application/json",
            r#"{"username":"citizen1","password":"x"}"#,
            &[],
        )
        .await;
    let _ = w
        .post(
            "/api/v1/auth/token",
            "application/json",
            r#"{"username":"citizen1","password":"x"}"#,
            &[],
        )
        .await;
    let limited = w
        .post(
            "/api/v1/auth/token",
            "application/json",
            r#"{"username":"citizen1","password":"x"}"#,
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key("retry-after"));
    insta::assert_json_snapshot!("token_rate_limited_en", limited.json());
    let anon = w.get("/api/v1/me", &[]).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    let forged = w
        .get("/api/v1/me", &[("authorization", "Bearer lt_forged")])
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_and_oversized_json_get_problem_answers() {
    let w = web().await;
    let cases = [
        (
            "application/json",
            "{\"username\":".to_owned(),
            StatusCode::BAD_REQUEST,
            "truncated",
        ),
        (
            "application/json",
            "{\"username\":1,\"password\":\"x\"}".to_owned(),
            StatusCode::BAD_REQUEST,
            "wrong_type",
        ),
        (
            "application/json",
            "{\"username\":\"a\",\"password\":\"b\",\"admin\":true}".to_owned(),
            StatusCode::BAD_REQUEST,
            "unknown_field",
        ),
        (
            "text/plain",
            "{}".to_owned(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "media_type",
        ),
        (
            "application/json",
            format!(
                "{{\"username\":\"{}\",\"password\":\"x\"}}",
                "a".repeat(2 * 1024 * 1024)
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
    ];
    for (ct, body, status, name) in cases {
        let r = w.post("/api/v1/auth/token", ct, body, &[]).await;
        assert_eq!(r.status, status, "{name}: {}", r.body);
        assert_eq!(
            r.headers["content-type"], "application/problem+json",
            "{name}"
        );
        let mut v = r.json();
        if let Some(d) = v.get_mut("detail") {
            // serde's wording of the position is not ours to pin.
            *d = serde_json::Value::String(
                d.as_str().unwrap().split(':').next().unwrap().to_owned(),
            );
        }
        insta::assert_json_snapshot!(format!("json_{name}"), v);
    }
    let bad_query = w.get("/api/v1/admin-units?level=hamlet", &[]).await;
    assert_eq!(bad_query.status, StatusCode::UNPROCESSABLE_ENTITY);
    insta::assert_json_snapshot!("admin_units_bad_level", bad_query.json());
    let bad_date = w
        .get(
            "/api/v1/agencies?at=31/12/2024",
            &[("accept-language", "en")],
        )
        .await;
    insta::assert_json_snapshot!("agencies_bad_date_en", bad_date.json());
}

#[tokio::test]
async fn unknown_routes_get_a_vietnamese_page_or_a_problem() {
    let w = web().await;
    let page = w.get("/khong-co", &[]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("<html lang=\"vi\">"));
    assert!(page.body.contains("Không tìm thấy trang"), "{}", page.body);
    let en = w
        .get("/nope", &[("accept-language", "en-GB,en;q=0.9")])
        .await;
    assert!(en.body.contains("Page not found"));
    let api = w.get("/api/v1/khong-co", &[]).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    insta::assert_json_snapshot!("api_not_found", api.json());
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let w = web().await;
    for path in [
        "/",
        "/login",
        "/api/v1/admin-units?level=province",
        "/nowhere",
    ] {
        let r = w.get(path, &[]).await;
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["referrer-policy"], "same-origin");
        assert!(!r.headers.contains_key("strict-transport-security"));
    }
    let tls = web_with(WebSettings {
        hsts: true,
        secure_cookies: true,
        ..WebSettings::default()
    })
    .await;
    assert!(
        tls.get("/", &[])
            .await
            .headers
            .contains_key("strict-transport-security")
    );
    let login = tls.login("citizen1", demo::DEMO_PASSWORD).await;
    let set = login
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert!(
        set.iter().any(|c| c.starts_with("lt_session=")
            && c.contains("Secure")
            && c.contains("HttpOnly")
            && c.contains("SameSite=Lax")),
        "{set:?}"
    );
}

#[tokio::test]
async fn organisation_catalogs_follow_the_contract() {
    let w = web().await;
    let provinces = w
        .get("/api/v1/admin-units?level=province", &[])
        .await
        .json();
    assert_eq!(provinces["items"].as_array().unwrap().len(), 34);
    let before = w
        .get("/api/v1/admin-units?level=province&at=2025-06-30", &[])
        .await
        .json();
    assert_eq!(before["items"].as_array().unwrap().len(), 63);
    let communes = w
        .get("/api/v1/admin-units?level=commune&parent=92", &[])
        .await
        .json();
    let items = communes["items"].as_array().unwrap();
    assert_eq!(items.len(), 103);
    insta::assert_json_snapshot!(
        "commune_31135",
        items.iter().find(|c| c["code"] == "31135").unwrap()
    );
    let q = w.get("/api/v1/agencies?q=so%20tu%20phap", &[]).await.json();
    insta::assert_json_snapshot!("agency_search_folded", q);
    let nfd = w
        .get(
            &format!("/api/v1/agencies?q={}", urlencode("Sở Tư pháp")),
            &[],
        )
        .await
        .json();
    assert_eq!(nfd, q);
    let history = w.get("/api/v1/agencies/000.00.07.H13", &[]).await.json();
    insta::assert_json_snapshot!("agency_history_renamed", history);
    assert_eq!(
        w.get("/api/v1/agencies/999.99.99.H99", &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn login_logout_csrf_and_session_fixation() {
    let w = web().await;
    let page = w.get("/login", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"csrf_token\""));
    // Without the anti-forgery cookie the form is refused.
    let forged = w
        .post(
            "/login",
            "application/x-www-form-urlencoded",
            "username=citizen1&password=lienthong-demo&csrf_token=abc",
            &[("cookie", "lt_csrf=xyz")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.cookie("lt_session").is_none());
    // A cross-site post is refused even with matching tokens.
    let csrf = w.get("/login", &[]).await.cookie("lt_csrf").unwrap();
    let cross = w
        .post(
            "/login",
            "application/x-www-form-urlencoded",
            format!("username=citizen1&password=lienthong-demo&csrf_token={csrf}"),
            &[
                ("cookie", &format!("lt_csrf={csrf}")),
                ("origin", "https://evil.example"),
                ("host", "localhost"),
            ],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let wrong = w.login("citizen1", "not-the-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .body
            .contains("Tên đăng nhập hoặc mật khẩu không đúng.")
    );
    assert!(wrong.body.contains("role=\"alert\""));
    let ok = w.login("citizen1", demo::DEMO_PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.headers["location"], "/account");
    let session = ok.cookie("lt_session").unwrap();
    let cookie = format!("lt_session={session}");
    let account = w.get("/account", &[("cookie", &cookie)]).await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.body.contains("Nguyễn Văn An"));
    // A citizen cannot open the office.
    assert_eq!(
        w.get("/office", &[("cookie", &cookie)]).await.status,
        StatusCode::FORBIDDEN
    );
    // Logging out needs the session's form token.
    let no_token = w
        .post(
            "/logout",
            "application/x-www-form-urlencoded",
            "csrf_token=wrong",
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let form_token = account
        .body
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let out = w
        .post(
            "/logout",
            "application/x-www-form-urlencoded",
            format!("csrf_token={form_token}"),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    // The old cookie is dead on the server, not only in the browser.
    let after = w.get("/account", &[("cookie", &cookie)]).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    // Session fixation: a session id planted before login is never the one issued.
    let planted = "lt_session=planted-by-attacker";
    let csrf = w.get("/login", &[]).await.cookie("lt_csrf").unwrap();
    let fixed = w
        .post(
            "/login",
            "application/x-www-form-urlencoded",
            format!("username=reception%40000.00.20.H13&password=lienthong-demo&csrf_token={csrf}&next=%2Foffice"),
            &[("cookie", &format!("{planted}; lt_csrf={csrf}"))],
        )
        .await;
    assert_eq!(fixed.status, StatusCode::SEE_OTHER);
    assert_eq!(fixed.headers["location"], "/office");
    let issued = fixed.cookie("lt_session").unwrap();
    assert_ne!(issued, "planted-by-attacker");
    let office = w
        .get("/office", &[("cookie", &format!("lt_session={issued}"))])
        .await;
    assert_eq!(office.status, StatusCode::OK);
    assert!(
        office
            .body
            .contains("Trung tâm Phục vụ hành chính công thành phố Cần Thơ"),
        "{}",
        office.body
    );
    // Cookie-authenticated API writes need the CSRF header.
    let api = w
        .post(
            "/api/v1/auth/token",
            "application/json",
            "{}",
            &[("cookie", &format!("lt_session={issued}"))],
        )
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn office_pages_follow_roles() {
    let w = web().await;
    let session = |r: Reply| format!("lt_session={}", r.cookie("lt_session").unwrap());
    let auditor = session(w.login("auditor@000.00.00.H13", demo::DEMO_PASSWORD).await);
    let audit = w.get("/office/audit", &[("cookie", &auditor)]).await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(
        audit.body.contains("Chuỗi nhật ký toàn vẹn"),
        "{}",
        audit.body
    );
    let clerk = session(w.login("clerk@000.00.04.H13", demo::DEMO_PASSWORD).await);
    assert_eq!(
        w.get("/office/audit", &[("cookie", &clerk)]).await.status,
        StatusCode::FORBIDDEN
    );
    let office = w.get("/office?lang=en", &[("cookie", &clerk)]).await;
    assert!(office.body.contains("Clerk") && office.body.contains("<html lang=\"en\">"));
    assert_eq!(
        w.get("/office", &[]).await.headers["location"],
        "/login?next=/office"
    );
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

#[tokio::test]
async fn json_logs_never_contain_identity_numbers_phones_or_passwords() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let w = web().await;
    let cccd = "092085001234";
    let phone = "0912345671";
    let password = "Mat-Khau-Bi-Mat-42";
    for _ in 0..6 {
        let body = serde_json::json!({"username": cccd, "password": password}).to_string();
        w.post("/api/v1/auth/token", "application/json", body, &[])
            .await;
    }
    w.post(
        "/api/v1/auth/token",
        "application/json",
        format!("{{\"username\":\"{phone}\",\"password\":"),
        &[],
    )
    .await;
    w.get(&format!("/api/v1/agencies?q={cccd}&phone={phone}"), &[])
        .await;
    w.login("citizen1", password).await;
    w.get(&format!("/khong-co/{cccd}"), &[]).await;
    let out = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        out.contains("\"target\":\"access\""),
        "access lines are written: {out}"
    );
    for secret in [cccd, phone, password, "lienthong-demo"] {
        assert!(!out.contains(secret), "log contains {secret}");
    }
    for line in out.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
}

#[tokio::test]
async fn account_creation_api_checks_scope_fields_and_duplicates() {
    let w = web().await;
    let admin = format!("Bearer {}", w.token("admin@000.00.04.H13").await);
    let body = |user: &str, agency: &str| {
        serde_json::json!({
            "username": user, "kind": "official", "full_name": "Phạm Văn Dũng",
            "password": "mat-khau-du-dai", "agency_code": agency, "roles": ["specialist"],
            "email": "dung@stp.cantho.gov.vn", "phone": "0292 3812 345"
        })
        .to_string()
    };
    let created = w
        .post(
            "/api/v1/accounts",
            "application/json",
            body("dung.stp", "000.00.04.H13"),
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    insta::assert_json_snapshot!("account_created", created.json(), {".id" => "[id]"});
    let dup = w
        .post(
            "/api/v1/accounts",
            "application/json",
            body("DUNG.STP", "000.00.04.H13"),
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let other = w
        .post(
            "/api/v1/accounts",
            "application/json",
            body("dung.sxd", "000.00.05.H13"),
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(
        other.status,
        StatusCode::FORBIDDEN,
        "an agency admin cannot create accounts in another agency"
    );
    let citizen = format!("Bearer {}", w.token("citizen2").await);
    let by_citizen = w
        .post(
            "/api/v1/accounts",
            "application/json",
            body("x.stp", "000.00.04.H13"),
            &[("authorization", &citizen)],
        )
        .await;
    assert_eq!(by_citizen.status, StatusCode::FORBIDDEN);
    let anonymous = w
        .post(
            "/api/v1/accounts",
            "application/json",
            body("y.stp", "000.00.04.H13"),
            &[],
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let invalid = serde_json::json!({
        "username": "công dân", "kind": "citizen", "full_name": "A", "password": "ngan",
        "cccd": "09219500111", "email": "a@b", "phone": "123", "roles": ["chief"]
    });
    let bad = w
        .post(
            "/api/v1/accounts",
            "application/json",
            invalid.to_string(),
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    insta::assert_json_snapshot!("account_invalid_fields_vi", bad.json());
}

#[tokio::test]
async fn citizens_register_through_the_form_and_keep_their_input_on_errors() {
    let w = web().await;
    let form = w.get("/register", &[]).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.cookie("lt_csrf").unwrap();
    let cookie = format!("lt_csrf={csrf}");
    let w = &w;
    let send = |fields: &str| {
        let body = format!("{fields}&csrf_token={csrf}");
        let cookie = cookie.clone();
        async move {
            w.post(
                "/register",
                "application/x-www-form-urlencoded",
                body,
                &[("cookie", &cookie)],
            )
            .await
        }
    };
    let bad = send("full_name=Ph%E1%BA%A1m+Th%E1%BB%8B+Mai&cccd=003195001111&phone=12&email=&username=mai.pham&password=mat-khau-du-dai&password_confirm=mat-khau-du-dai").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("ba chữ số đầu không phải mã tỉnh"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("Số điện thoại không hợp lệ"));
    assert!(
        bad.body.contains("value=\"Phạm Thị Mai\""),
        "what was typed is kept"
    );
    assert!(bad.body.contains("aria-invalid=\"true\""));
    assert!(
        !bad.body.contains("mat-khau-du-dai"),
        "passwords are never echoed"
    );
    let mismatch = send("full_name=Mai&cccd=092195001111&username=mai.pham&password=mat-khau-du-dai&password_confirm=khac-hoan-toan").await;
    assert!(mismatch.body.contains("Hai lần nhập mật khẩu không khớp."));
    let ok = send("full_name=Ph%E1%BA%A1m+Th%E1%BB%8B+Mai&cccd=092195001111&phone=0912345679&email=mai%40example.vn&username=mai.pham&password=mat-khau-du-dai&password_confirm=mat-khau-du-dai").await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let session = format!("lt_session={}", ok.cookie("lt_session").unwrap());
    assert!(
        w.get("/account", &[("cookie", &session)])
            .await
            .body
            .contains("Phạm Thị Mai")
    );
    let again = send("full_name=Mai&cccd=092195001111&username=mai.other&password=mat-khau-du-dai&password_confirm=mat-khau-du-dai").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let forged = w
        .post(
            "/register",
            "application/x-www-form-urlencoded",
            "full_name=X&csrf_token=nope",
            &[("cookie", "lt_csrf=other")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_catalog_api_follows_the_contract() {
    let w = web().await;
    let list = w
        .get(
            "/api/v1/procedures?q=cap%20giay%20phep%20xay%20dung&limit=2",
            &[],
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let v = list.json();
    assert_eq!(v["items"][0]["code"], "1.009994");
    insta::assert_json_snapshot!("procedures_search", v, {".items[].agency_codes" => "[agency codes]"});
    let next = v["next_cursor"].as_str().unwrap();
    let page2 = w
        .get(
            &format!("/api/v1/procedures?q=cap%20giay%20phep%20xay%20dung&limit=2&cursor={next}"),
            &[],
        )
        .await
        .json();
    assert_ne!(page2["items"][0]["code"], v["items"][0]["code"]);
    let by_field = w
        .get("/api/v1/procedures?field=ho-tich&limit=100", &[])
        .await
        .json();
    assert!(
        by_field["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["field"]["code"] == "ho-tich")
    );
    let detail = w.get("/api/v1/procedures/2.000488", &[]).await;
    assert_eq!(detail.status, StatusCode::OK);
    insta::assert_json_snapshot!("procedure_detail", detail.json());
    let missing = w.get("/api/v1/procedures/9.999999", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let bad = w.get("/api/v1/procedures?limit=1000", &[]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn catalog_pages_render_search_results_and_procedures() {
    let w = web().await;
    let results = w.get("/procedures?q=cap+giay+phep+xay+dung", &[]).await;
    assert_eq!(results.status, StatusCode::OK);
    let first = results
        .body
        .find("Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ")
        .unwrap();
    let other = results.body.find("Cấp giấy phép sửa chữa").unwrap();
    assert!(first < other, "ranked as the API ranks");
    assert!(
        results.body.contains("value=\"cap giay phep xay dung\""),
        "the query stays in the box"
    );
    let page = w.get("/procedures/1.009994", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "15 ngày làm việc",
        "75.000 đồng",
        "Giấy phép xây dựng",
        "Trực tuyến toàn trình",
        "Luật Xây dựng",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    let province = w.get("/procedures/2.000488", &[]).await;
    assert!(province.body.contains("Sở Tư pháp thành phố Cần Thơ"));
    let missing = w.get("/procedures/9.999999", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("/procedures"));
    let birth = w.get("/procedures/1.001193", &[]).await;
    assert!(
        birth
            .body
            .contains("/procedures/1.001193/templates/to_khai"),
        "template link"
    );
    let template = w.get("/procedures/1.001193/templates/to_khai", &[]).await;
    assert_eq!(template.status, StatusCode::OK);
    assert_eq!(template.headers["content-type"], "application/pdf");
    assert_eq!(
        w.get("/procedures/1.001193/templates/giay_chung_sinh", &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let hostile = w
        .get("/procedures?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", &[])
        .await;
    assert_eq!(hostile.status, StatusCode::OK);
    assert!(
        !hostile.body.contains("<script>alert(1)</script>"),
        "input is escaped"
    );
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

#[tokio::test]
async fn dossier_submission_api_refuses_hostile_files_and_is_idempotent() {
    let w = web().await;
    let bearer = format!("Bearer {}", w.token("citizen1").await);
    let good = vec![
        ("to_khai", "../../etc/to-khai.pdf", "application/pdf", pdf()),
        ("giay_to_tuy_than", "cccd.pdf", "application/pdf", pdf()),
    ];
    let (ct, body) = multipart(LLTP, &good);
    let created = w
        .post(
            "/api/v1/dossiers",
            &ct,
            body.clone(),
            &[("authorization", &bearer), ("idempotency-key", "abc")],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    insta::assert_json_snapshot!("dossier_created", created.json(), {".received_at" => "[time]", ".history[].at" => "[time]"});
    let again = w
        .post(
            "/api/v1/dossiers",
            &ct,
            body,
            &[("authorization", &bearer), ("idempotency-key", "abc")],
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["code"], created.json()["code"]);
    let code = created.json()["code"].as_str().unwrap().to_owned();
    let read = w
        .get(
            &format!("/api/v1/dossiers/{code}"),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let other = format!("Bearer {}", w.token("citizen2").await);
    assert_eq!(
        w.get(
            &format!("/api/v1/dossiers/{code}"),
            &[("authorization", &other)]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let desk = format!("Bearer {}", w.token("reception@000.00.04.H13").await);
    assert_eq!(
        w.get(
            &format!("/api/v1/dossiers/{code}"),
            &[("authorization", &desk)]
        )
        .await
        .status,
        StatusCode::OK
    );
    let elsewhere = format!("Bearer {}", w.token("reception@000.00.05.H13").await);
    assert_eq!(
        w.get(
            &format!("/api/v1/dossiers/{code}"),
            &[("authorization", &elsewhere)]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let tracked = w
        .get(
            &format!("/api/v1/tracking?code={code}&phone_last4=5671"),
            &[],
        )
        .await;
    assert_eq!(tracked.status, StatusCode::OK);
    assert!(
        !tracked.body.contains("092085001234") && !tracked.body.contains("Nguyễn Văn An"),
        "no personal data in tracking"
    );
    assert_eq!(
        w.get(
            &format!("/api/v1/tracking?code={code}&phone_last4=1111"),
            &[]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    let cases: Vec<(&str, Vec<Part<'_>>, &str)> = vec![
        (
            "empty",
            vec![
                ("to_khai", "a.pdf", "application/pdf", Vec::new()),
                ("giay_to_tuy_than", "b.pdf", "application/pdf", pdf()),
            ],
            "Tệp rỗng",
        ),
        (
            "extension lies",
            vec![
                ("to_khai", "a.png", "image/png", pdf()),
                ("giay_to_tuy_than", "b.pdf", "application/pdf", pdf()),
            ],
            "không khớp",
        ),
        (
            "html polyglot",
            vec![
                (
                    "to_khai",
                    "a.pdf",
                    "application/pdf",
                    b"<html><body>%PDF-1.4</body></html>".to_vec(),
                ),
                ("giay_to_tuy_than", "b.pdf", "application/pdf", pdf()),
            ],
            "không phải PDF",
        ),
        (
            "zip",
            vec![
                (
                    "to_khai",
                    "a.pdf",
                    "application/pdf",
                    b"PK\x03\x04zipbomb".to_vec(),
                ),
                ("giay_to_tuy_than", "b.pdf", "application/pdf", pdf()),
            ],
            "không phải PDF",
        ),
        (
            "too large",
            vec![
                (
                    "to_khai",
                    "a.pdf",
                    "application/pdf",
                    [pdf(), vec![b' '; 21 * 1024 * 1024]].concat(),
                ),
                ("giay_to_tuy_than", "b.pdf", "application/pdf", pdf()),
            ],
            "Tệp quá lớn",
        ),
        (
            "missing slot",
            vec![("to_khai", "a.pdf", "application/pdf", pdf())],
            "Cần đính kèm",
        ),
    ];
    for (name, files, expected) in cases {
        let (ct, body) = multipart(LLTP, &files);
        let r = w
            .post("/api/v1/dossiers", &ct, body, &[("authorization", &bearer)])
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.body
        );
        assert!(r.body.contains(expected), "{name}: {}", r.body);
    }
    let (ct, body) = multipart("{not json", &good);
    assert_eq!(
        w.post("/api/v1/dossiers", &ct, body, &[("authorization", &bearer)])
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let broken = w
        .post(
            "/api/v1/dossiers",
            "multipart/form-data; boundary=x",
            "--x\r\nContent-Disposition: form-data; name=\"dossier\"\r\n\r\n{",
            &[("authorization", &bearer)],
        )
        .await;
    assert!(broken.status.is_client_error(), "{}", broken.status);
    let (ct, body) = multipart(LLTP, &good);
    assert_eq!(
        w.post("/api/v1/dossiers", &ct, body.clone(), &[])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        w.post("/api/v1/dossiers", &ct, body, &[("authorization", &desk)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
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

#[tokio::test]
async fn drafts_belong_to_their_owner_and_hostile_text_is_shown_safely() {
    let w = web().await;
    let login = w.login("citizen1", demo::DEMO_PASSWORD).await;
    let me = format!("lt_session={}", login.cookie("lt_session").unwrap());
    let page = w.get("/procedures/2.000488", &[("cookie", &me)]).await;
    let token = form_token(&page.body);
    let started = w
        .post(
            "/procedures/2.000488/apply",
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}"),
            &[("cookie", &me)],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let draft = started.headers["location"].to_str().unwrap().to_owned();
    assert!(draft.starts_with("/drafts/"));
    // Forged posts change nothing.
    let forged = w
        .post(
            &format!("{draft}/q1"),
            "application/x-www-form-urlencoded",
            "csrf_token=wrong&applicant_name=X",
            &[("cookie", &me)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let bidi = format!(
        "csrf_token={token}&applicant_name={}",
        urlencode("Nguy\u{202e}ễn")
    );
    let refused = w
        .post(
            &format!("{draft}/q1"),
            "application/x-www-form-urlencoded",
            bidi,
            &[("cookie", &me)],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bidirectional overrides are refused"
    );
    let hostile = "<script>alert('x')</script> Nguyễn";
    let body = format!("csrf_token={token}&applicant_name={}", urlencode(hostile));
    let saved = w
        .post(
            &format!("{draft}/q1"),
            "application/x-www-form-urlencoded",
            body,
            &[("cookie", &me)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let back = w.get(&format!("{draft}/q1"), &[("cookie", &me)]).await;
    assert!(
        back.body.contains("&lt;script&gt;") || back.body.contains("&#60;script&#62;"),
        "escaped on the page: {}",
        back.body
    );
    assert!(!back.body.contains("<script>alert"), "never raw");
    let long = "A".repeat(600);
    let too_long = w
        .post(
            &format!("{draft}/q1"),
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}&applicant_name={long}"),
            &[("cookie", &me)],
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_long.body.contains("Tối đa 100 ký tự") && too_long.body.contains(&long),
        "error shown, input kept"
    );
    // Another citizen cannot see or change the draft.
    let other = w.login("citizen2", demo::DEMO_PASSWORD).await;
    let them = format!("lt_session={}", other.cookie("lt_session").unwrap());
    assert_eq!(
        w.get(&format!("{draft}/q1"), &[("cookie", &them)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let their_token = form_token(&w.get("/my", &[("cookie", &them)]).await.body);
    let tamper = w
        .post(
            &format!("{draft}/q1"),
            "application/x-www-form-urlencoded",
            format!("csrf_token={their_token}&applicant_name=Hacked"),
            &[("cookie", &them)],
        )
        .await;
    assert_eq!(tamper.status, StatusCode::NOT_FOUND);
    // Officials cannot apply; anonymous callers are sent to log in.
    assert_eq!(w.get(&draft, &[]).await.status, StatusCode::SEE_OTHER);
    let official = w
        .login("reception@000.00.04.H13", demo::DEMO_PASSWORD)
        .await;
    let desk = format!("lt_session={}", official.cookie("lt_session").unwrap());
    assert_eq!(
        w.get(&draft, &[("cookie", &desk)]).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn administrators_version_procedures_in_the_office() {
    let w = web().await;
    let admin = format!(
        "lt_session={}",
        w.login("admin@000.00.00.H13", demo::DEMO_PASSWORD)
            .await
            .cookie("lt_session")
            .unwrap()
    );
    let list = w.get("/office/procedures", &[("cookie", &admin)]).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Đăng ký khai sinh"));
    let form = w
        .get("/office/procedures/1.001193", &[("cookie", &admin)])
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let token = form_token(&form.body);
    let form_json = form
        .body
        .split("name=\"form\" rows=\"12\" spellcheck=\"false\">")
        .nth(1)
        .unwrap()
        .split("</textarea>")
        .next()
        .unwrap();
    let form_json = form_json
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let body = |name: &str, fees: &str, day: &str| {
        format!(
            "csrf_token={token}&name={}&working_days=0%2C5&online_level=4&online_mode=full&fees={}&legal_basis={}&form={}&valid_from={day}",
            urlencode(name),
            urlencode(fees),
            urlencode("Luật Hộ tịch số 60/2014/QH13"),
            urlencode(&form_json)
        )
    };
    let bad = w
        .post(
            "/office/procedures/1.001193",
            "application/x-www-form-urlencoded",
            body("Đăng ký khai sinh", "lệ phí | không rõ", "2026-12-01"),
            &[("cookie", &admin)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("Mỗi dòng phí"));
    let ok = w
        .post(
            "/office/procedures/1.001193",
            "application/x-www-form-urlencoded",
            body("Đăng ký khai sinh (trực tuyến)", "Lệ phí | 0", "2026-12-01"),
            &[("cookie", &admin)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(ok.body.contains("Đã lưu phiên bản 2"), "{}", ok.body);
    // Today the old version is still in force; the new one starts on 2026-12-01.
    let api = w.get("/api/v1/procedures/1.001193", &[]).await.json();
    assert_eq!(
        (api["name"].as_str(), api["version"].as_i64()),
        (Some("Đăng ký khai sinh"), Some(1))
    );
    let citizen = format!(
        "lt_session={}",
        w.login("citizen1", demo::DEMO_PASSWORD)
            .await
            .cookie("lt_session")
            .unwrap()
    );
    assert_eq!(
        w.get("/office/procedures", &[("cookie", &citizen)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A commune's administrator cannot change what every commune shares.
    let commune = format!(
        "lt_session={}",
        w.login("admin@135.31.90.H13", demo::DEMO_PASSWORD)
            .await
            .cookie("lt_session")
            .unwrap()
    );
    let commune_form = w
        .get("/office/procedures/1.001193", &[("cookie", &commune)])
        .await;
    let commune_token = form_token(&commune_form.body);
    let tampered = body("Đổi tên", "Lệ phí | 0", "2026-12-15").replace(
        &format!("csrf_token={token}"),
        &format!("csrf_token={commune_token}"),
    );
    let refused = w
        .post(
            "/office/procedures/1.001193",
            "application/x-www-form-urlencoded",
            tampered,
            &[("cookie", &commune)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let dept_clerk = format!(
        "lt_session={}",
        w.login("clerk@000.00.04.H13", demo::DEMO_PASSWORD)
            .await
            .cookie("lt_session")
            .unwrap()
    );
    assert_eq!(
        w.get("/office/procedures/1.001193", &[("cookie", &dept_clerk)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let missing = w.get("/procedures/9.999999", &[]).await;
    assert!(
        missing.body.contains("href=\"/procedures\""),
        "404 links to the search"
    );
}

#[tokio::test]
async fn calendar_api_follows_the_contract() {
    let w = web().await;
    let holidays = w.get("/api/v1/calendar/holidays?year=2026", &[]).await;
    assert_eq!(holidays.status, StatusCode::OK);
    insta::assert_json_snapshot!("holidays_2026", holidays.json());
    let due = w
        .get(
            "/api/v1/calendar/due?from=2026-11-27T09:00:00%2B07:00&working_days=1",
            &[],
        )
        .await;
    assert_eq!(due.status, StatusCode::OK);
    insta::assert_json_snapshot!("due_friday_one_day", due.json());
    for bad in [
        "/api/v1/calendar/due?from=yesterday&working_days=1",
        "/api/v1/calendar/due?from=2026-11-27T09:00:00Z&working_days=-1",
        "/api/v1/calendar/holidays?year=twenty",
    ] {
        let r = w.get(bad, &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

#[tokio::test]
async fn the_eligibility_question_comes_first_and_a_no_explains_why() {
    let w = web().await;
    let me = format!(
        "lt_session={}",
        w.login("citizen3", demo::DEMO_PASSWORD)
            .await
            .cookie("lt_session")
            .unwrap()
    );
    let page = w.get("/procedures/1.000894", &[("cookie", &me)]).await;
    let token = form_token(&page.body);
    let started = w
        .post(
            "/procedures/1.000894/apply",
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}"),
            &[("cookie", &me)],
        )
        .await;
    let draft = started.headers["location"].to_str().unwrap().to_owned();
    let first = w.get(&draft, &[("cookie", &me)]).await;
    assert_eq!(
        first.headers["location"].to_str().unwrap(),
        format!("{draft}/eligibility")
    );
    let question = w
        .get(&format!("{draft}/eligibility"), &[("cookie", &me)])
        .await;
    assert!(
        question.body.contains("đủ tuổi kết hôn"),
        "{}",
        question.body
    );
    let none = w
        .post(
            &format!("{draft}/eligibility"),
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}"),
            &[("cookie", &me)],
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    let no = w
        .post(
            &format!("{draft}/eligibility"),
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}&_eligible=no"),
            &[("cookie", &me)],
        )
        .await;
    assert_eq!(no.status, StatusCode::OK);
    assert!(no.body.contains("chưa đăng ký kết hôn được"), "{}", no.body);
    let yes = w
        .post(
            &format!("{draft}/eligibility"),
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}&_eligible=yes"),
            &[("cookie", &me)],
        )
        .await;
    assert_eq!(
        yes.headers["location"].to_str().unwrap(),
        format!("{draft}/q1")
    );
    // A new session (another device) resumes where the citizen stopped.
    let again = format!(
        "lt_session={}",
        w.login("citizen3", demo::DEMO_PASSWORD)
            .await
            .cookie("lt_session")
            .unwrap()
    );
    let resume = w.get(&draft, &[("cookie", &again)]).await;
    assert_eq!(
        resume.headers["location"].to_str().unwrap(),
        format!("{draft}/q1")
    );
}
