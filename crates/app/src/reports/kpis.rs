//! The indicators the provincial plans set, each with its numerator and denominator so that
//! it can be audited.

use std::collections::BTreeMap;

use lienthong_domain::{
    catalog::OnlineMode,
    report::{Counts, MEASURES, Measure, Period, add_counts},
};
use serde::Serialize;

use super::{Audience, Tree, pair_sums, procedure_names, scoped};
use crate::{App, AppError};

/// One indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    /// Stable key.
    pub key: &'static str,
    /// Vietnamese name.
    pub name: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// `numerator / denominator`; `null` when the denominator is 0.
    pub value: Option<f64>,
    /// Counted numerator.
    pub numerator: f64,
    /// Counted denominator.
    pub denominator: f64,
    /// `ratio` (0–1) or `days` or `rounds`.
    pub unit: &'static str,
}

/// Average processing time of one procedure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcedureTime {
    /// Procedure code.
    pub key: String,
    /// Procedure name.
    pub name: String,
    /// Average days from acceptance to resolution.
    pub value: Option<f64>,
    /// Total days.
    pub numerator: f64,
    /// Dossiers resolved.
    pub denominator: f64,
}

/// The indicators of a period for an agency and everything under it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicators {
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Scope agency.
    pub agency: String,
    /// Its name.
    pub agency_name: String,
    /// The indicators.
    pub items: Vec<Kpi>,
    /// Average processing time per procedure.
    pub processing_time_by_procedure: Vec<ProcedureTime>,
}

fn kpi(
    key: &'static str,
    name: &'static str,
    name_en: &'static str,
    unit: &'static str,
    numerator: f64,
    denominator: f64,
) -> Kpi {
    Kpi {
        key,
        name,
        name_en,
        value: (denominator > 0.0).then(|| numerator / denominator),
        numerator,
        denominator,
        unit,
    }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "counts of dossiers stay far below 2^52"
)]
fn f(v: i64) -> f64 {
    v as f64
}

/// The indicators of `period` for `agency` and everything under it (the province when `None`).
pub async fn indicators(
    app: &App,
    audience: Audience<'_>,
    period: &Period,
    agency: Option<&str>,
) -> Result<Indicators, AppError> {
    let (tree, scope) = scoped(app, audience, agency).await?;
    compute(app, &tree, &scope, period).await
}

