//! Hostile uploads and text through the API: very long, decomposed (NFD), bidi-spoofed and
//! path-like file names; names written with look-alike letters of another script; JSON nested
//! beyond any form. Each gets a clear answer and nothing is stored wrongly.

use super::*;

fn submit_as(bearer: &str, dossier: &str, files: &[Part<'_>]) -> Request<Body> {
    let (ct, body) = multipart(dossier, files);
    Request::post("/api/v1/dossiers")
        .header(header::CONTENT_TYPE, ct)
        .header(header::AUTHORIZATION, bearer)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn file_names_are_stored_short_composed_and_without_direction_tricks() {
    let w = web().await;
    let bearer = format!("Bearer {}", w.token("citizen1").await);
    let long = format!("{}.pdf", "Tờ khai ".repeat(400));
    // "Giấy tờ" decomposed (NFD), with a right-to-left override hiding the real extension.
    let decomposed = "Gia\u{0302}\u{0301}y to\u{031B}\u{0300} \u{202E}fdp.txt.pdf";
    let files = [
        ("to_khai", long.as_str(), "application/pdf", pdf()),
        (
            "giay_to_tuy_than",
            decomposed,
            "application/pdf",
            [pdf(), b"<html><script>alert(1)</script></html>".to_vec()].concat(),
        ),
    ];
    let r = w.send(submit_as(&bearer, LLTP, &files)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let files = r.json()["files"].as_array().unwrap().clone();
    let of = |slot: &str| {
        files
            .iter()
            .find(|f| f["slot"] == slot)
            .unwrap_or_else(|| panic!("{slot}: {files:?}"))
            .clone()
    };
    let first = of("to_khai")["file_name"].as_str().unwrap().to_owned();
    assert!(
        first.chars().count() <= 120 && first.ends_with(".pdf"),
        "{first}"
    );
    let second = of("giay_to_tuy_than")["file_name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(second.starts_with("Giấy tờ"), "composed (NFC): {second:?}");
    assert!(!second.contains('\u{202E}'), "no override: {second:?}");
    // The PDF that also holds HTML is kept as a PDF; it is never served as a page.
    assert_eq!(of("giay_to_tuy_than")["media_type"], "application/pdf");
}

#[tokio::test]
async fn a_name_with_look_alike_letters_of_another_script_is_refused_by_field() {
    let w = web().await;
    let bearer = format!("Bearer {}", w.token("citizen1").await);
    let spoofed = LLTP.replace("Nguyễn Văn An", "Nguyễn V\u{0430}n An");
    let files = [
        ("to_khai", "a.pdf", "application/pdf", pdf()),
        ("giay_to_tuy_than", "b.pdf", "application/pdf", pdf()),
    ];
    for (lang, text) in [("vi", "nhiều hệ chữ viết"), ("en", "several scripts")] {
        let mut req = submit_as(&bearer, &spoofed, &files);
        req.headers_mut()
            .insert(header::ACCEPT_LANGUAGE, lang.parse().unwrap());
        let r = w.send(req).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let errors = r.json()["errors"].clone();
        assert!(
            errors.as_array().unwrap().iter().any(|e| e["field"]
                .as_str()
                .unwrap()
                .ends_with("applicant_name")
                && e["message"].as_str().unwrap().contains(text)),
            "{errors}"
        );
    }
}

#[tokio::test]
async fn json_nested_beyond_any_form_is_refused_cleanly() {
    let w = web().await;
    let bearer = format!("Bearer {}", w.token("citizen1").await);
    let deep = format!(
        "{{\"procedure_code\":\"2.000488\",\"agency_code\":\"000.00.04.H13\",\"answers\":{{\"purpose\":{}{}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let files = [("to_khai", "a.pdf", "application/pdf", pdf())];
    let r = w.send(submit_as(&bearer, &deep, &files)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("dossier"), "{}", r.body);
    let token = w
        .post(
            "/api/v1/auth/token",
            "application/json",
            "[".repeat(100_000),
            &[],
        )
        .await;
    assert_eq!(token.status, StatusCode::BAD_REQUEST, "{}", token.body);
    assert_eq!(
        token.headers[header::CONTENT_TYPE],
        "application/problem+json"
    );
}
