//! Reporting periods and the calendar arithmetic of aggregate buckets: a range of days is
//! covered by whole years, whole months and single days, so a sum over any period reads few
//! rows.

use jiff::civil::Date;

/// Size of an aggregate bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    /// One day; bucket = days since 1970-01-01.
    Day,
    /// One month; bucket = year × 12 + month − 1.
    Month,
    /// One year; bucket = the year.
    Year,
}

impl Grain {
    /// Every grain.
    pub const ALL: [Grain; 3] = [Grain::Day, Grain::Month, Grain::Year];

    /// Stored code.
    pub fn code(self) -> i16 {
        match self {
            Grain::Day => 0,
            Grain::Month => 1,
            Grain::Year => 2,
        }
    }

    /// The bucket holding `day`.
    pub fn bucket(self, day: i32) -> i32 {
        let (y, m, _) = civil(day);
        match self {
            Grain::Day => day,
            Grain::Month => y * 12 + m - 1,
            Grain::Year => y,
        }
    }
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01 (proleptic Gregorian).
pub fn civil(day: i32) -> (i32, i32, i32) {
    let z = i64::from(day) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (to_i32(y), to_i32(m), to_i32(d))
}

/// Day count since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i32, m: i32, d: i32) -> i32 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    to_i32(era * 146_097 + doe - 719_468)
}

fn to_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

/// The day count of a civil date.
pub fn day_number(d: Date) -> i32 {
    days_from_civil(
        i32::from(d.year()),
        i32::from(d.month()),
        i32::from(d.day()),
    )
}

/// The civil date of a day count (`None` outside jiff's range).
pub fn date_of(day: i32) -> Option<Date> {
    let (y, m, d) = civil(day);
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// The smallest set of (grain, first bucket, last bucket) ranges whose buckets cover the days
/// `from..=to` exactly once. Empty when `from > to`.
pub fn cover(from: i32, to: i32) -> Vec<(Grain, i32, i32)> {
    let mut out: Vec<(Grain, i32, i32)> = Vec::new();
    let mut d = from;
    while d <= to {
        let (y, m, dd) = civil(d);
        let next_year = days_from_civil(y + 1, 1, 1);
        let next_month = if m == 12 {
            next_year
        } else {
            days_from_civil(y, m + 1, 1)
        };
        let (grain, bucket, next) = if m == 1 && dd == 1 && next_year - 1 <= to {
            (Grain::Year, y, next_year)
        } else if dd == 1 && next_month - 1 <= to {
            (Grain::Month, y * 12 + m - 1, next_month)
        } else {
            (Grain::Day, d, d + 1)
        };
        match out.last_mut() {
            Some(last) if last.0 == grain && last.2 + 1 == bucket => last.2 = bucket,
            _ => out.push((grain, bucket, bucket)),
        }
        d = next;
    }
    out
}

/// A reporting period: whole Vietnam calendar days `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub from: Date,
    /// Last day (inclusive).
    pub to: Date,
}

/// Why a period is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// Not a `YYYY-MM-DD` date.
    #[error("not a date: {0}")]
    NotADate(String),
    /// The end comes before the start.
    #[error("the period ends before it starts")]
    Inverted,
    /// Outside the years the platform reports on, or longer than allowed.
    #[error("the period is outside 2000–2100 or longer than 20 years")]
    Absurd,
}

impl PeriodError {
    /// Vietnamese explanation.
    pub fn vi(&self) -> String {
        match self {
            PeriodError::NotADate(s) => {
                format!("\"{s}\" không phải là ngày theo dạng NNNN-TT-NN (ví dụ 2025-12-14).")
            }
            PeriodError::Inverted => "Ngày kết thúc kỳ báo cáo đứng trước ngày bắt đầu.".into(),
            PeriodError::Absurd => {
                "Kỳ báo cáo phải nằm trong các năm 2000–2100 và không dài quá 20 năm.".into()
            }
        }
    }

    /// English explanation.
    pub fn en(&self) -> String {
        match self {
            PeriodError::NotADate(s) => format!("\"{s}\" is not a YYYY-MM-DD date."),
            other => {
                let s = other.to_string();
                let mut c = s.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str() + ".")
                    .unwrap_or_default()
            }
        }
    }
}

impl Period {
    /// Parses and checks a period given as two `YYYY-MM-DD` dates.
    pub fn parse(from: &str, to: &str) -> Result<Self, PeriodError> {
        let parse = |s: &str| {
            let t = s.trim();
            if t.len() != 10 {
                return Err(PeriodError::NotADate(s.chars().take(40).collect()));
            }
            t.parse::<Date>()
                .map_err(|_| PeriodError::NotADate(s.chars().take(40).collect()))
        };
        Self::new(parse(from)?, parse(to)?)
    }

    /// Checks a period.
    pub fn new(from: Date, to: Date) -> Result<Self, PeriodError> {
        if to < from {
            return Err(PeriodError::Inverted);
        }
        let ok = |d: Date| (2000..=2100).contains(&d.year());
        if !ok(from) || !ok(to) || i32::from(to.year()) - i32::from(from.year()) > 20 {
            return Err(PeriodError::Absurd);
        }
        Ok(Self { from, to })
    }

    /// First day as a day count.
    pub fn first_day(&self) -> i32 {
        day_number(self.from)
    }

    /// Last day as a day count.
    pub fn last_day(&self) -> i32 {
        day_number(self.to)
    }

    /// The reporting period of NĐ 09/2019 ending in `month` of `year`: from the 15th of the
    /// month before `first_month` to the 14th of `month`.
    pub fn decree_09(year: i16, first_month: i8, month: i8) -> Option<Self> {
        let (py, pm) = if first_month == 1 {
            (year - 1, 12)
        } else {
            (year, first_month - 1)
        };
        let from = Date::new(py, pm, 15).ok()?;
        let to = Date::new(year, month, 14).ok()?;
        Self::new(from, to).ok()
    }
}