async fn compute(
    app: &App,
    tree: &Tree,
    scope: &super::ReportScope,
    period: &Period,
) -> Result<Indicators, AppError> {
    let sums = pair_sums(app, period, &scope.agencies).await?;
    let names = procedure_names(app).await?;
    let mut within: Counts = [0; MEASURES];
    let mut by_procedure: BTreeMap<String, Counts> = BTreeMap::new();
    for ((_, procedure), (_, w)) in &sums {
        add_counts(&mut within, w);
        add_counts(
            by_procedure
                .entry(procedure.clone())
                .or_insert([0; MEASURES]),
            w,
        );
    }
    let at = |c: &Counts, m: Measure| f(c.get(m.index()).copied().unwrap_or(0));
    let resolved = |c: &Counts| {
        at(c, Measure::ResolvedEarly)
            + at(c, Measure::ResolvedOnTime)
            + at(c, Measure::ResolvedLate)
    };
    let w = &within;
    let received = at(w, Measure::ReceivedOnline) + at(w, Measure::ReceivedDirectPostal);
    // Procedures offered by the agencies in scope, as published today.
    let offered: Vec<_> = crate::catalog::export(app)
        .await?
        .into_iter()
        .filter(|p| {
            p.agency_codes
                .iter()
                .any(|a| a.starts_with('{') || scope.agencies.iter().any(|s| s == a))
        })
        .collect();
    let n_offered = f(i64::try_from(offered.len()).unwrap_or(i64::MAX));
    let count = |pred: &dyn Fn(&lienthong_domain::catalog::Procedure) -> bool| {
        f(i64::try_from(offered.iter().filter(|p| pred(p)).count()).unwrap_or(0))
    };
    let days = at(w, Measure::ProcessingSeconds) / 86_400.0;
    let items = vec![
        kpi(
            "on_time_rate",
            "Tỷ lệ hồ sơ giải quyết đúng hạn và trước hạn",
            "Share of dossiers resolved on time or early",
            "ratio",
            at(w, Measure::ResolvedEarly) + at(w, Measure::ResolvedOnTime),
            resolved(w),
        ),
        kpi(
            "online_submission_share",
            "Tỷ lệ hồ sơ nộp trực tuyến",
            "Share of dossiers submitted online",
            "ratio",
            at(w, Measure::ReceivedOnline),
            received,
        ),
        kpi(
            "full_online_procedures_share",
            "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến toàn trình",
            "Share of procedures offered fully online",
            "ratio",
            count(&|p| p.online_mode == OnlineMode::Full),
            n_offered,
        ),
        kpi(
            "partial_online_procedures_share",
            "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến một phần",
            "Share of procedures offered partly online",
            "ratio",
            count(&|p| p.online_mode == OnlineMode::Partial),
            n_offered,
        ),
        kpi(
            "online_level_3_4_share",
            "Tỷ lệ TTHC đạt mức độ 3, 4",
            "Share of procedures at online level 3 or 4",
            "ratio",
            count(&|p| p.online_level >= 3),
            n_offered,
        ),
        kpi(
            "one_stop_share",
            "Tỷ lệ hồ sơ được xử lý qua Hệ thống thông tin giải quyết TTHC",
            "Share of dossiers processed through the one-stop system",
            "ratio",
            received,
            received,
        ),
        kpi(
            "satisfaction_rate",
            "Tỷ lệ đánh giá hài lòng",
            "Share of ratings satisfied or very satisfied",
            "ratio",
            at(w, Measure::RatedSatisfied),
            at(w, Measure::Rated),
        ),
        kpi(
            "average_processing_days",
            "Thời gian giải quyết trung bình (ngày)",
            "Average processing time (days)",
            "days",
            days,
            resolved(w),
        ),
        kpi(
            "supplement_rounds_per_dossier",
            "Số lần yêu cầu bổ sung bình quân mỗi hồ sơ",
            "Supplement rounds per resolved dossier",
            "rounds",
            at(w, Measure::SupplementRounds),
            resolved(w),
        ),
        kpi(
            "late_with_apology_rate",
            "Tỷ lệ hồ sơ quá hạn có văn bản xin lỗi",
            "Share of late dossiers with an apology issued",
            "ratio",
            at(w, Measure::LateApologized),
            at(w, Measure::ResolvedLate),
        ),
        kpi(
            "electronic_results_rate",
            "Tỷ lệ kết quả giải quyết được cấp dưới dạng điện tử",
            "Share of results issued as electronic documents",
            "ratio",
            at(w, Measure::ResultsElectronic),
            resolved(w),
        ),
        kpi(
            "signed_results_rate",
            "Tỷ lệ kết quả điện tử có chữ ký số",
            "Share of results digitally signed",
            "ratio",
            at(w, Measure::ResultsSigned),
            resolved(w),
        ),
        kpi(
            "documents_exchanged_electronically_rate",
            "Tỷ lệ văn bản trao đổi dưới dạng điện tử",
            "Share of documents exchanged electronically",
            "ratio",
            0.0,
            0.0,
        ),
    ];
    let processing_time_by_procedure = by_procedure
        .iter()
        .filter(|(_, c)| resolved(c) > 0.0)
        .map(|(code, c)| ProcedureTime {
            key: code.clone(),
            name: names
                .get(code)
                .map_or_else(|| code.clone(), |p| p.name.clone()),
            value: Some(at(c, Measure::ProcessingSeconds) / 86_400.0 / resolved(c)),
            numerator: at(c, Measure::ProcessingSeconds) / 86_400.0,
            denominator: resolved(c),
        })
        .collect();
    Ok(Indicators {
        from: period.from.to_string(),
        to: period.to.to_string(),
        agency: scope.root.clone(),
        agency_name: tree.name(&scope.root),
        items,
        processing_time_by_procedure,
    })
}
