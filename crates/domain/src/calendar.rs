//! Working days: weekends, the statutory holidays of the Labour Code 2019 art. 112 (lunar ones
//! from [`crate::lunar`]), compensatory days, the province's own overrides (extra days off,
//! make-up working days), half-day granularity and the daily cut-off for receipts.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{
    Timestamp,
    civil::{Date, Time, Weekday, date, time},
};
use serde::{Deserialize, Serialize};

use crate::{
    clock::business_tz,
    lunar::{LunarDate, from_lunar},
};

/// Why a day is not worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// A public holiday of the Labour Code.
    Statutory,
    /// A day off given because a holiday fell on a weekly rest day.
    Compensatory,
    /// A day off decided by the Prime Minister or the province.
    Province,
}

/// A day off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    /// The day.
    pub date: Date,
    /// Its name in Vietnamese.
    pub name: String,
    /// Kind.
    pub kind: HolidayKind,
}

/// A province's (or the Prime Minister's) decision about one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// The day.
    pub date: Date,
    /// `true`: a day off; `false`: a working day (e.g. a Saturday worked to make up a bridge).
    pub day_off: bool,
    /// Reason shown to users.
    pub name: String,
}

/// Office hours that split a working day into a morning and an afternoon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfficeHours {
    /// End of the morning.
    pub morning_end: Time,
    /// Start of the afternoon.
    pub afternoon_start: Time,
    /// End of the afternoon.
    pub afternoon_end: Time,
    /// Receipts after this time count from the next working day.
    pub cutoff: Time,
}

impl Default for OfficeHours {
    fn default() -> Self {
        Self {
            morning_end: time(11, 30, 0, 0),
            afternoon_start: time(13, 30, 0, 0),
            afternoon_end: time(17, 0, 0, 0),
            cutoff: time(16, 0, 0, 0),
        }
    }
}

/// A due date computed from a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The instant (end of the last half-day counted).
    pub due: Timestamp,
    /// Its business date.
    pub due_date: Date,
    /// Days passed over between receipt and due date, with the reason.
    pub skipped: Vec<(Date, String)>,
}

fn weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The statutory holidays of `year` (without compensatory days).
pub fn statutory_holidays(year: i16) -> Vec<Holiday> {
    let h = |d: Date, name: &str| Holiday {
        date: d,
        name: name.to_owned(),
        kind: HolidayKind::Statutory,
    };
    let mut out = vec![h(date(year, 1, 1), "Tết Dương lịch")];
    let y = i32::from(year);
    // Tết Âm lịch: the last day of the old lunar year and the first four of the new one.
    if let Some(first) = from_lunar(LunarDate {
        year: y,
        month: 1,
        day: 1,
        leap: false,
    }) {
        if let Ok(eve) = first.yesterday() {
            out.push(h(eve, "Tết Âm lịch (ngày cuối năm)"));
        }
        for i in 0..4 {
            if let Ok(d) = first.checked_add(jiff::Span::new().days(i)) {
                out.push(h(d, &format!("Tết Âm lịch (mùng {})", i + 1)));
            }
        }
    }
    if let Some(d) = from_lunar(LunarDate {
        year: y,
        month: 3,
        day: 10,
        leap: false,
    }) {
        out.push(h(d, "Giỗ Tổ Hùng Vương (10/3 âm lịch)"));
    }
    out.push(h(date(year, 4, 30), "Ngày Chiến thắng"));
    out.push(h(date(year, 5, 1), "Ngày Quốc tế lao động"));
    let national = date(year, 9, 2);
    out.push(h(national, "Quốc khánh"));
    // The adjacent day: Monday 1/9 when 2/9 is a Tuesday (a four-day break), otherwise 3/9.
    // The Prime Minister's yearly choice is entered as a province override when it differs.
    let adjacent = if national.weekday() == Weekday::Tuesday {
        date(year, 9, 1)
    } else {
        date(year, 9, 3)
    };
    out.push(h(adjacent, "Quốc khánh (ngày liền kề)"));
    out.sort_by_key(|x| x.date);
    out
}

