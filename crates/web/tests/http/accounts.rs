//! Tokens, sessions, login and logout, registration, account creation, office pages.

use super::*;

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
