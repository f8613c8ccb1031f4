//! Operations, the API document, route permissions, errors, headers and logs.

use super::*;

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
        router: lienthong_web::router(AppState::new(app.clone(), WebSettings::default())),
        app,
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
async fn requests_the_extractors_cannot_read_get_problem_answers_in_the_callers_language() {
    let w = web().await;
    let bearer = format!("Bearer {}", w.token("reception@000.00.04.H13").await);
    let cases = [
        (
            "/api/v1/queue?page=9223372036854775808",
            Some(bearer.as_str()),
            StatusCode::BAD_REQUEST,
        ),
        ("/api/v1/calendar/holidays", None, StatusCode::BAD_REQUEST),
        ("/api/v1/tracking?code=", None, StatusCode::BAD_REQUEST),
    ];
    for (path, auth, status) in cases {
        for (lang, title) in [("vi", "Yêu cầu không hợp lệ"), ("en", "Bad request")] {
            let mut headers = vec![("accept-language", lang)];
            if let Some(a) = auth {
                headers.push(("authorization", a));
            }
            let r = w.get(path, &headers).await;
            assert_eq!(r.status, status, "{path}: {}", r.body);
            assert_eq!(
                r.headers[header::CONTENT_TYPE],
                "application/problem+json",
                "{path}"
            );
            assert_eq!(r.json()["title"], title, "{path}");
            assert_eq!(r.json()["status"], status.as_u16());
        }
    }
    let wrong_type = w
        .post(
            "/api/v1/dossiers/X/actions",
            "text/plain",
            "accept",
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        wrong_type.headers[header::CONTENT_TYPE],
        "application/problem+json"
    );
}
