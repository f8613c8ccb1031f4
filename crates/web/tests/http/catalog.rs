//! Organisation and catalog API and pages, the catalog editor, the calendar API.

use super::*;

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
async fn the_province_administrator_records_days_off_and_make_up_days() {
    let w = web().await;
    let admin = format!(
        "lt_session={}",
        w.login("admin@000.00.00.H13", demo::DEMO_PASSWORD)
            .await
            .cookie("lt_session")
            .unwrap()
    );
    let page = w
        .get("/office/calendar?year=2026", &[("cookie", &admin)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Tết Âm lịch (mùng 1)"));
    let token = form_token(&page.body);
    let saved = w
        .post(
            "/office/calendar",
            "application/x-www-form-urlencoded",
            format!(
                "csrf_token={token}&day=2026-12-31&kind=off&name={}",
                urlencode("Quyết định 123/QĐ-UBND")
            ),
            &[("cookie", &admin)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let api = w
        .get("/api/v1/calendar/holidays?year=2026", &[])
        .await
        .json();
    assert!(
        api["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["date"] == "2026-12-31" && h["kind"] == "province")
    );
    let due = w
        .get(
            "/api/v1/calendar/due?from=2026-12-30T09:00:00%2B07:00&working_days=1",
            &[],
        )
        .await
        .json();
    assert_eq!(
        due["due_date"], "2027-01-04",
        "31/12 (province) and 1/1 are skipped"
    );
    let bad = w
        .post(
            "/office/calendar",
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}&day=&kind=off&name=x"),
            &[("cookie", &admin)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let commune = format!(
        "lt_session={}",
        w.login("admin@135.31.90.H13", demo::DEMO_PASSWORD)
            .await
            .cookie("lt_session")
            .unwrap()
    );
    let their = form_token(
        &w.get("/office/calendar", &[("cookie", &commune)])
            .await
            .body,
    );
    let refused = w
        .post(
            "/office/calendar",
            "application/x-www-form-urlencoded",
            format!("csrf_token={their}&day=2026-12-30&kind=off&name=x"),
            &[("cookie", &commune)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let citizen = format!(
        "lt_session={}",
        w.login("citizen1", demo::DEMO_PASSWORD)
            .await
            .cookie("lt_session")
            .unwrap()
    );
    assert_eq!(
        w.get("/office/calendar", &[("cookie", &citizen)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
