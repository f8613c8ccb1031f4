//! Trust anchors, CRL, the verification API and page: valid, tampered, hostile input.

use axum::http::StatusCode;

use crate::{signable_pdf, web};

/// A multipart body with one file part (and an optional second one).
pub fn multipart_file(name: &str, file: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    multipart_files(&[(name, file, bytes)])
}

fn multipart_files(parts: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "lt-verify-boundary";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn trust_anchors_hold_the_internal_root_and_the_government_root() {
    let w = web().await;
    let got = w.get("/api/v1/pki/trust-anchors", &[]).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(
        got.headers.get("content-type").unwrap(),
        "application/x-pem-file"
    );
    assert_eq!(
        got.body.matches("-----BEGIN CERTIFICATE-----").count(),
        2,
        "{}",
        got.body
    );
    let certs = lienthong_sign::trust::parse_certificates(got.body.as_bytes());
    let names: Vec<String> = certs
        .iter()
        .map(|c| lienthong_sign::trust::common_name(&c.tbs_certificate.subject))
        .collect();
    assert!(names.contains(&"lienthong Root CA".to_owned()), "{names:?}");
    assert!(names.iter().any(|n| n.contains("RootCA")), "{names:?}");
    let crl = w.get("/api/v1/pki/crl", &[]).await;
    assert_eq!(crl.status, StatusCode::OK);
    assert_eq!(
        crl.headers.get("content-type").unwrap(),
        "application/pkix-crl"
    );
    assert_eq!(crl.bytes.first(), Some(&0x30));
}

#[tokio::test]
async fn the_verification_api_reports_unsigned_tampered_and_hostile_files() {
    let w = web().await;
    // An unsigned PDF: not valid, no signatures.
    let (ct, body) = multipart_file("file", "a.pdf", &signable_pdf());
    let r = w.post("/api/v1/signatures/verify", &ct, body, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["valid"], false);
    assert_eq!(r.json()["signatures"].as_array().map(Vec::len), Some(0));
    // A file signed by the platform, then changed after signing.
    let signed = {
        let app = &w.app;
        let official =
            lienthong_app::signatures::person(app, "acc-1", "Nguyễn Văn Ký", "Sở Tư pháp")
                .await
                .unwrap();
        let seal = lienthong_app::signatures::seal(app, "000.00.04.H13", "Sở Tư pháp")
            .await
            .unwrap();
        let at = lienthong_app::signatures::Placement {
            page: 0,
            signer: None,
            seal: None,
        };
        lienthong_app::signatures::sign_and_seal(
            app,
            &signable_pdf(),
            &official,
            &seal,
            "Thử",
            "Cần Thơ",
            &at,
        )
        .await
        .unwrap()
    };
    let (ct, body) = multipart_file("file", "signed.pdf", &signed);
    let r = w
        .post("/api/v1/signatures/verify", &ct, body, &[])
        .await
        .json();
    assert_eq!(r["valid"], true, "{r}");
    let mut changed = signed.clone();
    let at = changed.windows(9).position(|x| x == b"/MediaBox").unwrap();
    changed[at + 12] = b'1';
    let (ct, body) = multipart_file("file", "changed.pdf", &changed);
    let r = w
        .post(
            "/api/v1/signatures/verify",
            &ct,
            body,
            &[("accept-language", "en")],
        )
        .await
        .json();
    assert_eq!(r["valid"], false);
    assert_eq!(r["signatures"][0]["status"], "modified", "{r}");
    assert!(
        r["signatures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("changed after signing"),
        "{r}"
    );
    // Hostile and malformed input: a clear 422 naming the file, never a 500.
    for (name, bytes) in [
        ("empty.pdf", Vec::new()),
        ("text.pdf", b"hello, not a pdf".to_vec()),
        ("truncated.pdf", signed[..signed.len() / 2].to_vec()),
        (
            "nested.pdf",
            [
                b"%PDF-1.7\n1 0 obj\n".to_vec(),
                vec![b'['; 100_000],
                b"\nendobj\nstartxref\n9\n%%EOF".to_vec(),
            ]
            .concat(),
        ),
    ] {
        let (ct, body) = multipart_file("file", name, &bytes);
        let r = w.post("/api/v1/signatures/verify", &ct, body, &[]).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.body
        );
        assert_eq!(r.json()["errors"][0]["field"], "file", "{name}: {}", r.body);
    }
    // A detached signature that is not CMS.
    let (ct, body) = multipart_files(&[
        ("file", "a.bin", b"data"),
        ("signature", "a.p7s", b"\x30\x03\x02\x01"),
    ]);
    let r = w.post("/api/v1/signatures/verify", &ct, body, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A detached signature by the platform over a file, checked back.
    let seal = lienthong_app::signatures::seal(&w.app, "000.00.04.H13", "Sở Tư pháp")
        .await
        .unwrap();
    let data = b"bien ban".repeat(1000);
    let p7s = lienthong_sign::cms_build::sign_detached(
        seal.key.as_ref(),
        &seal.certificate,
        &seal.chain,
        &data,
        std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(u64::try_from(w.app.now_us() / 1_000_000).unwrap()),
    )
    .unwrap();
    let (ct, body) = multipart_files(&[("file", "a.bin", &data), ("signature", "a.p7s", &p7s)]);
    let r = w
        .post("/api/v1/signatures/verify", &ct, body, &[])
        .await
        .json();
    assert_eq!(r["valid"], true, "{r}");
    assert_eq!(r["signatures"][0]["signer"], "Sở Tư pháp");
}

#[tokio::test]
async fn the_public_page_checks_an_upload_without_javascript() {
    let w = web().await;
    let page = w.get("/verify", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("enctype=\"multipart/form-data\"")
            && page.body.contains("name=\"signature\"")
    );
    let (ct, body) = multipart_file("file", "a.pdf", &signable_pdf());
    let r = w.post("/verify", &ct, body, &[("host", "localhost")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Tệp không có chữ ký số."), "{}", r.body);
    let (ct, body) = multipart_file("file", "a.pdf", b"nope");
    let r = w.post("/verify", &ct, body, &[("host", "localhost")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("role=\"alert\""), "{}", r.body);
    let missing = w.get("/verify?document=01234567-no-such", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_internal_timestamp_authority_answers_rfc_3161_requests() {
    let w = web().await;
    let digest = [9u8; 32];
    let req = lienthong_sign::tsa::request(&digest, 1234).unwrap();
    let r = w
        .post("/api/v1/tsa", "application/timestamp-query", req, &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get("content-type").unwrap(),
        "application/timestamp-reply"
    );
    let token = lienthong_sign::tsa::token_from_response(&r.bytes, &digest).unwrap();
    assert!(token.len() > 300);
    let r = w
        .post(
            "/api/v1/tsa",
            "application/timestamp-query",
            b"garbage".to_vec(),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let e = lienthong_sign::tsa::token_from_response(&r.bytes, &digest).unwrap_err();
    assert!(e.to_string().contains("refused"), "{e}");
}
