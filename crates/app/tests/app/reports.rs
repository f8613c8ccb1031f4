//! Biểu 06 and the indicators: aggregates kept by real transitions and by the generator equal a
//! brute-force recomputation from the raw dossiers, for periods that cut through dossiers'
//! lives; authorization; bad input; exports read back cell by cell — on both engines.

use std::collections::BTreeMap;

use jiff::Timestamp;
use lienthong_app::{
    AppError,
    audit::AuditCtx,
    authz::Caller,
    demo, dossiers, generator,
    processing::{ActionRequest, SupplementItem, act},
    reports::{self, Audience, GroupBy, export, facts::facts, kpis},
};
use lienthong_domain::{
    report::{Bieu06, Period, row_of},
    workflow::DossierAction as A,
};
use lienthong_store::reports as rstore;

use super::{lltp, login, stored};
use crate::{common::TestApp, on_both_engines};

const SOTP: &str = "000.00.04.H13";

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Takes `action` on `code` as whoever the action needs now.
async fn take(t: &TestApp, citizen: &Caller, code: &str, action: A) {
    let v = dossiers::get(&t.app, citizen, code).await.unwrap();
    let who = match action {
        A::Withdraw | A::Rate | A::Supplement => citizen.clone(),
        A::Approve | A::Reject => login(t, &format!("leader@{SOTP}")).await,
        A::RequestSupplement => login(t, &format!("specialist@{SOTP}")).await,
        A::Forward if v.row.state.current_step.as_deref() == Some("specialist") => {
            login(t, &format!("specialist@{SOTP}")).await
        }
        _ => login(t, &format!("reception@{SOTP}")).await,
    };
    let mut r = ActionRequest::new(action, v.row.version);
    match action {
        A::Withdraw | A::Reject => r.note = Some("Lý do kiểm thử".into()),
        A::Rate => r.rating = Some(3),
        A::ReturnResult => r.channel = Some("desk".into()),
        A::RequestSupplement => {
            r.items = vec![SupplementItem {
                target: "purpose".into(),
                reason: "Ghi rõ mục đích".into(),
            }];
        }
        A::Supplement => {
            r.answers
                .insert("purpose".into(), "Bổ sung hồ sơ xin việc".into());
        }
        _ => {}
    }
    act(&t.app, &who, &AuditCtx::cli(), code, r)
        .await
        .unwrap_or_else(|e| panic!("{action:?} on {code}: {e:?}"));
    // The documents the action issued, as the server's issuer produces them after it.
    lienthong_app::processing::issuer::issue_all_due(&t.app)
        .await
        .unwrap();
}

/// Real dossiers whose lives cross the end of November 2026 in every way the report counts.
async fn lives(t: &TestApp) -> Caller {
    let citizen = login(t, "citizen1").await;
    let mut codes = Vec::new();
    for _ in 0..7 {
        let (d, _) = dossiers::submit(&t.app, &citizen, &AuditCtx::cli(), lltp(t, None).await)
            .await
            .unwrap();
        codes.push(d.row.code);
    }
    let [
        resolved_same_day,
        resolved_in_december,
        paused,
        withdrawn,
        rejected,
        never_accepted,
        late,
    ] = <[String; 7]>::try_from(codes).unwrap();
    let _ = never_accepted;
    for c in [
        &resolved_same_day,
        &resolved_in_december,
        &paused,
        &withdrawn,
        &rejected,
        &late,
    ] {
        take(t, &citizen, c, A::Accept).await;
    }
    for a in [A::Forward, A::Forward, A::Approve] {
        take(t, &citizen, &resolved_same_day, a).await;
    }
    t.clock.set(at("2026-11-24T02:00:00Z"));
    take(t, &citizen, &paused, A::Forward).await;
    take(t, &citizen, &paused, A::RequestSupplement).await;
    take(t, &citizen, &withdrawn, A::Withdraw).await;
    t.clock.set(at("2026-11-26T08:00:00Z"));
    for a in [A::Forward, A::Forward, A::Reject] {
        take(t, &citizen, &rejected, a).await;
    }
    t.clock.set(at("2026-12-02T03:00:00Z"));
    for a in [A::Forward, A::Forward, A::Approve] {
        take(t, &citizen, &resolved_in_december, a).await;
    }
    take(t, &citizen, &paused, A::Supplement).await;
    t.clock.set(at("2026-12-21T03:00:00Z"));
    for a in [A::Forward, A::Forward, A::Approve, A::ReturnResult, A::Rate] {
        take(t, &citizen, &late, a).await;
    }
    citizen
}

