//! Reports over HTTP: Biểu 06 and indicators for officials, files in every format, 400 for bad
//! periods, agencies and formats, the public statistics without personal data, open data with
//! its DCAT catalog, and the dashboard pages.

use axum::http::StatusCode;
use lienthong_app::generator;

use super::{TestWeb, web};

async fn with_history() -> TestWeb {
    let w = web().await;
    generator::generate(
        &w.app,
        &generator::Options {
            dossiers: 1_500,
            seed: 3,
            years: 1,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    w
}

#[tokio::test]
async fn officials_read_bieu06_in_every_format_and_others_are_refused() {
    let w = with_history().await;
    let admin = format!("Bearer {}", w.token("admin@000.00.00.H13").await);
    let desk = format!("Bearer {}", w.token("reception@000.00.04.H13").await);
    let citizen = format!("Bearer {}", w.token("citizen1").await);
    let q = "/api/v1/reports/tthc?from=2026-01-01&to=2026-10-31&group_by=field";
    assert_eq!(w.get(q, &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        w.get(q, &[("authorization", &citizen)]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.get(q, &[("authorization", &desk)]).await.status,
        StatusCode::FORBIDDEN
    );
    let own = w
        .get(
            &format!("{q}&agency=000.00.04.H13"),
            &[("authorization", &desk)],
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let r = w.get(q, &[("authorization", &admin)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    let t = &j["totals"];
    let n = |k: &str| t[k].as_i64().unwrap();
    assert!(n("received_total") > 500);
    assert_eq!(
        n("received_total"),
        n("received_online") + n("received_direct_postal") + n("carried_over")
    );
    assert_eq!(
        n("resolved_total"),
        n("resolved_early") + n("resolved_on_time") + n("resolved_late")
    );
    assert_eq!(
        n("pending_total"),
        n("pending_on_time") + n("pending_overdue")
    );
    let sum: i64 = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["resolved_total"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, n("resolved_total"));
    for (format, media) in [
        ("csv", "text/csv; charset=utf-8"),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("pdf", "application/pdf"),
    ] {
        let f = w
            .get(
                &format!("{q}&format={format}"),
                &[("authorization", &admin)],
            )
            .await;
        assert_eq!(f.status, StatusCode::OK, "{format}");
        assert_eq!(f.headers["content-type"], media);
        assert!(!f.bytes.is_empty());
    }
    let k = w
        .get(
            "/api/v1/kpis?from=2026-01-01&to=2026-10-31",
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(k.status, StatusCode::OK, "{}", k.body);
    let kj = k.json();
    let on_time = kj["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "on_time_rate")
        .unwrap()
        .clone();
    assert_eq!(
        on_time["numerator"].as_f64().unwrap(),
        (n("resolved_early") + n("resolved_on_time")) as f64
    );
    assert_eq!(
        on_time["denominator"].as_f64().unwrap(),
        n("resolved_total") as f64
    );
    let behind = w
        .get(
            "/api/v1/reports/tthc/dossiers?from=2026-01-01&to=2026-10-31&agency=000.00.04.H13&column=resolved_late",
            &[("authorization", &desk)],
        )
        .await;
    assert_eq!(behind.status, StatusCode::OK, "{}", behind.body);
    assert!(behind.json()["items"].as_array().is_some());
}

#[tokio::test]
async fn bad_periods_agencies_and_formats_are_400_with_the_reason() {
    let w = web().await;
    let admin = format!("Bearer {}", w.token("admin@000.00.00.H13").await);
    let h = [("authorization", admin.as_str())];
    for (q, field, vi) in [
        ("from=2026-03-01&to=2026-01-01", "period", "kết thúc"),
        ("from=1900-01-01&to=2026-01-01", "period", "2000–2100"),
        (
            "from=2026-02-30&to=2026-03-01",
            "period",
            "không phải là ngày",
        ),
        ("agency=999.99.99.H99", "agency", "Không có cơ quan"),
        ("group_by=applicant", "group_by", "Không nhóm được"),
        ("format=docx", "format", "Định dạng"),
    ] {
        let r = w.get(&format!("/api/v1/reports/tthc?{q}"), &h).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.body);
        assert_eq!(r.headers["content-type"], "application/problem+json");
        let j = r.json();
        assert_eq!(j["errors"][0]["field"], field, "{q}");
        assert!(
            j["errors"][0]["message"].as_str().unwrap().contains(vi),
            "{q}: {j}"
        );
    }
    let en = w
        .get(
            "/api/v1/statistics?from=2026-03-01&to=2026-01-01",
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(en.status, StatusCode::BAD_REQUEST);
    assert!(en.body.contains("ends before it starts"), "{}", en.body);
    let od = w.get("/api/v1/open-data/statistics?format=xml", &[]).await;
    assert_eq!(od.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn public_statistics_and_open_data_carry_no_personal_data() {
    let w = with_history().await;
    let s = w
        .get("/api/v1/statistics?from=2026-01-01&to=2026-10-31", &[])
        .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    insta::assert_json_snapshot!("statistics_shape", {
        let mut j = s.json();
        // The figures depend on generated data; the shape is what clients rely on.
        j["rows"] = serde_json::json!(j["rows"].as_array().unwrap().len() > 1);
        for v in j["totals"].as_object_mut().unwrap().values_mut() {
            *v = serde_json::json!(v.is_i64());
        }
        j
    });
    let od = w
        .get("/api/v1/open-data/statistics?year=2026&format=csv", &[])
        .await;
    assert_eq!(od.status, StatusCode::OK);
    let csv = String::from_utf8(od.bytes.clone()).unwrap();
    assert!(csv.lines().next().unwrap().contains("received_total"));
    assert!(csv.lines().count() > 10);
    let json = w.get("/api/v1/open-data/statistics?year=2026", &[]).await;
    for body in [&s.body, &json.body, &csv] {
        for personal in ["applicant", "Nguyễn", "09", "cccd"] {
            assert!(
                !body.contains(&format!("\"{personal}")) && !body.contains(&format!(",{personal}")),
                "{personal} in public data"
            );
        }
    }
    let dcat = w.get("/api/v1/open-data/catalog", &[]).await;
    assert_eq!(dcat.headers["content-type"], "application/ld+json");
    let d = dcat.json();
    assert_eq!(d["@type"], "dcat:Catalog");
    assert_eq!(
        d["dct:license"]["@id"],
        "https://creativecommons.org/licenses/by/4.0/"
    );
    assert_eq!(d["dcat:dataset"].as_array().unwrap().len(), 2);
    let procs = w.get("/api/v1/open-data/procedures?format=csv", &[]).await;
    assert_eq!(procs.status, StatusCode::OK);
    assert!(
        String::from_utf8(procs.bytes.clone())
            .unwrap()
            .contains("1.001193")
    );
}

#[tokio::test]
async fn dashboard_and_public_pages_draw_charts_with_their_tables() {
    let w = with_history().await;
    let page = w
        .get("/statistics?from=2026-01-01&to=2026-10-31", &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<svg") && page.body.contains("role=\"img\""));
    assert!(page.body.contains("<table class=\"report\">"));
    assert!(
        !page.body.contains("/office/reports/dossiers"),
        "no drill-down for the public"
    );
    let leader = w
        .login("leader@000.00.04.H13", lienthong_app::demo::DEMO_PASSWORD)
        .await;
    let cookie = format!("lt_session={}", leader.cookie("lt_session").unwrap());
    let office = w
        .get(
            "/office/reports?from=2026-01-01&to=2026-10-31&group_by=procedure",
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(office.status, StatusCode::OK, "{}", office.body);
    assert!(
        office.body.contains("Sở Tư pháp"),
        "starts at the leader's agency"
    );
    assert!(
        office
            .body
            .contains("/office/reports/dossiers?from=2026-01-01")
    );
    let list = w
        .get(
            "/office/reports/dossiers?from=2026-01-01&to=2026-10-31&agency=000.00.04.H13&column=received_total",
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("/office/dossiers/000.00.04.H13-"));
    let bad = w
        .get("/statistics?from=2026-05-01&to=2026-01-01", &[])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("kết thúc"));
    let od = w.get("/open-data", &[]).await;
    assert!(od.body.contains("CC BY 4.0"));
}
