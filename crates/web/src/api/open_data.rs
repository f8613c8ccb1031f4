//! Open data: the catalog of procedures and the aggregated resolution statistics as CSV and
//! JSON, described by a DCAT catalog in JSON-LD, under an open licence.

use axum::{
    Json,
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use lienthong_app::{
    AppError, FieldError, catalog,
    reports::{self, Audience, GroupBy},
};
use lienthong_domain::report::Period;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{processing::file, reports::query_error};
use crate::{AppState, auth::Auth, problem::Problem};

/// The licence of every dataset.
pub const LICENCE: &str = "https://creativecommons.org/licenses/by/4.0/";
/// Its name.
pub const LICENCE_NAME: &str = "Creative Commons Ghi công 4.0 Quốc tế (CC BY 4.0)";

/// Format of a dataset download.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DatasetQuery {
    /// `json` (default) or `csv`.
    #[serde(default)]
    pub format: Option<String>,
    /// Year of the statistics (default: this year).
    #[serde(default)]
    pub year: Option<i16>,
}

fn format_of(q: &DatasetQuery) -> Result<&str, AppError> {
    match q.format.as_deref().unwrap_or("json") {
        f @ ("json" | "csv") => Ok(f),
        _ => Err(AppError::Validation(vec![FieldError::new(
            "format",
            "Định dạng: json hoặc csv.",
            "Format: json or csv.",
        )])),
    }
}

/// The DCAT catalog of the open datasets (JSON-LD).
#[utoipa::path(get, path = "/api/v1/open-data/catalog", tag = "reports",
    responses((status = 200, content_type = "application/ld+json", body = serde_json::Value)))]
pub async fn dcat(State(state): State<AppState>, _auth: Auth) -> Response {
    let today = state.app.clock.today();
    let publisher = reports::Tree::load(&state.app)
        .await
        .ok()
        .and_then(|t| t.roots.first().map(|r| t.name(r)))
        .unwrap_or_else(|| "lienthong".into());
    let dist = |title: &str, url: &str, media: &str| {
        serde_json::json!({
            "@type": "dcat:Distribution",
            "dct:title": title,
            "dcat:downloadURL": {"@id": url},
            "dcat:mediaType": media,
            "dct:license": {"@id": LICENCE},
        })
    };
    let body = serde_json::json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
        },
        "@type": "dcat:Catalog",
        "dct:title": format!("Dữ liệu mở — {publisher}"),
        "dct:description": "Danh mục thủ tục hành chính và số liệu tình hình, kết quả giải quyết thủ tục hành chính (Biểu 06/VPCP/KSTT) ở dạng tổng hợp, không có dữ liệu cá nhân.",
        "dct:language": "vi",
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": publisher},
        "dct:license": {"@id": LICENCE, "dct:title": LICENCE_NAME},
        "dct:modified": today.to_string(),
        "dcat:dataset": [
            {
                "@type": "dcat:Dataset",
                "dct:identifier": "procedures",
                "dct:title": "Danh mục thủ tục hành chính",
                "dct:description": "Các thủ tục hành chính đang áp dụng: lĩnh vực, cơ quan thực hiện, thời hạn, phí, lệ phí, mức độ dịch vụ công trực tuyến.",
                "dcat:keyword": ["thủ tục hành chính", "dịch vụ công"],
                "dct:modified": today.to_string(),
                "dct:license": {"@id": LICENCE},
                "dcat:distribution": [
                    dist("CSV", "/api/v1/open-data/procedures?format=csv", "text/csv"),
                    dist("JSON", "/api/v1/open-data/procedures?format=json", "application/json"),
                ],
            },
            {
                "@type": "dcat:Dataset",
                "dct:identifier": "resolution-statistics",
                "dct:title": "Tình hình, kết quả giải quyết thủ tục hành chính theo tháng và đơn vị",
                "dct:description": "Số hồ sơ nhận, đã giải quyết (trước hạn, đúng hạn, quá hạn) và đang giải quyết theo Biểu 06/VPCP/KSTT, theo tháng và đơn vị.",
                "dcat:keyword": ["Biểu 06", "thống kê", "hồ sơ"],
                "dct:accrualPeriodicity": {"@id": "http://purl.org/cld/freq/daily"},
                "dct:modified": today.to_string(),
                "dct:license": {"@id": LICENCE},
                "dcat:distribution": [
                    dist("CSV", &format!("/api/v1/open-data/statistics?year={}&format=csv", today.year()), "text/csv"),
                    dist("JSON", &format!("/api/v1/open-data/statistics?year={}&format=json", today.year()), "application/json"),
                ],
            }
        ]
    });
    (
        [(header::CONTENT_TYPE, "application/ld+json")],
        body.to_string(),
    )
        .into_response()
}

