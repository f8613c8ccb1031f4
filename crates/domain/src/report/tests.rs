use jiff::civil::date;
use proptest::prelude::*;

use super::period::{civil, date_of, day_number, days_from_civil};
use super::*;

/// µs of a Vietnam local date and time.
fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> i64 {
    let day = day_number(date(y, m, d));
    day_start_us(day) + (i64::from(h) * 60 + i64::from(min)) * 60_000_000
}

#[test]
fn a_day_starts_at_local_midnight() {
    // 2025-01-01 00:00 in Vietnam is 2024-12-31 17:00 UTC.
    let midnight = at(2025, 1, 1, 0, 0);
    assert_eq!(day_of(midnight), day_number(date(2025, 1, 1)));
    assert_eq!(day_of(midnight - 1), day_number(date(2024, 12, 31)));
    assert_eq!(date_of(day_of(midnight)), Some(date(2025, 1, 1)));
}

proptest! {
    #[test]
    fn civil_round_trips(day in -50_000i32..100_000) {
        let (y, m, d) = civil(day);
        prop_assert_eq!(days_from_civil(y, m, d), day);
        let jd = date_of(day).map(day_number);
        prop_assert_eq!(jd, Some(day));
    }

    #[test]
    fn cover_counts_every_day_once(from in 9_000i32..25_000, len in 0i32..2_000) {
        let to = from + len;
        let mut days = Vec::new();
        for (grain, lo, hi) in cover(from, to) {
            for b in lo..=hi {
                match grain {
                    Grain::Day => days.push(b),
                    Grain::Month => {
                        let (y, m) = (b.div_euclid(12), b.rem_euclid(12) + 1);
                        let first = days_from_civil(y, m, 1);
                        let next = if m == 12 { days_from_civil(y + 1, 1, 1) } else { days_from_civil(y, m + 1, 1) };
                        days.extend(first..next);
                    }
                    Grain::Year => days.extend(days_from_civil(b, 1, 1)..days_from_civil(b + 1, 1, 1)),
                }
            }
        }
        days.sort_unstable();
        prop_assert_eq!(days, (from..=to).collect::<Vec<_>>());
    }

    #[test]
    fn buckets_contain_their_day(day in 9_000i32..25_000) {
        let (y, m, _) = civil(day);
        prop_assert_eq!(Grain::Year.bucket(day), y);
        prop_assert_eq!(Grain::Month.bucket(day), y * 12 + m - 1);
    }
}

#[test]
fn a_year_is_read_as_one_bucket_and_a_decree_period_as_days_and_months() {
    let y = Period::new(date(2025, 1, 1), date(2025, 12, 31)).unwrap();
    assert_eq!(
        cover(y.first_day(), y.last_day()),
        vec![(Grain::Year, 2025, 2025)]
    );
    let p = Period::decree_09(2025, 1, 12).unwrap();
    assert_eq!(p.from, date(2024, 12, 15));
    assert_eq!(p.to, date(2025, 12, 14));
    let c = cover(p.first_day(), p.last_day());
    assert_eq!(c.len(), 3, "{c:?}");
    assert_eq!(c[1], (Grain::Month, 2025 * 12, 2025 * 12 + 10));
}

#[test]
fn periods_refuse_inverted_and_absurd_ranges() {
    assert_eq!(
        Period::parse("2025-02-01", "2025-01-01"),
        Err(PeriodError::Inverted)
    );
    assert_eq!(
        Period::parse("1800-01-01", "2025-01-01"),
        Err(PeriodError::Absurd)
    );
    assert_eq!(
        Period::parse("2000-01-01", "2099-01-01"),
        Err(PeriodError::Absurd)
    );
    assert!(matches!(
        Period::parse("2025-13-01", "2025-12-01"),
        Err(PeriodError::NotADate(_))
    ));
    assert!(matches!(
        Period::parse("'; DROP", "2025-12-01"),
        Err(PeriodError::NotADate(_))
    ));
    assert!(PeriodError::Inverted.vi().contains("kết thúc"));
    assert!(PeriodError::Inverted.en().starts_with("The period"));
}

fn facts(accepted: i64, due: i64, finished: Option<(i64, Outcome)>) -> Facts {
    Facts {
        online: true,
        accepted_at: Some(accepted),
        due_at: Some(due),
        finished,
        ..Facts::default()
    }
}

#[test]
fn timeliness_is_measured_by_day_and_instant() {
    let due = at(2025, 3, 10, 17, 0);
    assert_eq!(
        timeliness(at(2025, 3, 9, 16, 0), Some(due)),
        Timeliness::Early
    );
    assert_eq!(
        timeliness(at(2025, 3, 10, 8, 0), Some(due)),
        Timeliness::OnTime
    );
    assert_eq!(timeliness(due, Some(due)), Timeliness::OnTime);
    assert_eq!(timeliness(due + 1, Some(due)), Timeliness::Late);
    assert_eq!(timeliness(due, None), Timeliness::OnTime);
}

