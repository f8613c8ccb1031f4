//! The Vietnamese lunisolar calendar, computed from astronomical rules at UTC+7.
//!
//! New moons follow the series of Meeus (Astronomical Algorithms, ch. 49) and the sun's
//! longitude his low-precision formula (ch. 25). A lunar month starts on the civil day (UTC+7)
//! of a new moon; month 11 is the month containing the winter solstice; a year with 13 months
//! repeats the first month that contains no major solar term. Vietnam's time zone makes some
//! dates differ from China's (UTC+8).

use std::f64::consts::PI;

use jiff::civil::Date;

/// Hours east of UTC used for Vietnamese civil days.
const TZ: f64 = 7.0;
/// Julian day number of 1970-01-01.
const JDN_UNIX_EPOCH: i64 = 2_440_588;
/// Mean length of a synodic month, days.
const SYNODIC: f64 = 29.530_588_853;
/// Julian date of the new moon numbered 0 in the series (1900-01-01).
const NEW_MOON_0: f64 = 2_415_021.076_998_695;

/// A date in the lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LunarDate {
    /// Lunar year (the solar year in which it mostly falls).
    pub year: i32,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–30.
    pub day: u8,
    /// Whether the month is the leap (intercalary) repetition.
    pub leap: bool,
}

/// Julian day number of a civil date.
pub fn jdn(d: Date) -> i64 {
    let epoch = jiff::civil::date(1970, 1, 1);
    i64::from(d.since(epoch).map(|s| s.get_days()).unwrap_or(0)) + JDN_UNIX_EPOCH
}

/// The civil date of a Julian day number.
pub fn from_jdn(n: i64) -> Option<Date> {
    let days = i32::try_from(n - JDN_UNIX_EPOCH).ok()?;
    jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(days))
        .ok()
}

fn sin_deg(x: f64) -> f64 {
    (x * PI / 180.0).sin()
}

/// Julian date (TT corrected to UT) of new moon number `k`.
fn new_moon(k: f64) -> f64 {
    let t = k / 1236.85;
    let (t2, t3) = (t * t, t * t * t);
    let mean = 2_415_020.759_33 + 29.530_588_68 * k + 0.000_117_8 * t2 - 0.000_000_155 * t3
        + 0.000_33 * sin_deg(166.56 + 132.87 * t - 0.009_173 * t2);
    let m = 359.2242 + 29.105_356_08 * k - 0.000_033_3 * t2 - 0.000_003_47 * t3;
    let mp = 306.0253 + 385.816_918_06 * k + 0.010_730_6 * t2 + 0.000_012_36 * t3;
    let f = 21.2964 + 390.670_506_46 * k - 0.001_652_8 * t2 - 0.000_002_39 * t3;
    let correction = (0.1734 - 0.000_393 * t) * sin_deg(m) + 0.0021 * sin_deg(2.0 * m)
        - 0.4068 * sin_deg(mp)
        + 0.0161 * sin_deg(2.0 * mp)
        - 0.0004 * sin_deg(3.0 * mp)
        + 0.0104 * sin_deg(2.0 * f)
        - 0.0051 * sin_deg(m + mp)
        - 0.0074 * sin_deg(m - mp)
        + 0.0004 * sin_deg(2.0 * f + m)
        - 0.0004 * sin_deg(2.0 * f - m)
        - 0.0006 * sin_deg(2.0 * f + mp)
        + 0.0010 * sin_deg(2.0 * f - mp)
        + 0.0005 * sin_deg(2.0 * mp + m);
    let delta_t = if t < -11.0 {
        0.001 + 0.000_839 * t + 0.000_226_1 * t2 - 0.000_008_45 * t3 - 0.000_000_081 * t * t3
    } else {
        -0.000_278 + 0.000_265 * t + 0.000_262 * t2
    };
    mean + correction - delta_t
}

/// Julian day number of the Vietnamese civil day of new moon `k`.
fn new_moon_day(k: i64) -> i64 {
    (new_moon(k as f64) + 0.5 + TZ / 24.0).floor() as i64
}

/// The sun's apparent longitude, radians in `[0, 2π)`, at Julian date `jd`.
fn sun_longitude(jd: f64) -> f64 {
    let t = (jd - 2_451_545.0) / 36_525.0;
    let t2 = t * t;
    let m = 357.529_10 + 35_999.050_30 * t - 0.000_155_9 * t2 - 0.000_000_48 * t * t2;
    let l0 = 280.466_45 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let c = (1.914_600 - 0.004_817 * t - 0.000_014 * t2) * sin_deg(m)
        + (0.019_993 - 0.000_101 * t) * sin_deg(2.0 * m)
        + 0.000_290 * sin_deg(3.0 * m);
    let l = (l0 + c) * PI / 180.0;
    l.rem_euclid(2.0 * PI)
}

/// Which twelfth of the ecliptic (0 = 0°–30°, … 11) the sun is in at the start of civil day `day`.
fn solar_term_segment(day: i64) -> i64 {
    (sun_longitude(day as f64 - 0.5 - TZ / 24.0) / PI * 6.0).floor() as i64
}