/// The working-day calendar of a span of years.
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    days_off: BTreeMap<Date, Holiday>,
    work_days: BTreeSet<Date>,
}

impl WorkCalendar {
    /// Builds the calendar of `from_year..=to_year` with the statutory holidays, their
    /// compensatory days, and `overrides` applied last.
    pub fn new(from_year: i16, to_year: i16, overrides: &[Override]) -> Self {
        let mut days_off: BTreeMap<Date, Holiday> = BTreeMap::new();
        for year in from_year..=to_year {
            for h in statutory_holidays(year) {
                days_off.insert(h.date, h);
            }
        }
        // A holiday on a weekly rest day gives the next working day off.
        let on_weekend: Vec<Holiday> = days_off
            .values()
            .filter(|h| weekend(h.date))
            .cloned()
            .collect();
        for h in on_weekend {
            let mut d = h.date;
            loop {
                let Ok(next) = d.tomorrow() else { break };
                d = next;
                if !weekend(d) && !days_off.contains_key(&d) {
                    days_off.insert(
                        d,
                        Holiday {
                            date: d,
                            name: format!("Nghỉ bù {}", h.name),
                            kind: HolidayKind::Compensatory,
                        },
                    );
                    break;
                }
            }
        }
        let mut work_days = BTreeSet::new();
        for o in overrides {
            if o.day_off {
                days_off.insert(
                    o.date,
                    Holiday {
                        date: o.date,
                        name: o.name.clone(),
                        kind: HolidayKind::Province,
                    },
                );
                work_days.remove(&o.date);
            } else {
                days_off.remove(&o.date);
                work_days.insert(o.date);
            }
        }
        Self {
            days_off,
            work_days,
        }
    }

    /// Whether offices work on `d`.
    pub fn is_working_day(&self, d: Date) -> bool {
        self.work_days.contains(&d) || (!weekend(d) && !self.days_off.contains_key(&d))
    }

    /// Days off of `year` (weekends not included), in date order.
    pub fn holidays(&self, year: i16) -> Vec<Holiday> {
        self.days_off
            .values()
            .filter(|h| h.date.year() == year)
            .cloned()
            .collect()
    }

    /// Why `d` is not a working day.
    pub fn reason(&self, d: Date) -> Option<String> {
        if self.is_working_day(d) {
            return None;
        }
        Some(match self.days_off.get(&d) {
            Some(h) => h.name.clone(),
            None if d.weekday() == Weekday::Saturday => "Thứ Bảy".to_owned(),
            None => "Chủ nhật".to_owned(),
        })
    }

    fn next_working_day(&self, d: Date) -> Option<Date> {
        let mut day = d.tomorrow().ok()?;
        for _ in 0..400 {
            if self.is_working_day(day) {
                return Some(day);
            }
            day = day.tomorrow().ok()?;
        }
        None
    }

    /// The due instant of something received at `received` that takes `working_days` (in
    /// halves; 0.5 is one morning or afternoon). A receipt after the cut-off, or on a day
    /// off, counts from the next working morning. `None` outside the supported range.
    pub fn due(&self, received: Timestamp, working_days: f64, hours: &OfficeHours) -> Option<Due> {
        let halves = (working_days * 2.0).ceil().clamp(1.0, 2.0 * 366.0) as u32;
        self.due_in_halves(received, halves, hours)
    }

    /// The working day before `d` (the day an apology is due at the latest).
    pub fn previous_working_day(&self, d: Date) -> Option<Date> {
        let mut day = d.yesterday().ok()?;
        for _ in 0..400 {
            if self.is_working_day(day) {
                return Some(day);
            }
            day = day.yesterday().ok()?;
        }
        None
    }

