//! The receipt (Mẫu 01) of a dossier and the heading every document about a dossier shares.

use lienthong_domain::{dossier::Channel, org::UnitLevel};
use lienthong_store::Exec;
use lienthong_store::{dossiers::DossierRow, org as store_org};
use serde_json::Value;

use super::get;
use crate::{App, AppError, authz::Caller, catalog};

fn vn_time(us: i64) -> (String, jiff::civil::Date) {
    let z =
        lienthong_domain::clock::from_micros(us).to_zoned(lienthong_domain::clock::business_tz());
    (
        z.strftime("%H giờ %M phút, ngày %d/%m/%Y").to_string(),
        z.date(),
    )
}

/// The applicant's address as text, with the commune and province names in force on `at`.
async fn address_text<'c>(
    conn: impl Into<Exec<'c>>,
    v: &Value,
    at: jiff::civil::Date,
) -> Result<Option<String>, AppError> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let Some(o) = v.as_object() else {
        return Ok(None);
    };
    let get = |k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut names = Vec::new();
    for (level, code) in [
        (UnitLevel::Commune, get("commune_code")),
        (UnitLevel::Province, get("province_code")),
    ] {
        names.push(
            store_org::unit_at(&mut *conn, level, &code, at)
                .await?
                .map_or(code, |u| u.name),
        );
    }
    Ok(Some(format!("{}, {}", get("detail"), names.join(", "))))
}

/// What the heading of a document about `row` needs: the parent agency's name and the place
/// name of the date line, as they were on the day of receipt.
pub(crate) async fn letterhead(
    app: &App,
    row: &DossierRow,
) -> Result<(Option<String>, String), AppError> {
    let mut conn = app.db.reader().await?;
    let received_day = vn_time(row.received_at).1;
    let agency = store_org::agency_by_id(&mut conn, &row.agency_version_id).await?;
    let unit_code = agency
        .as_ref()
        .and_then(|a| a.admin_unit_code.clone())
        .unwrap_or_default();
    let province_code =
        match store_org::unit_at(&mut conn, UnitLevel::Commune, &unit_code, received_day).await? {
            Some(commune) => commune.parent_code.unwrap_or(unit_code),
            None => unit_code,
        };
    let place = store_org::unit_at(&mut conn, UnitLevel::Province, &province_code, received_day)
        .await?
        .map(|u| {
            u.name
                .trim_start_matches("Thành phố ")
                .trim_start_matches("Tỉnh ")
                .to_owned()
        })
        .unwrap_or_default();
    let parent = match agency.and_then(|a| a.parent_code) {
        Some(pc) => store_org::agency_at(&mut conn, &pc, received_day)
            .await?
            .map(|a| a.name),
        None => None,
    };
    Ok((parent, place))
}

/// The receipt (Mẫu 01 layout) of a dossier as a PDF, for those who may read the dossier.
/// `tracking_base` is the public URL of the tracking page.
pub async fn receipt(
    app: &App,
    caller: &Caller,
    code: &str,
    tracking_base: &str,
) -> Result<Vec<u8>, AppError> {
    let v = get(app, caller, code).await?;
    let published = catalog::version_by_id(app, &v.row.procedure_version_id).await?;
    let p = &published.procedure;
    let answers: Value = serde_json::from_str(&v.row.answers).unwrap_or(Value::Null);
    let (parent, place) = letterhead(app, &v.row).await?;
    let address = match answers.get("applicant_address") {
        Some(a) => {
            let mut conn = app.db.reader().await?;
            address_text(&mut conn, a, vn_time(v.row.received_at).1).await?
        }
        None => None,
    };
    let (received_at, day) = vn_time(v.row.received_at);
    let documents = p
        .required_documents
        .iter()
        .filter_map(|d| {
            let n = v.files.iter().filter(|f| f.slot == d.slot).count();
            (n > 0).then(|| (d.name.clone(), i64::try_from(n).unwrap_or(i64::MAX)))
        })
        .collect();
    let processing_time = match p.processing_time {
        lienthong_domain::catalog::ProcessingTime::WorkingDays(d) => {
            format!("{} ngày làm việc", d.to_string().replace('.', ","))
        }
        lienthong_domain::catalog::ProcessingTime::WorkingHours(h) => format!("{h} giờ làm việc"),
    };
    let channel = match Channel::parse(&v.row.channel) {
        Some(Channel::Online) => "Trực tuyến",
        Some(Channel::Postal) => "Qua dịch vụ bưu chính công ích",
        _ => "Trực tiếp",
    };
    let data = lienthong_documents::ReceiptData {
        parent_agency_name: parent,
        agency_name: v.agency_name.clone(),
        place,
        issued: (day.day(), day.month(), day.year()),
        code: v.row.code.clone(),
        applicant_name: v.row.applicant_name.clone(),
        applicant_address: address,
        applicant_phone: v.row.applicant_phone.clone(),
        applicant_email: v.row.applicant_email.clone(),
        procedure_name: p.name.clone(),
        documents,
        processing_time,
        received_at,
        due: v.row.due_date.clone(),
        channel: channel.to_owned(),
        result_delivery: "Cổng dịch vụ công (bản điện tử) hoặc Bộ phận tiếp nhận và trả kết quả"
            .to_owned(),
        tracking_url: format!(
            "{}?code={}",
            tracking_base.trim_end_matches('/'),
            v.row.code
        ),
    };
    let pdf =
        lienthong_documents::receipt_pdf(&data).map_err(|e| AppError::Internal(e.to_string()))?;
    crate::signatures::seal_document(
        app,
        &pdf,
        &v.row.agency_code,
        &v.agency_name,
        &format!("Giấy tiếp nhận hồ sơ {}", v.row.code),
    )
    .await
}
