//! The catalog pages: search results and one procedure.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
};
use lienthong_app::{AppError, catalog};
use lienthong_domain::{
    Lang,
    catalog::{DocumentForm, OnlineMode, ProcedureLevel, ProcessingTime},
};
use serde::Deserialize;

use super::{Layout, error_page, render, today};
use crate::{AppState, auth::Auth};

/// Formats đồng with dots between thousands, as Vietnamese writes them.
pub fn vnd(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if amount < 0 { format!("-{out}") } else { out }
}

fn days_label(days: f64, lang: Lang) -> String {
    let n = if days.fract() == 0.0 {
        format!("{days:.0}")
    } else {
        format!("{days}")
    };
    match lang {
        Lang::Vi => format!("{} ngày làm việc", n.replace('.', ",")),
        Lang::En => format!("{n} working day{}", if days == 1.0 { "" } else { "s" }),
    }
}

fn time_label(t: ProcessingTime, lang: Lang) -> String {
    match t {
        ProcessingTime::WorkingDays(d) => days_label(d, lang),
        ProcessingTime::WorkingHours(h) => match lang {
            Lang::Vi => format!("{h} giờ làm việc"),
            Lang::En => format!("{h} working hours"),
        },
    }
}

fn level_label(l: ProcedureLevel, lang: Lang) -> &'static str {
    match l {
        ProcedureLevel::Central => lang.pick("Cấp trung ương", "Central"),
        ProcedureLevel::Province => lang.pick("Cấp tỉnh", "Province"),
        ProcedureLevel::Commune => lang.pick("Cấp xã", "Commune"),
    }
}

fn mode(m: OnlineMode, lang: Lang) -> (&'static str, &'static str, &'static str) {
    match m {
        OnlineMode::Full => (
            "full",
            lang.pick("Trực tuyến toàn trình", "Fully online"),
            lang.pick(
                "Nộp hồ sơ, nộp phí và nhận kết quả đều qua mạng.",
                "Submit, pay and receive the result online.",
            ),
        ),
        OnlineMode::Partial => (
            "partial",
            lang.pick("Trực tuyến một phần", "Partly online"),
            lang.pick(
                "Nộp hồ sơ qua mạng; một số bước cần đến cơ quan.",
                "Submit online; some steps happen at the office.",
            ),
        ),
        OnlineMode::None => (
            "none",
            lang.pick("Cung cấp thông tin", "Information only"),
            lang.pick(
                "Nộp hồ sơ trực tiếp hoặc qua bưu chính.",
                "Submit in person or by post.",
            ),
        ),
    }
}

struct ItemView {
    code: String,
    name: String,
    field_name: String,
    level_label: &'static str,
    time_label: String,
    mode_class: &'static str,
    mode_label: &'static str,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    field: String,
    level: String,
    fields: Vec<(String, String, usize)>,
    summary: String,
    items: Vec<ItemView>,
    first: usize,
    next_link: Option<String>,
}

/// Query of the search page.
#[derive(Debug, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    page: Option<String>,
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const PAGE: usize = 20;

/// `GET /procedures`.
pub async fn search(
    State(state): State<AppState>,
    auth: Auth,
    Query(form): Query<SearchForm>,
) -> Response {
    let lang = auth.lang;
    let q: String = form.q.chars().take(200).collect();
    let level = crate::api::parse_level(Some(&form.level)).ok().flatten();
    let page = form
        .page
        .as_deref()
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000);
    let query = catalog::search::Query {
        q: Some(q.clone()).filter(|q| !q.trim().is_empty()),
        field: Some(form.field.clone()).filter(|f| !f.is_empty()),
        agency: None,
        level,
    };
    let offset = (page - 1) * PAGE;
    let (hits, total) = state.app.search.search(&query, offset, PAGE);
    let summary = match (lang, total, q.trim().is_empty()) {
        (Lang::Vi, 0, _) => {
            "Không tìm thấy thủ tục nào. Hãy thử từ khóa ngắn hơn hoặc bỏ bớt bộ lọc.".to_owned()
        }
        (Lang::En, 0, _) => "No procedure found. Try fewer words or remove a filter.".to_owned(),
        (Lang::Vi, n, true) => format!("{n} thủ tục"),
        (Lang::En, n, true) => format!("{n} procedures"),
        (Lang::Vi, n, false) => format!("{n} thủ tục phù hợp với “{}”", q.trim()),
        (Lang::En, n, false) => format!("{n} procedures match “{}”", q.trim()),
    };
    let next_link = (offset + hits.len() < total).then(|| {
        format!(
            "/procedures?q={}&field={}&level={}&page={}",
            encode(&q),
            encode(&form.field),
            encode(&form.level),
            page + 1
        )
    });
    let items = hits
        .into_iter()
        .map(|h| {
            let (mode_class, mode_label, _) = mode(h.online_mode, lang);
            ItemView {
                time_label: days_label(h.processing_days, lang),
                level_label: level_label(h.level, lang),
                code: h.code,
                name: h.name,
                field_name: h.field_name,
                mode_class,
                mode_label,
            }
        })
        .collect();
    let view = SearchPage {
        layout: Layout::new(
            &auth,
            "/procedures",
            lang.pick("Tìm thủ tục", "Find a procedure"),
        ),
        q,
        field: form.field,
        level: form.level,
        fields: state.app.search.fields(),
        summary,
        items,
        first: offset + 1,
        next_link,
    };
    render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "procedure.html")]