/// The procedures in the catalog, as CSV or JSON.
#[utoipa::path(get, path = "/api/v1/open-data/procedures", tag = "reports", params(DatasetQuery),
    responses(
        (status = 200, body = serde_json::Value, description = "JSON list, or CSV"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn procedures(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DatasetQuery>,
) -> Response {
    let format = match format_of(&q) {
        Ok(f) => f,
        Err(e) => return query_error(e, auth.lang),
    };
    let made = async {
        let all = catalog::export(&state.app).await?;
        if format == "csv" {
            Ok(file(
                "text/csv; charset=utf-8",
                "thu-tuc-hanh-chinh.csv",
                catalog::to_csv(&all)?,
            ))
        } else {
            Ok(file(
                "application/json",
                "thu-tuc-hanh-chinh.json",
                catalog::to_json(&all)?,
            ))
        }
    }
    .await;
    made.unwrap_or_else(|e: AppError| Problem::from_app(&e, auth.lang).into_response())
}

/// One month of one agency.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    /// Agency code (sub-agencies rolled up).
    pub agency: String,
    /// Agency name.
    pub agency_name: String,
    /// The Biểu 06 figures.
    #[serde(flatten)]
    pub figures: super::reports::Figures,
}

/// The statistics of a year, by month and agency.
#[utoipa::path(get, path = "/api/v1/open-data/statistics", tag = "reports", params(DatasetQuery),
    responses(
        (status = 200, body = Vec<MonthRow>, description = "JSON list, or CSV"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn statistics(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DatasetQuery>,
) -> Response {
    let format = match format_of(&q) {
        Ok(f) => f,
        Err(e) => return query_error(e, auth.lang),
    };
    let today = state.app.clock.today();
    let year = q.year.unwrap_or(today.year());
    let mut rows = Vec::new();
    for month in 1..=12i8 {
        let Ok(first) = jiff::civil::Date::new(year, month, 1) else {
            return query_error(
                AppError::Validation(vec![FieldError::new(
                    "year",
                    "Năm không hợp lệ.",
                    "Invalid year.",
                )]),
                auth.lang,
            );
        };
        if first > today {
            break;
        }
        let last = first.last_of_month().min(today);
        let r = match Period::new(first, last) {
            Ok(p) => reports::bieu06(&state.app, Audience::Public, &p, GroupBy::Agency, None).await,
            Err(e) => Err(reports::period_error(&e)),
        };
        let r = match r {
            Ok(r) => r,
            Err(e) => return query_error(e, auth.lang),
        };
        for x in r.rows {
            rows.push(MonthRow {
                month: format!("{year}-{month:02}"),
                agency: x.key,
                agency_name: x.name,
                figures: x.values.into(),
            });
        }
    }
    if format == "json" {
        return Json(rows).into_response();
    }
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let mut header = vec![
        "thang".to_owned(),
        "ma_don_vi".to_owned(),
        "ten_don_vi".to_owned(),
    ];
    header.extend(
        lienthong_domain::report::COLUMN_KEYS
            .iter()
            .map(|s| (*s).to_owned()),
    );
    let mut ok = w.write_record(&header).is_ok();
    for r in &rows {
        let v = serde_json::to_value(&r.figures).unwrap_or_default();
        let mut rec = vec![r.month.clone(), r.agency.clone(), r.agency_name.clone()];
        rec.extend(
            lienthong_domain::report::COLUMN_KEYS
                .iter()
                .map(|k| v.get(*k).map(ToString::to_string).unwrap_or_default()),
        );
        ok &= w.write_record(&rec).is_ok();
    }
    match (ok, w.into_inner()) {
        (true, Ok(bytes)) => file(
            "text/csv; charset=utf-8",
            &format!("thong-ke-giai-quyet-tthc-{year}.csv"),
            bytes,
        ),
        _ => Problem::from_app(&AppError::Internal("csv".into()), auth.lang).into_response(),
    }
}