    /// Working half-days whose end falls after `from` and no later than `to` (0 when `to`
    /// is not after `from`): the time left on a clock paused at `from` with a due instant `to`.
    pub fn halves_between(&self, from: Timestamp, to: Timestamp, hours: &OfficeHours) -> u32 {
        if to <= from {
            return 0;
        }
        let tz = business_tz();
        let mut d = from.to_zoned(tz.clone()).date();
        let end = to.to_zoned(tz.clone()).date();
        let mut n = 0u32;
        while d <= end {
            if self.is_working_day(d) {
                for t in [hours.morning_end, hours.afternoon_end] {
                    if let Ok(z) = d.to_datetime(t).to_zoned(tz.clone()) {
                        let at = z.timestamp();
                        if at > from && at <= to {
                            n = n.saturating_add(1);
                        }
                    }
                }
            }
            match d.tomorrow() {
                Ok(next) => d = next,
                Err(_) => break,
            }
        }
        n
    }

    /// The due instant of `halves` working half-days counted from `received`.
    pub fn due_in_halves(
        &self,
        received: Timestamp,
        halves: u32,
        hours: &OfficeHours,
    ) -> Option<Due> {
        let local = received.to_zoned(business_tz());
        let day = local.date();
        let t = local.time();
        let halves = halves.max(1);
        // (day, half) of the half-day in which the receipt counts as made; counting starts
        // with the half-day after it.
        let (mut d, mut afternoon) = if self.is_working_day(day) && t < hours.cutoff {
            (day, t >= hours.morning_end)
        } else {
            // As if received at the very end of the previous half-day of the next working day.
            let next = self.next_working_day(day)?;
            (next.yesterday().ok()?, true)
        };
        let mut skipped = Vec::new();
        let mut counted = 0;
        while counted < halves {
            if afternoon {
                let next = self.next_working_day(d)?;
                let mut gap = d.tomorrow().ok()?;
                while gap < next {
                    if let Some(r) = self.reason(gap) {
                        skipped.push((gap, r));
                    }
                    gap = gap.tomorrow().ok()?;
                }
                d = next;
                afternoon = false;
            } else {
                afternoon = true;
            }
            counted += 1;
        }
        let end = if afternoon {
            hours.afternoon_end
        } else {
            hours.morning_end
        };
        let due = d.to_datetime(end).to_zoned(business_tz()).ok()?.timestamp();
        skipped.retain(|(s, _)| *s > day);
        Some(Due {
            due,
            due_date: d,
            skipped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        date(y, m, d)
            .at(h, min, 0, 0)
            .to_zoned(business_tz())
            .unwrap()
            .timestamp()
    }

    #[test]
    fn a_paused_clock_keeps_the_time_left_and_apologies_fall_on_the_working_day_before() {
        let cal = WorkCalendar::new(2025, 2027, &[]);
        let h = OfficeHours::default();
        // Received Monday 9 March 2026 at 09:00, 3 working days: due Thursday 12 March 11:30.
        let due = cal.due(at(2026, 3, 9, 9, 0), 3.0, &h).unwrap();
        assert_eq!(due.due, at(2026, 3, 12, 11, 30));
        // Paused on Tuesday at 10:00: Tue morning, Tue afternoon, Wed ×2, Thu morning are left.
        let left = cal.halves_between(at(2026, 3, 10, 10, 0), due.due, &h);
        assert_eq!(left, 5);
        // Resumed the next Monday at 08:00: as for a receipt, that half-day does not count;
        // the five halves are Monday afternoon to Wednesday afternoon.
        let resumed = cal.due_in_halves(at(2026, 3, 16, 8, 0), left, &h).unwrap();
        assert_eq!(resumed.due, at(2026, 3, 18, 17, 0));
        assert_eq!(cal.halves_between(due.due, at(2026, 3, 9, 9, 0), &h), 0);
        // The day before Monday 4 May 2026 (after the 30/4–1/5 holidays) is Wednesday 29 April.
        assert_eq!(
            cal.previous_working_day(date(2026, 5, 4)),
            Some(date(2026, 4, 29))
        );
    }

    #[test]
    fn holidays_of_2026() {
        let cal = WorkCalendar::new(2025, 2027, &[]);
        let days: Vec<(String, HolidayKind)> = cal
            .holidays(2026)
            .iter()
            .map(|h| (h.date.to_string(), h.kind))
            .collect();
        // Tết 2026 is 17 February: 16–20 February off.
        for d in [
            "2026-01-01",
            "2026-02-16",
            "2026-02-17",
            "2026-02-20",
            "2026-04-26",
            "2026-04-30",
            "2026-05-01",
            "2026-09-02",
        ] {
            assert!(days.iter().any(|(x, _)| x == d), "{d} in {days:?}");
        }
        // Giỗ Tổ 2026 (26/4) is a Sunday: Monday 27/4 is given in compensation.
        assert!(
            days.contains(&("2026-04-27".to_owned(), HolidayKind::Compensatory)),
            "{days:?}"
        );
        assert!(!cal.is_working_day(date(2026, 4, 27)));
        assert!(cal.is_working_day(date(2026, 4, 28)));
    }

    #[test]
    fn due_dates_count_half_days_and_skip_days_off() {
        let cal = WorkCalendar::new(2025, 2027, &[]);
        let h = OfficeHours::default();
        // Monday morning + 3 days → Thursday morning.
        let d = cal.due(at(2026, 11, 23, 9, 0), 3.0, &h).unwrap();
        assert_eq!(d.due_date, date(2026, 11, 26));
        assert_eq!(d.due, at(2026, 11, 26, 11, 30));
        // Half a day from a morning → the same afternoon; from an afternoon → next morning.
        assert_eq!(
            cal.due(at(2026, 11, 23, 9, 0), 0.5, &h).unwrap().due,
            at(2026, 11, 23, 17, 0)
        );
        assert_eq!(
            cal.due(at(2026, 11, 23, 14, 0), 0.5, &h).unwrap().due,
            at(2026, 11, 24, 11, 30)
        );
        // After the cut-off, or on Saturday, counting starts on the next working morning.
        assert_eq!(
            cal.due(at(2026, 11, 23, 16, 30), 0.5, &h).unwrap().due,
            at(2026, 11, 24, 11, 30)
        );
        let sat = cal.due(at(2026, 11, 28, 10, 0), 1.0, &h).unwrap();
        assert_eq!(sat.due, at(2026, 11, 30, 17, 0));
        // Friday + 1 day skips the weekend and names it.
        let fri = cal.due(at(2026, 11, 27, 9, 0), 1.0, &h).unwrap();
        assert_eq!(fri.due_date, date(2026, 11, 30));
        assert_eq!(
            fri.skipped
                .iter()
                .map(|(d, _)| d.to_string())
                .collect::<Vec<_>>(),
            ["2026-11-28", "2026-11-29"]
        );
        // Across Tết 2026.
        let tet = cal.due(at(2026, 2, 13, 9, 0), 2.0, &h).unwrap();
        assert_eq!(
            tet.due_date,
            date(2026, 2, 24),
            "Fri PM, Mon 23 AM+PM, Tue 24 AM"
        );
        assert!(tet.skipped.iter().any(|(_, r)| r.contains("Tết Âm lịch")));
    }

    #[test]
    fn province_overrides_win() {
        let overrides = [
            Override {
                date: date(2026, 2, 21),
                day_off: false,
                name: "Làm bù".into(),
            },
            Override {
                date: date(2026, 2, 23),
                day_off: true,
                name: "Nghỉ theo quyết định của Thủ tướng".into(),
            },
        ];
        let cal = WorkCalendar::new(2026, 2026, &overrides);
        assert!(cal.is_working_day(date(2026, 2, 21)), "a Saturday worked");
        assert!(!cal.is_working_day(date(2026, 2, 23)));
        assert_eq!(
            cal.holidays(2026)
                .iter()
                .find(|h| h.date == date(2026, 2, 23))
                .map(|h| h.kind),
            Some(HolidayKind::Province)
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn due_is_a_working_day_after_receipt_and_grows_with_time(
            offset in 0i64..(3 * 365 * 24 * 60),
            halves in 1u32..120,
        ) {
            let cal = WorkCalendar::new(2025, 2029, &[]);
            let h = OfficeHours::default();
            let start = date(2026, 1, 1).at(0, 0, 0, 0).to_zoned(business_tz()).unwrap().timestamp();
            let received = start.checked_add(jiff::SignedDuration::from_mins(offset)).unwrap();
            let days = f64::from(halves) / 2.0;
            let due = cal.due(received, days, &h).unwrap();
            prop_assert!(due.due > received);
            prop_assert!(cal.is_working_day(due.due_date));
            let longer = cal.due(received, days + 0.5, &h).unwrap();
            prop_assert!(longer.due > due.due);
            for (d, _) in &due.skipped {
                prop_assert!(!cal.is_working_day(*d));
            }
        }
    }
}

/// A problem in a calendar file, with its line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFileError {
    /// Line in the file.
    pub line: usize,
    /// Vietnamese message.
    pub vi: String,
    /// English message.
    pub en: String,
}

/// Parses a province calendar file: one decision per line, `YYYY-MM-DD,nghi|lam,Tên`
/// (`nghi`/`off`: a day off; `lam`/`work`: a make-up working day), `#` starts a comment, blank
/// lines are skipped. Every problem is returned with its line; the same day twice is an error.
pub fn parse_overrides(text: &str) -> Result<Vec<Override>, Vec<CalendarFileError>> {
    let mut out: Vec<Override> = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let mut parts = content.splitn(3, ',').map(str::trim);
        let (Some(day), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            errors.push(CalendarFileError {
                line,
                vi: "Cần 3 cột: ngày (NNNN-TT-NN), nghi hoặc lam, tên.".into(),
                en: "Three columns are needed: date (YYYY-MM-DD), off or work, name.".into(),
            });
            continue;
        };
        let date = match day.parse::<Date>() {
            Ok(d) if (1900..=2199).contains(&d.year()) => d,
            _ => {
                errors.push(CalendarFileError {
                    line,
                    vi: format!("Ngày \"{day}\" không hợp lệ (NNNN-TT-NN, năm 1900–2199)."),
                    en: format!("Date \"{day}\" is not valid (YYYY-MM-DD, years 1900–2199)."),
                });
                continue;
            }
        };
        let day_off = match kind {
            "nghi" | "nghỉ" | "off" => true,
            "lam" | "làm" | "work" => false,
            other => {
                errors.push(CalendarFileError {
                    line,
                    vi: format!(
                        "Loại \"{other}\" không hợp lệ: nghi (ngày nghỉ) hoặc lam (làm bù)."
                    ),
                    en: format!("Kind \"{other}\" is not valid: off or work."),
                });
                continue;
            }
        };
        let name = crate::text::nfc(name);
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            errors.push(CalendarFileError {
                line,
                vi: "Tên có 1–200 ký tự, không có ký tự điều khiển.".into(),
                en: "The name has 1 to 200 characters and no control characters.".into(),
            });
            continue;
        }
        if out.iter().any(|o| o.date == date) {
            errors.push(CalendarFileError {
                line,
                vi: format!("Ngày {date} đã có ở dòng trước."),
                en: format!("Date {date} appears on an earlier line."),
            });
            continue;
        }
        out.push(Override {
            date,
            day_off,
            name,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;

    #[test]
    fn calendar_files_are_read_with_the_offending_line_named() {
        let ok =
            "# Quyết định của UBND\n2026-05-04, nghi, Nghỉ bù\n\n2026-05-09,lam,Làm bù ngày 4/5\n";
        let parsed = parse_overrides(ok).unwrap();
        assert_eq!(parsed.len(), 2);
        assert!(parsed[0].day_off && !parsed[1].day_off);
        let bad = "2026-05-04,nghi,Nghỉ bù\n2026-13-01,nghi,x\n2026-05-05,holiday,x\n2026-05-04,lam,y\nchỉ một cột\n2026-05-06,nghi,\n";
        let lines: Vec<usize> = parse_overrides(bad)
            .unwrap_err()
            .iter()
            .map(|e| e.line)
            .collect();
        assert_eq!(lines, [2, 3, 4, 5, 6]);
    }
}