/// Julian day number of the first day of lunar month 11 of the lunar year ending in `year`
/// (the month that contains the winter solstice).
fn month_11(year: i32) -> i64 {
    let Some(dec31) = from_ymd(year, 12, 31) else {
        return 0;
    };
    let k = ((jdn(dec31) as f64 - NEW_MOON_0) / SYNODIC).floor() as i64;
    let start = new_moon_day(k);
    if solar_term_segment(start) >= 9 {
        new_moon_day(k - 1)
    } else {
        start
    }
}

fn from_ymd(year: i32, month: i8, day: i8) -> Option<Date> {
    Date::new(i16::try_from(year).ok()?, month, day).ok()
}

/// In a 13-month year starting at month 11 on day `a11`, the offset (1–13) of the month that
/// repeats: the first month in which the sun does not enter a new segment.
fn leap_offset(a11: i64) -> i64 {
    let k = ((a11 as f64 - NEW_MOON_0) / SYNODIC + 0.5).floor() as i64;
    let mut last;
    let mut i = 1;
    let mut arc = solar_term_segment(new_moon_day(k + i));
    loop {
        last = arc;
        i += 1;
        arc = solar_term_segment(new_moon_day(k + i));
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

/// Converts a civil date to the lunar calendar.
pub fn to_lunar(date: Date) -> LunarDate {
    let day_number = jdn(date);
    let year = i32::from(date.year());
    let k = ((day_number as f64 - NEW_MOON_0) / SYNODIC).floor() as i64;
    let mut month_start = new_moon_day(k + 1);
    if month_start > day_number {
        month_start = new_moon_day(k);
    }
    let mut a11 = month_11(year);
    let mut b11 = a11;
    let mut lunar_year;
    if a11 >= month_start {
        lunar_year = year;
        a11 = month_11(year - 1);
    } else {
        lunar_year = year + 1;
        b11 = month_11(year + 1);
    }
    let day = day_number - month_start + 1;
    let diff = (month_start - a11) / 29;
    let mut leap = false;
    let mut month = diff + 11;
    if b11 - a11 > 365 {
        let leap_diff = leap_offset(a11);
        if diff >= leap_diff {
            month = diff + 10;
            leap = diff == leap_diff;
        }
    }
    if month > 12 {
        month -= 12;
    }
    if month >= 11 && diff < 4 {
        lunar_year -= 1;
    }
    LunarDate {
        year: lunar_year,
        month: u8::try_from(month).unwrap_or(1),
        day: u8::try_from(day).unwrap_or(1),
        leap,
    }
}

/// Converts a lunar date to the civil calendar; `None` if the month is not leap that year.
pub fn from_lunar(l: LunarDate) -> Option<Date> {
    let month = i64::from(l.month);
    let (a11, b11) = if month < 11 {
        (month_11(l.year - 1), month_11(l.year))
    } else {
        (month_11(l.year), month_11(l.year + 1))
    };
    let k = ((a11 as f64 - NEW_MOON_0) / SYNODIC + 0.5).floor() as i64;
    let mut off = month - 11;
    if off < 0 {
        off += 12;
    }
    if b11 - a11 > 365 {
        let leap_off = leap_offset(a11);
        let mut leap_month = leap_off - 2;
        if leap_month < 0 {
            leap_month += 12;
        }
        if l.leap && month != leap_month {
            return None;
        }
        if l.leap || off >= leap_off {
            off += 1;
        }
    } else if l.leap {
        return None;
    }
    let start = new_moon_day(k + off);
    from_jdn(start + i64::from(l.day) - 1)
}

/// The leap month (1–12) of lunar year `year`, if it has one.
pub fn leap_month(year: i32) -> Option<u8> {
    (1..=12u8).find(|m| {
        from_lunar(LunarDate {
            year,
            month: *m,
            day: 1,
            leap: true,
        })
        .is_some()
    })
}

/// The civil date of the first day (Tết Nguyên Đán) of lunar year `year`.
pub fn tet(year: i32) -> Option<Date> {
    from_lunar(LunarDate {
        year,
        month: 1,
        day: 1,
        leap: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn known_dates() {
        assert_eq!(tet(2024), Some(date(2024, 2, 10)));
        assert_eq!(tet(2025), Some(date(2025, 1, 29)));
        assert_eq!(tet(2026), Some(date(2026, 2, 17)));
        assert_eq!(
            from_lunar(LunarDate {
                year: 2025,
                month: 3,
                day: 10,
                leap: false
            }),
            Some(date(2025, 4, 7))
        );
        assert_eq!(leap_month(2023), Some(2));
        assert_eq!(leap_month(2025), Some(6));
        assert_eq!(leap_month(2033), Some(11));
        assert_eq!(leap_month(2024), None);
        assert_eq!(
            to_lunar(date(2025, 1, 28)),
            LunarDate {
                year: 2024,
                month: 12,
                day: 29,
                leap: false
            }
        );
        assert_eq!(from_jdn(jdn(date(2000, 3, 1))), Some(date(2000, 3, 1)));
    }
}