/// Biểu 06 per procedure, summed dossier by dossier from the definitions.
async fn brute_force(t: &TestApp, p: &Period) -> BTreeMap<String, Bieu06> {
    let mut out: BTreeMap<String, Bieu06> = BTreeMap::new();
    let mut conn = t.app.db.read().await.unwrap();
    let mut after = String::new();
    loop {
        let page = rstore::dossiers_after(&mut conn, &after, 1000)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for row in &page {
            let r = row_of(&facts(row), p.first_day(), p.last_day());
            if r != Bieu06::default() {
                out.entry(row.procedure_code.clone()).or_default().add(&r);
            }
        }
    }
    out
}

async fn aggregates_equal_a_brute_force_recomputation_across_period_boundaries(t: TestApp) {
    demo::ensure_demo(&t.app).await.unwrap();
    let made = generator::generate(
        &t.app,
        &generator::Options {
            dossiers: 2_000,
            seed: 11,
            years: 2,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(made.dossiers, 2_000);
    assert!(made.history > 4 * made.dossiers, "{made:?}");
    let citizen = lives(&t).await;
    let (checked, mismatches) = reports::verify(&t.app).await.unwrap();
    assert!(checked > 1_000, "{checked}");
    assert_eq!(
        mismatches,
        vec![],
        "stored aggregates differ from the raw dossiers"
    );
    let admin = login(&t, &format!("admin@{}", demo::PROVINCE_AGENCY)).await;
    for (from, to) in [
        ("2026-11-01", "2026-11-30"),
        ("2026-12-01", "2026-12-31"),
        ("2025-12-15", "2026-11-14"),
        ("2026-01-01", "2026-12-31"),
        ("2025-12-20", "2026-01-10"),
        ("2026-11-24", "2026-11-24"),
        ("2024-01-01", "2026-12-31"),
    ] {
        let p = Period::parse(from, to).unwrap();
        let expected = brute_force(&t, &p).await;
        let r = reports::bieu06(
            &t.app,
            Audience::Official(&admin),
            &p,
            GroupBy::Procedure,
            None,
        )
        .await
        .unwrap();
        let got: BTreeMap<String, Bieu06> =
            r.rows.iter().map(|x| (x.key.clone(), x.values)).collect();
        assert_eq!(got, expected, "{from}..{to}");
        let mut total = Bieu06::default();
        for v in expected.values() {
            total.add(v);
        }
        assert_eq!(r.totals, total, "{from}..{to}");
        let t3 = r.totals;
        assert_eq!(
            t3.received_total,
            t3.resolved_total + t3.pending_total + t3.withdrawn
        );
        assert_eq!(
            t3.received_total,
            t3.received_online + t3.received_direct_postal + t3.carried_over
        );
        // The totals read as one summed row per range, as trends do.
        let quick = reports::totals(&t.app, Audience::Public, &[p], None)
            .await
            .unwrap();
        assert_eq!(quick, vec![r.totals], "totals {from}..{to}");
        let own = reports::bieu06(&t.app, Audience::Public, &p, GroupBy::Agency, Some(SOTP))
            .await
            .unwrap();
        let own_quick = reports::totals(&t.app, Audience::Public, &[p], Some(SOTP))
            .await
            .unwrap();
        assert_eq!(own_quick, vec![own.totals], "totals of {SOTP} {from}..{to}");
        // The same figures by agency and by field.
        for g in [GroupBy::Agency, GroupBy::Field] {
            let other = reports::bieu06(&t.app, Audience::Public, &p, g, None)
                .await
                .unwrap();
            assert_eq!(other.totals, r.totals, "{g:?} {from}..{to}");
        }
    }
    // November as the Sở Tư pháp lives above: 6 accepted online, 2 resolved (one rejected),
    // one withdrawn, 3 pending at the end of the month.
    let nov = Period::parse("2026-11-01", "2026-11-30").unwrap();
    let mine = reports::bieu06(
        &t.app,
        Audience::Official(&admin),
        &nov,
        GroupBy::Procedure,
        Some(SOTP),
    )
    .await
    .unwrap();
    let lltp = mine
        .rows
        .iter()
        .find(|r| r.key == "2.000488")
        .unwrap()
        .values;
    let generated = brute_force_for(&t, &nov, "2.000488", true).await;
    assert_eq!(lltp.received_online - generated.received_online, 6);
    assert_eq!(lltp.resolved_total - generated.resolved_total, 2);
    assert_eq!(lltp.withdrawn - generated.withdrawn, 1);
    assert_eq!(lltp.pending_total - generated.pending_total, 3);
    let _ = citizen;
}
on_both_engines!(aggregates_equal_a_brute_force_recomputation_across_period_boundaries);

/// The brute force over generated dossiers only (`generated`) for one procedure.
async fn brute_force_for(t: &TestApp, p: &Period, procedure: &str, generated: bool) -> Bieu06 {
    let mut conn = t.app.db.read().await.unwrap();
    let mut out = Bieu06::default();
    let mut after = String::new();
    loop {
        let page = rstore::dossiers_after(&mut conn, &after, 1000)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for row in page
            .iter()
            .filter(|r| r.procedure_code == procedure && r.id.starts_with("gen-") == generated)
        {
            out.add(&row_of(&facts(row), p.first_day(), p.last_day()));
        }
    }
    out
}

async fn reports_are_for_officials_of_the_agency_or_above(t: TestApp) {
    demo::ensure_demo(&t.app).await.unwrap();
    let p = Period::parse("2026-01-01", "2026-12-31").unwrap();
    let citizen = login(&t, "citizen1").await;
    let desk = login(&t, &format!("reception@{SOTP}")).await;
    let province_admin = login(&t, &format!("admin@{}", demo::PROVINCE_AGENCY)).await;
    let read = |c: &Caller, agency: Option<&'static str>| {
        let c = c.clone();
        let app = t.app.clone();
        async move { reports::bieu06(&app, Audience::Official(&c), &p, GroupBy::Agency, agency).await }
    };
    assert!(matches!(
        read(&Caller::Anonymous, None).await,
        Err(AppError::Unauthenticated)
    ));
    assert!(matches!(
        read(&citizen, Some(SOTP)).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(read(&desk, None).await, Err(AppError::Forbidden)));
    assert!(matches!(
        read(&desk, Some("000.00.05.H13")).await,
        Err(AppError::Forbidden)
    ));
    assert!(read(&desk, Some(SOTP)).await.is_ok());
    assert!(read(&province_admin, Some(SOTP)).await.is_ok());
    let whole = read(&province_admin, None).await.unwrap();
    assert_eq!(whole.agency, demo::PROVINCE_AGENCY);
    // The dossiers behind a figure need the right to read dossiers.
    assert!(matches!(
        reports::drill::dossiers_behind(&t.app, &citizen, &p, SOTP, None, "received_total").await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        reports::drill::dossiers_behind(&t.app, &desk, &p, SOTP, None, "no_such_column").await,
        Err(AppError::Validation(_))
    ));
    assert!(matches!(
        reports::bieu06(
            &t.app,
            Audience::Public,
            &p,
            GroupBy::Agency,
            Some("999.99.99.H99")
        )
        .await,
        Err(AppError::Validation(_))
    ));
    assert!(matches!(
        GroupBy::parse("applicant"),
        Err(AppError::Validation(_))
    ));
}
on_both_engines!(reports_are_for_officials_of_the_agency_or_above);

async fn drill_down_lists_exactly_the_dossiers_behind_a_figure(t: TestApp) {
    demo::ensure_demo(&t.app).await.unwrap();
    lives(&t).await;
    let desk = login(&t, &format!("reception@{SOTP}")).await;
    let nov = Period::parse("2026-11-01", "2026-11-30").unwrap();
    let r = reports::bieu06(
        &t.app,
        Audience::Official(&desk),
        &nov,
        GroupBy::Procedure,
        Some(SOTP),
    )
    .await
    .unwrap();
    for column in lienthong_domain::report::COLUMN_KEYS {
        let (list, truncated) =
            reports::drill::dossiers_behind(&t.app, &desk, &nov, SOTP, None, column)
                .await
                .unwrap();
        assert!(!truncated);
        assert_eq!(
            i64::try_from(list.len()).unwrap(),
            r.totals.get(column).unwrap(),
            "{column}"
        );
    }
}
on_both_engines!(drill_down_lists_exactly_the_dossiers_behind_a_figure);

async fn exports_and_indicators_agree_with_the_report(t: TestApp) {
    use calamine::{Reader, Xlsx};
    demo::ensure_demo(&t.app).await.unwrap();
    generator::generate(
        &t.app,
        &generator::Options {
            dossiers: 600,
            seed: 5,
            years: 1,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    let p = Period::parse("2026-01-01", "2026-11-19").unwrap();
    let r = reports::bieu06(&t.app, Audience::Public, &p, GroupBy::Field, None)
        .await
        .unwrap();
    assert!(r.rows.len() > 3);
    let bytes = export::xlsx(&r).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("Bieu 06").unwrap();
    let cell = |row: usize, c: usize| {
        sheet
            .get_value((u32::try_from(row).unwrap(), u32::try_from(c).unwrap()))
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    assert_eq!(cell(1, 0), export::TITLE);
    assert_eq!(cell(5, 2), "Số hồ sơ nhận giải quyết");
    assert_eq!(cell(5, 6), "Số hồ sơ đã giải quyết");
    assert_eq!(cell(6, 12), "Quá hạn");
    book.load_merged_regions().unwrap();
    let merged = book.merged_regions_by_sheet("Bieu 06");
    // Title lines, STT and dimension headers, and the three column groups.
    assert_eq!(merged.len(), 9, "{merged:?}");
    assert!(
        merged
            .iter()
            .any(|(_, _, d)| d.start == (5, 2) && d.end == (5, 5))
    );
    for (i, row) in r.rows.iter().enumerate() {
        assert_eq!(cell(8 + i, 0), (i + 1).to_string());
        assert_eq!(cell(8 + i, 1), row.name);
        for (c, v) in row.values.columns().iter().enumerate() {
            assert_eq!(
                cell(8 + i, 2 + c),
                v.to_string(),
                "row {i} column {}",
                c + 3
            );
        }
    }
    let total_row = 8 + r.rows.len();
    assert_eq!(cell(total_row, 1), "Tổng cộng");
    for (c, v) in r.totals.columns().iter().enumerate() {
        assert_eq!(cell(total_row, 2 + c), v.to_string());
    }
    let csv = String::from_utf8(export::csv(&r).unwrap()).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(csv.lines().count(), r.rows.len() + 2);
    let pdf = export::pdf(&r, t.app.clock.today()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let k = kpis::indicators(&t.app, Audience::Public, &p, None)
        .await
        .unwrap();
    let get = |key: &str| k.items.iter().find(|x| x.key == key).unwrap().clone();
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    let f = |v: i64| v as f64;
    let on_time = get("on_time_rate");
    assert_eq!(
        on_time.numerator,
        f(r.totals.resolved_early + r.totals.resolved_on_time)
    );
    assert_eq!(on_time.denominator, f(r.totals.resolved_total));
    let online = get("online_submission_share");
    assert_eq!(online.numerator, f(r.totals.received_online));
    assert_eq!(
        online.denominator,
        f(r.totals.received_online + r.totals.received_direct_postal)
    );
    assert!(online.value.unwrap() > 0.2 && online.value.unwrap() < 0.9);
    assert!(get("satisfaction_rate").denominator > 0.0);
    assert_eq!(get("documents_exchanged_electronically_rate").value, None);
    assert!(!k.processing_time_by_procedure.is_empty());
    let _ = stored;
}
on_both_engines!(exports_and_indicators_agree_with_the_report);