struct ProcedurePage {
    layout: Layout,
    code: String,
    name: String,
    field_name: String,
    agencies: String,
    time_label: String,
    fees: Vec<String>,
    result: String,
    mode_class: &'static str,
    mode_label: &'static str,
    mode_help: &'static str,
    applicants: Option<String>,
    documents: Vec<(String, &'static str, u8, bool, Option<String>)>,
    legal_basis: Vec<String>,
    online: bool,
    applicant: bool,
}

/// `GET /procedures/{code}`.
pub async fn detail(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Response {
    let lang = auth.lang;
    let path = format!("/procedures/{code}");
    let published = match catalog::procedure(&state.app, &code, None).await {
        Ok(p) => p,
        Err(AppError::NotFound(_)) => {
            return super::error_page_with_link(
                &auth,
                &path,
                StatusCode::NOT_FOUND,
                ("Không có thủ tục này", "No such procedure"),
                (
                    "Mã thủ tục không đúng hoặc thủ tục đã hết hiệu lực.",
                    "The code is wrong or the procedure is no longer in force.",
                ),
                Some((
                    "/procedures",
                    ("Tìm thủ tục theo tên", "Search procedures by name"),
                )),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "procedure page failed");
            return error_page(
                &auth,
                &path,
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                ("Vui lòng thử lại sau.", "Please try again later."),
            );
        }
    };
    let p = published.procedure;
    let agencies = if p.level == ProcedureLevel::Commune {
        match lang {
            Lang::Vi => format!(
                "Ủy ban nhân dân xã, phường, đặc khu nơi cư trú ({} đơn vị)",
                p.agency_codes.len()
            ),
            Lang::En => format!(
                "The people's committee of the commune of residence ({} communes)",
                p.agency_codes.len()
            ),
        }
    } else {
        let mut names = Vec::new();
        if let Ok(mut conn) = state.app.db.read().await {
            for a in &p.agency_codes {
                let name = lienthong_store::org::agency_at(&mut conn, a, today(&state))
                    .await
                    .ok()
                    .flatten()
                    .map_or_else(|| a.clone(), |x| x.name);
                names.push(name);
            }
        }
        names.join("; ")
    };
    let (mode_class, mode_label, mode_help) = mode(p.online_mode, lang);
    let fees = p
        .fees
        .iter()
        .map(|f| {
            let amount = if f.amount_vnd == 0 {
                lang.pick("miễn phí", "free").to_owned()
            } else {
                format!("{} {}", vnd(f.amount_vnd), lang.pick("đồng", "VND"))
            };
            match &f.option {
                Some(o) => format!("{}: {amount} ({o})", f.name),
                None => format!("{}: {amount}", f.name),
            }
        })
        .collect();
    let documents = p
        .required_documents
        .iter()
        .map(|d| {
            let form = match d.form {
                DocumentForm::Original => lang.pick("Bản chính", "Original"),
                DocumentForm::Copy => lang.pick("Bản sao", "Copy"),
                DocumentForm::CertifiedCopy => lang.pick("Bản sao có chứng thực", "Certified copy"),
                DocumentForm::OriginalToCompare => {
                    lang.pick("Bản chính để đối chiếu", "Original, to compare")
                }
            };
            let template = d
                .template
                .as_ref()
                .map(|_| format!("/procedures/{}/templates/{}", p.code, d.slot));
            (d.name.clone(), form, d.count, d.required, template)
        })
        .collect();
    let applicant = auth.caller.principal().is_some_and(|x| {
        matches!(
            x.kind,
            lienthong_domain::role::AccountKind::Citizen
                | lienthong_domain::role::AccountKind::Organisation
        )
    });
    let view = ProcedurePage {
        online: p.online_mode != OnlineMode::None,
        applicant,
        layout: Layout::new(&auth, &path, &p.name),
        time_label: time_label(p.processing_time, lang),
        code: p.code,
        field_name: p.field.name,
        agencies,
        fees,
        result: p.result.name,
        mode_class,
        mode_label,
        mode_help,
        applicants: p.applicants,
        documents,
        legal_basis: p.legal_basis,
        name: p.name,
    };
    render(StatusCode::OK, &view)
}

/// `GET /procedures/{code}/templates/{slot}`: the printable blank form of a document.
pub async fn template(
    State(state): State<AppState>,
    auth: Auth,
    Path((code, slot)): Path<(String, String)>,
) -> Response {
    use axum::response::IntoResponse;
    match catalog::template_pdf(&state.app, &code, &slot).await {
        Ok((name, pdf)) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/pdf".to_owned(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
                (
                    axum::http::header::CACHE_CONTROL,
                    "public, max-age=3600".to_owned(),
                ),
            ],
            pdf,
        )
            .into_response(),
        Err(_) => error_page(
            &auth,
            &format!("/procedures/{code}"),
            StatusCode::NOT_FOUND,
            ("Không có mẫu này", "No such template"),
            (
                "Giấy tờ này không có mẫu tờ khai để tải về.",
                "This document has no downloadable template.",
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_times_read_the_vietnamese_way() {
        assert_eq!(vnd(0), "0");
        assert_eq!(vnd(2000), "2.000");
        assert_eq!(vnd(1_350_000), "1.350.000");
        assert_eq!(days_label(0.5, Lang::Vi), "0,5 ngày làm việc");
        assert_eq!(days_label(15.0, Lang::Vi), "15 ngày làm việc");
        assert_eq!(days_label(1.0, Lang::En), "1 working day");
    }
}
