//! The one-stop journey over HTTP: desk registration, supplements answered from the
//! applicant's page, an uploaded result, return and rating, office pages, the register as
//! XLSX, queues and workflow definitions.

use axum::http::StatusCode;
use lienthong_app::demo;

use super::{LLTP, form_token, multipart, pdf, web};

async fn session(w: &super::TestWeb, user: &str) -> String {
    let r = w.login(user, demo::DEMO_PASSWORD).await;
    format!("lt_session={}", r.cookie("lt_session").unwrap())
}

fn action_parts(action: &str, files: &[(&str, &str, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "lt-action-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"action\"\r\nContent-Type: application/json\r\n\r\n{action}\r\n"
    )
    .into_bytes();
    for (name, file, bytes) in files {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn the_one_stop_journey_over_http_and_pages() {
    let w = web().await;
    let auth = |t: &str| format!("Bearer {t}");
    let citizen = auth(&w.token("citizen1").await);
    let desk = auth(&w.token("reception@000.00.04.H13").await);
    let specialist = auth(&w.token("specialist@000.00.04.H13").await);
    let leader = auth(&w.token("leader@000.00.04.H13").await);
    let files = vec![
        ("to_khai", "a.pdf", "application/pdf", pdf()),
        ("giay_to_tuy_than", "b.pdf", "application/pdf", pdf()),
    ];
    // The desk registers a dossier brought in person: accepted at once.
    let desk_body = LLTP.replacen(
        "{\"procedure_code\"",
        "{\"channel\":\"direct\",\"procedure_code\"",
        1,
    );
    let (ct, body) = multipart(&desk_body, &files);
    let registered = w
        .post(
            "/api/v1/desk/dossiers",
            &ct,
            body.clone(),
            &[("authorization", &desk)],
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.body
    );
    assert_eq!(registered.json()["status"], "accepted");
    let by_citizen = w
        .post(
            "/api/v1/desk/dossiers",
            &ct,
            body,
            &[("authorization", &citizen)],
        )
        .await;
    assert_eq!(by_citizen.status, StatusCode::FORBIDDEN);
    // An online dossier, accepted and forwarded.
    let (ct, body) = multipart(LLTP, &files);
    let code = w
        .post(
            "/api/v1/dossiers",
            &ct,
            body,
            &[("authorization", &citizen)],
        )
        .await
        .json()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/dossiers/{code}/actions");
    let send = |who: String, json: String| {
        let w = &w;
        let path = path.clone();
        async move {
            w.post(&path, "application/json", json, &[("authorization", &who)])
                .await
        }
    };
    assert_eq!(
        send(desk.clone(), r#"{"action":"accept","version":1}"#.into())
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        send(desk.clone(), r#"{"action":"forward","version":2}"#.into())
            .await
            .status,
        StatusCode::OK
    );
    let other = auth(&w.token("specialist@000.00.05.H13").await);
    assert_eq!(
        send(other, r#"{"action":"forward","version":3}"#.into())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let stale = send(
        specialist.clone(),
        r#"{"action":"forward","version":2}"#.into(),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.body.contains("Người khác vừa xử lý hồ sơ này"),
        "{}",
        stale.body
    );
    let not_now = send(
        specialist.clone(),
        r#"{"action":"approve","version":3}"#.into(),
    )
    .await;
    assert_eq!(not_now.status, StatusCode::CONFLICT);
    assert!(not_now.body.contains("Không thể"), "{}", not_now.body);
    let asked = send(
        specialist.clone(),
        r#"{"action":"request_supplement","version":3,"items":[{"target":"purpose","reason":"Ghi rõ mục đích"},{"target":"giay_to_tuy_than","reason":"Ảnh mờ"}]}"#.into(),
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let v = asked.json();
    assert_eq!(
        (v["dvcqg_status"].as_u64(), v["supplement_rounds"].as_i64()),
        (Some(5), Some(1))
    );
    assert_eq!(v["supplement_items"][0]["target"], "purpose");
    // The notice follows the decision: the issuer lays it out and seals it once it committed.
    assert_eq!(v["documents"].as_array().map(Vec::len), Some(0), "{v}");
    w.issue_documents().await;
    let v = w
        .get(
            &format!("/api/v1/dossiers/{code}"),
            &[("authorization", &specialist)],
        )
        .await
        .json();
    assert_eq!(v["documents"][0]["kind"], "supplement_request");
    // The applicant answers from the dossier page, without JavaScript.
    let cookie = session(&w, "citizen1").await;
    let page = w
        .get(&format!("/dossiers/{code}"), &[("cookie", &cookie)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Ghi rõ mục đích") && page.body.contains("Ảnh mờ"));
    assert!(
        page.body
            .contains(&format!("action=\"/dossiers/{code}/supplement\""))
    );
    let token = form_token(&page.body);
    let boundary = "page-boundary";
    let mut form = Vec::new();
    for (name, value) in [
        ("csrf_token", token.as_str()),
        ("version", "4"),
        ("answer_purpose", "Bổ sung: đi học"),
    ] {
        form.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    form.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"giay_to_tuy_than\"; filename=\"cccd.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
    form.extend_from_slice(&pdf());
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let sent = w
        .post(
            &format!("/dossiers/{code}/supplement"),
            &format!("multipart/form-data; boundary={boundary}"),
            form,
            &[("cookie", &cookie), ("host", "localhost")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let v = w
        .get(
            &format!("/api/v1/dossiers/{code}"),
            &[("authorization", &citizen)],
        )
        .await
        .json();
    assert_eq!(
        (v["status"].as_str(), v["version"].as_i64()),
        (Some("processing"), Some(5))
    );
    // The specialist's office page offers the actions of the step as forms.
    let office = session(&w, "specialist@000.00.04.H13").await;
    let page = w
        .get(&format!("/office/dossiers/{code}"), &[("cookie", &office)])
        .await;
    assert!(
        page.body.contains("id=\"action-forward\"") && page.body.contains("id=\"action-transfer\""),
        "{}",
        page.body
    );
    let queue = w
        .get("/api/v1/queue", &[("authorization", &specialist)])
        .await
        .json();
    assert!(
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == code.as_str())
    );
    assert_eq!(
        send(
            specialist.clone(),
            r#"{"action":"forward","version":5}"#.into()
        )
        .await
        .status,
        StatusCode::OK
    );
    // The leader approves with an uploaded result: it is signed by the leader and sealed by
    // the agency in two incremental updates that leave the uploaded bytes untouched.
    let result = crate::signable_pdf();
    let (ct, body) = action_parts(
        r#"{"action":"approve","version":6}"#,
        &[("result", "quyet-dinh.pdf", result.clone())],
    );
    let approved = w
        .post(&path, &ct, body, &[("authorization", &leader)])
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    // Until the issuer has signed it, the result is announced as on its way, not as missing.
    let early = w
        .get(
            &format!("/api/v1/dossiers/{code}/result.pdf"),
            &[("authorization", &citizen)],
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert!(early.body.contains("đang được ký số"), "{}", early.body);
    let pending = w
        .get(&format!("/dossiers/{code}"), &[("cookie", &cookie)])
        .await;
    assert!(
        pending
            .body
            .contains("Kết quả giải quyết: đang ký số và phát hành"),
        "{}",
        pending.body
    );
    w.issue_documents().await;
    let got = w
        .get(
            &format!("/api/v1/dossiers/{code}/result.pdf"),
            &[("authorization", &citizen)],
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.bytes.starts_with(&result) && got.bytes.len() > result.len());
    let (ct, body) = crate::signatures::multipart_file("file", "ket-qua.pdf", &got.bytes);
    let checked = w.post("/api/v1/signatures/verify", &ct, body, &[]).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    let v = checked.json();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["signatures"].as_array().map(Vec::len), Some(2), "{v}");
    assert!(
        v["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "valid" && s["trusted"] == true)
    );
    // The officials' dossier view shows the verdict and who signed, with a link to details.
    let office_page = w
        .get(&format!("/office/dossiers/{code}"), &[("cookie", &office)])
        .await;
    assert!(
        office_page.body.contains("Chữ ký số hợp lệ"),
        "{}",
        office_page.body
    );
    assert!(office_page.body.contains("/verify?document="));
    // The public page the QR code opens says the result is valid, without personal data.
    let link = office_page
        .body
        .split("/verify?document=")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let public = w.get(&format!("/verify?document={link}"), &[]).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(
        public.body.contains("Hợp lệ: mọi chữ ký số đều đúng"),
        "{}",
        public.body
    );
    assert!(!public.body.contains("092085001234") && !public.body.contains("Nguyễn Văn An"));
    let returned = send(
        desk.clone(),
        r#"{"action":"return_result","version":7,"channel":"online"}"#.into(),
    )
    .await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.body);
    // The applicant rates once from the page.
    let page = w
        .get(&format!("/dossiers/{code}"), &[("cookie", &cookie)])
        .await;
    assert!(page.body.contains("Rất hài lòng"));
    let token = form_token(&page.body);
    let rated = w
        .post(
            &format!("/dossiers/{code}/rate"),
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}&version=8&rating=3&comment=T%E1%BB%91t"),
            &[("cookie", &cookie), ("host", "localhost")],
        )
        .await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER, "{}", rated.body);
    let v = w
        .get(
            &format!("/api/v1/dossiers/{code}"),
            &[("authorization", &citizen)],
        )
        .await
        .json();
    assert_eq!(
        (v["dvcqg_status"].as_u64(), v["rating"].as_i64()),
        (Some(10), Some(3))
    );
    // The desk register as XLSX.
    let xlsx = w
        .get(
            "/api/v1/agencies/000.00.04.H13/register?from=2026-11-01&to=2026-11-30&format=xlsx",
            &[("authorization", &desk)],
        )
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.bytes.starts_with(b"PK"));
    let inverted = w
        .get(
            "/api/v1/agencies/000.00.04.H13/register?from=2026-11-30&to=2026-11-01",
            &[("authorization", &desk)],
        )
        .await;
    assert_eq!(inverted.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn workflow_definitions_are_refused_with_the_offending_line() {
    let w = web().await;
    let admin = format!("Bearer {}", w.token("admin@000.00.00.H13").await);
    let bad = "name = \"x\"\n[[step]]\nid = \"a\"\nrole = \"wizard\"\nactions = [\"accept\"]\n";
    let r = w
        .send(
            axum::http::Request::put("/api/v1/workflows/x")
                .header("authorization", &admin)
                .header("content-type", "application/toml")
                .body(axum::body::Body::from(bad))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Dòng 4"), "{}", r.body);
    let listed = w
        .get("/api/v1/workflows", &[("authorization", &admin)])
        .await;
    assert_eq!(listed.json()["items"][0]["name"], "default");
    // The same from the office page, and the idle threshold.
    let cookie = session(&w, "admin@000.00.00.H13").await;
    let page = w.get("/office/workflows", &[("cookie", &cookie)]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("reception"), "{}", page.body);
    let token = form_token(&page.body);
    let post = |body: String| {
        let w = &w;
        let cookie = cookie.clone();
        async move {
            w.post(
                "/office/workflows",
                "application/x-www-form-urlencoded",
                body,
                &[("cookie", &cookie), ("host", "localhost")],
            )
            .await
        }
    };
    let refused = post(format!(
        "csrf_token={token}&kind=workflow&name=x&definition={}",
        super::urlencode(bad)
    ))
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Dòng 4"), "{}", refused.body);
    let stale = post(format!("csrf_token={token}&kind=stale&stale_hours=24")).await;
    assert_eq!(stale.status, StatusCode::OK);
    assert!(stale.body.contains("value=\"24\""), "{}", stale.body);
    let too_many = post(format!("csrf_token={token}&kind=stale&stale_hours=9999")).await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    let specialist = session(&w, "specialist@000.00.04.H13").await;
    assert_eq!(
        w.get("/office/workflows", &[("cookie", &specialist)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_desk_registers_a_dossier_from_its_page_and_admins_edit_messages() {
    let w = web().await;
    let desk = session(&w, "reception@000.00.04.H13").await;
    let page = w
        .get("/office/desk?procedure=2.000488", &[("cookie", &desk)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("name=\"applicant_name\""));
    let token = form_token(&page.body);
    let boundary = "desk-boundary";
    let mut form = Vec::new();
    for (name, value) in [
        ("csrf_token", token.as_str()),
        ("procedure", "2.000488"),
        ("agency_code", "000.00.04.H13"),
        ("channel", "postal"),
        ("applicant_name", "Trần Văn Bình"),
        ("applicant_cccd", "092085001234"),
        ("applicant_phone", "0912345679"),
        ("applicant_address.province_code", "92"),
        ("applicant_address.commune_code", "31135"),
        ("applicant_address.detail", "5 Lý Tự Trọng"),
        ("form_number", "1"),
        ("birth_place", "Cần Thơ"),
        ("purpose", "Xin việc"),
    ] {
        form.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for slot in ["to_khai", "giay_to_tuy_than"] {
        form.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{slot}\"; filename=\"{slot}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
        form.extend_from_slice(&pdf());
        form.extend_from_slice(b"\r\n");
    }
    form.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"spare\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--{boundary}--\r\n").as_bytes());
    let done = w
        .post(
            "/office/desk",
            &format!("multipart/form-data; boundary={boundary}"),
            form,
            &[("cookie", &desk), ("host", "localhost")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let location = done.headers["location"].to_str().unwrap().to_owned();
    let shown = w.get(&location, &[("cookie", &desk)]).await;
    assert!(shown.body.contains("Trần Văn Bình") && shown.body.contains("Được tiếp nhận"));
    // Templates: an administrator saves, an auditor reads, a citizen is refused.
    let admin = session(&w, "admin@000.00.00.H13").await;
    let page = w.get("/office/notifications", &[("cookie", &admin)]).await;
    assert_eq!(page.status, StatusCode::OK);
    let token = form_token(&page.body);
    let saved = w
        .post(
            "/office/notifications",
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}&topic=dossier.accept&subject=H%E1%BB%93+s%C6%A1+%7Bcode%7D&body=%7Bname%7D+%7Bma%7D"),
            &[("cookie", &admin), ("host", "localhost")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(saved.body.contains("{ma}"), "{}", saved.body);
    let citizen = session(&w, "citizen1").await;
    assert_eq!(
        w.get("/office/notifications", &[("cookie", &citizen)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
