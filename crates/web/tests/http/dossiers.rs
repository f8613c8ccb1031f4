//! Dossier submission and tracking through the API, drafts and the eligibility step.

use super::*;

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

#[tokio::test]
async fn actions_api_moves_dossiers_and_answers_conflicts() {
    let w = web().await;
    let citizen = format!("Bearer {}", w.token("citizen1").await);
    let good = vec![
        ("to_khai", "a.pdf", "application/pdf", pdf()),
        ("giay_to_tuy_than", "b.pdf", "application/pdf", pdf()),
    ];
    let (ct, body) = multipart(LLTP, &good);
    let created = w
        .post(
            "/api/v1/dossiers",
            &ct,
            body,
            &[("authorization", &citizen)],
        )
        .await
        .json();
    let code = created["code"].as_str().unwrap().to_owned();
    assert_eq!(created["allowed_actions"], serde_json::json!(["withdraw"]));
    let desk = format!("Bearer {}", w.token("reception@000.00.04.H13").await);
    let path = format!("/api/v1/dossiers/{code}/actions");
    let stale = w
        .post(
            &path,
            "application/json",
            r#"{"action":"accept","version":9}"#,
            &[("authorization", &desk)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let unknown = w
        .post(
            &path,
            "application/json",
            r#"{"action":"teleport","version":1}"#,
            &[("authorization", &desk)],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let by_citizen = w
        .post(
            &path,
            "application/json",
            r#"{"action":"accept","version":1}"#,
            &[("authorization", &citizen)],
        )
        .await;
    assert_eq!(by_citizen.status, StatusCode::FORBIDDEN);
    let accepted = w
        .post(
            &path,
            "application/json",
            r#"{"action":"accept","version":1,"note":"Hồ sơ đầy đủ"}"#,
            &[("authorization", &desk)],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    let v = accepted.json();
    assert_eq!(
        (
            v["status"].as_str(),
            v["dvcqg_status"].as_u64(),
            v["version"].as_i64()
        ),
        (Some("accepted"), Some(2), Some(2))
    );
    assert_eq!(v["due_date"], "2026-12-04");
    assert_eq!(
        v["allowed_actions"],
        serde_json::json!(["request_supplement", "forward"])
    );
    assert_eq!(v["current_step"], "reception");
    let again = w
        .post(
            &path,
            "application/json",
            r#"{"action":"accept","version":2}"#,
            &[("authorization", &desk)],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}