fn row_for(f: &[Facts], first: i32, last: i32) -> Bieu06 {
    let mut before = [0; MEASURES];
    let mut within = [0; MEASURES];
    for c in f.iter().flat_map(contributions) {
        let target = if c.0 < first {
            &mut before
        } else if c.0 <= last {
            &mut within
        } else {
            continue;
        };
        if let Some(x) = target.get_mut(c.1.index()) {
            *x += c.2;
        }
    }
    Bieu06::from_sums(&before, &within)
}

#[test]
fn a_march_report_counts_carry_over_resolution_and_pending() {
    let march = (day_number(date(2025, 3, 1)), day_number(date(2025, 3, 31)));
    let all = [
        // Accepted in February, resolved early in March.
        facts(
            at(2025, 2, 20, 9, 0),
            at(2025, 3, 5, 17, 0),
            Some((at(2025, 3, 3, 10, 0), Outcome::Resolved)),
        ),
        // Accepted in March, still pending at the end, due in April: on time.
        facts(at(2025, 3, 20, 9, 0), at(2025, 4, 2, 17, 0), None),
        // Accepted in March, due in March, resolved in April: pending overdue at the end of March.
        facts(
            at(2025, 3, 2, 9, 0),
            at(2025, 3, 20, 17, 0),
            Some((at(2025, 4, 3, 9, 0), Outcome::Rejected)),
        ),
        // Accepted and withdrawn in February: nowhere in March.
        facts(
            at(2025, 2, 2, 9, 0),
            at(2025, 2, 20, 17, 0),
            Some((at(2025, 2, 5, 9, 0), Outcome::Withdrawn)),
        ),
        // Accepted in March at the desk, resolved late in March.
        Facts {
            online: false,
            ..facts(
                at(2025, 3, 3, 9, 0),
                at(2025, 3, 6, 17, 0),
                Some((at(2025, 3, 7, 9, 0), Outcome::Resolved)),
            )
        },
    ];
    let r = row_for(&all, march.0, march.1);
    assert_eq!(r.columns(), [4, 2, 1, 1, 2, 1, 0, 1, 2, 1, 1], "{r:?}");
    assert_eq!(
        r.received_total,
        r.resolved_total + r.pending_total + r.withdrawn
    );
}

#[test]
fn the_row_of_each_dossier_sums_to_the_row_from_contributions() {
    let mut cases = Vec::new();
    let base = at(2025, 1, 1, 9, 0);
    let hour = 3_600_000_000i64;
    for i in 0..400i64 {
        let accepted = base + (i * 37 % 200) * 24 * hour + (i % 9) * hour;
        let due = accepted + ((i * 13) % 30) * 24 * hour;
        let finished = match i % 5 {
            0 => None,
            1 => Some((accepted + ((i * 7) % 40) * 24 * hour, Outcome::Resolved)),
            2 => Some((due, Outcome::Rejected)),
            3 => Some((due + hour, Outcome::Withdrawn)),
            _ => Some((accepted + (i % 3) * hour, Outcome::Resolved)),
        };
        cases.push(Facts {
            online: i % 2 == 0,
            ..facts(accepted, due, finished)
        });
    }
    for (first, last) in [
        ((2025, 2, 15), (2025, 3, 14)),
        ((2025, 1, 1), (2025, 12, 31)),
        ((2025, 4, 30), (2025, 4, 30)),
    ] {
        let f = day_number(date(first.0, first.1, first.2));
        let l = day_number(date(last.0, last.1, last.2));
        let mut direct = Bieu06::default();
        for c in &cases {
            direct.add(&row_of(c, f, l));
        }
        assert_eq!(direct, row_for(&cases, f, l), "{first:?}..{last:?}");
        assert!(direct.received_total > 0);
    }
}

#[test]
fn delta_nets_out_what_did_not_change() {
    let before = facts(at(2025, 3, 2, 9, 0), at(2025, 3, 20, 17, 0), None);
    let after = Facts {
        finished: Some((at(2025, 3, 19, 9, 0), Outcome::Resolved)),
        supplement_rounds: 0,
        ..before.clone()
    };
    let d = delta(&before, &after);
    let day = |y, m, dd| day_number(date(y, m, dd));
    assert_eq!(
        d,
        vec![
            (day(2025, 3, 19), Measure::ResolvedEarly, 1),
            (day(2025, 3, 19), Measure::ProcessingSeconds, 17 * 86_400),
            (day(2025, 3, 20), Measure::FinishedByDue, 1),
        ]
    );
    assert!(delta(&after, &after).is_empty());
}

#[test]
fn ratings_and_apologies_are_counted_on_their_days() {
    let f = Facts {
        apologized: true,
        rating: Some((at(2025, 4, 1, 9, 0), 3)),
        result_electronic: true,
        ..facts(
            at(2025, 3, 2, 9, 0),
            at(2025, 3, 20, 17, 0),
            Some((at(2025, 3, 25, 9, 0), Outcome::Resolved)),
        )
    };
    let c = contributions(&f);
    let has = |m: Measure| c.iter().any(|x| x.1 == m);
    assert!(has(Measure::LateApologized));
    assert!(has(Measure::RatedSatisfied));
    assert!(has(Measure::ResultsElectronic));
    assert!(!has(Measure::ResultsSigned));
    assert!(
        contributions(&Facts::default()).is_empty(),
        "never accepted: not reported"
    );
}
