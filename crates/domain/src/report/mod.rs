//! The Biểu 06/VPCP/KSTT report and the plans' indicators, defined once.
//!
//! A dossier enters the reports when it is accepted for resolution and leaves the stock of
//! dossiers in process when it is finished: resolved (result issued), rejected with reasons
//! (also a resolution) or withdrawn by the applicant (neither resolved nor pending). Every
//! figure is a sum over days of per-dossier *contributions* ([`contributions`]), so the same
//! definitions serve the aggregates kept in the database and a brute-force recomputation.
//!
//! Days are Vietnam calendar days; Vietnam keeps UTC+07:00 all year, so a day is an integer
//! count from 1970-01-01 ([`day_of`]).

mod period;

pub use period::{Grain, Period, PeriodError, civil, cover, date_of, day_number, days_from_civil};

use serde::Serialize;

/// µs in a day.
const DAY_US: i64 = 86_400_000_000;
/// Vietnam's offset from UTC in µs.
const OFFSET_US: i64 = 7 * 3_600_000_000;

/// The Vietnam calendar day (days since 1970-01-01) of an instant in µs.
pub fn day_of(us: i64) -> i32 {
    i32::try_from((us + OFFSET_US).div_euclid(DAY_US)).unwrap_or(i32::MAX)
}

/// The first instant (µs) of a Vietnam calendar day.
pub fn day_start_us(day: i32) -> i64 {
    i64::from(day) * DAY_US - OFFSET_US
}

/// The counters kept per agency, procedure and day. Each is summed over days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// Accepted on this day, submitted online.
    ReceivedOnline,
    /// Accepted on this day, submitted at the desk or by post.
    ReceivedDirectPostal,
    /// Resolved on this day, on a day before the due day.
    ResolvedEarly,
    /// Resolved on this day, the due day, not after the due instant.
    ResolvedOnTime,
    /// Resolved on this day, after the due instant.
    ResolvedLate,
    /// Withdrawn on this day after acceptance.
    Withdrawn,
    /// Accepted dossiers whose due instant falls on this day.
    DueOnDay,
    /// Finished dossiers (any way) whose due instant falls on this day and which finished by it.
    FinishedByDue,
    /// Finished on this day after the due instant (any way).
    FinishedLate,
    /// Seconds from acceptance to resolution of the dossiers resolved on this day.
    ProcessingSeconds,
    /// Supplement rounds of the dossiers resolved on this day.
    SupplementRounds,
    /// Resolved late on this day with an apology issued before.
    LateApologized,
    /// Rated on this day.
    Rated,
    /// Rated on this day "satisfied" or "very satisfied".
    RatedSatisfied,
    /// Resolved on this day with the result issued as an electronic document.
    ResultsElectronic,
    /// Resolved on this day with an electronically signed result.
    ResultsSigned,
}

impl Measure {
    /// Every measure, in storage column order.
    pub const ALL: [Measure; 16] = [
        Measure::ReceivedOnline,
        Measure::ReceivedDirectPostal,
        Measure::ResolvedEarly,
        Measure::ResolvedOnTime,
        Measure::ResolvedLate,
        Measure::Withdrawn,
        Measure::DueOnDay,
        Measure::FinishedByDue,
        Measure::FinishedLate,
        Measure::ProcessingSeconds,
        Measure::SupplementRounds,
        Measure::LateApologized,
        Measure::Rated,
        Measure::RatedSatisfied,
        Measure::ResultsElectronic,
        Measure::ResultsSigned,
    ];

    /// Position among [`Measure::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Storage column name.
    pub fn column(self) -> &'static str {
        match self {
            Measure::ReceivedOnline => "received_online",
            Measure::ReceivedDirectPostal => "received_direct_postal",
            Measure::ResolvedEarly => "resolved_early",
            Measure::ResolvedOnTime => "resolved_on_time",
            Measure::ResolvedLate => "resolved_late",
            Measure::Withdrawn => "withdrawn",
            Measure::DueOnDay => "due_on_day",
            Measure::FinishedByDue => "finished_by_due",
            Measure::FinishedLate => "finished_late",
            Measure::ProcessingSeconds => "processing_seconds",
            Measure::SupplementRounds => "supplement_rounds",
            Measure::LateApologized => "late_apologized",
            Measure::Rated => "rated",
            Measure::RatedSatisfied => "rated_satisfied",
            Measure::ResultsElectronic => "results_electronic",
            Measure::ResultsSigned => "results_signed",
        }
    }
}

/// Number of measures.
pub const MEASURES: usize = Measure::ALL.len();

/// A vector of measure values.
pub type Counts = [i64; MEASURES];

/// How a dossier finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Result issued.
    Resolved,
    /// Resolution refused with reasons: a resolution too.
    Rejected,
    /// Withdrawn by the applicant.
    Withdrawn,
}

/// What the reports need to know of one dossier.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    /// Submitted online (else at the desk or by post).
    pub online: bool,
    /// Accepted for resolution (µs); a dossier never accepted is not in the reports.
    pub accepted_at: Option<i64>,
    /// Statutory due instant (µs): fixed at acceptance, moved by supplement pauses only.
    pub due_at: Option<i64>,
    /// When and how it finished.
    pub finished: Option<(i64, Outcome)>,
    /// Supplement rounds.
    pub supplement_rounds: i64,
    /// An apology was issued.
    pub apologized: bool,
    /// (when, rating 1–3).
    pub rating: Option<(i64, i64)>,
    /// The result is an electronic document held by the platform.
    pub result_electronic: bool,
    /// The result carries a digital signature.
    pub result_signed: bool,
}

/// Timeliness of a finish against the due instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeliness {
    /// On a day before the due day.
    Early,
    /// On the due day, by the due instant (or no due instant).
    OnTime,
    /// After the due instant.
    Late,
}

/// Timeliness of finishing at `at` against `due`.
pub fn timeliness(at: i64, due: Option<i64>) -> Timeliness {
    match due {
        None => Timeliness::OnTime,
        Some(due) if at > due => Timeliness::Late,
        Some(due) if day_of(at) < day_of(due) => Timeliness::Early,
        Some(_) => Timeliness::OnTime,
    }
}

/// The (day, measure, value) contributions of one dossier.
pub fn contributions(f: &Facts) -> Vec<(i32, Measure, i64)> {
    let mut out = Vec::with_capacity(8);
    let Some(accepted) = f.accepted_at else {
        return out;
    };
    let received = if f.online {
        Measure::ReceivedOnline
    } else {
        Measure::ReceivedDirectPostal
    };
    out.push((day_of(accepted), received, 1));
    if let Some(due) = f.due_at {
        out.push((day_of(due), Measure::DueOnDay, 1));
    }
    if let Some((at, outcome)) = f.finished {
        let t = timeliness(at, f.due_at);
        match (t, f.due_at) {
            (Timeliness::Late, _) => out.push((day_of(at), Measure::FinishedLate, 1)),
            (_, Some(due)) => out.push((day_of(due), Measure::FinishedByDue, 1)),
            (_, None) => {}
        }
        let day = day_of(at);
        if outcome == Outcome::Withdrawn {
            out.push((day, Measure::Withdrawn, 1));
        } else {
            out.push((
                day,
                match t {
                    Timeliness::Early => Measure::ResolvedEarly,
                    Timeliness::OnTime => Measure::ResolvedOnTime,
                    Timeliness::Late => Measure::ResolvedLate,
                },
                1,
            ));
            out.push((
                day,
                Measure::ProcessingSeconds,
                (at - accepted).max(0) / 1_000_000,
            ));
            out.push((day, Measure::SupplementRounds, f.supplement_rounds));
            if t == Timeliness::Late && f.apologized {
                out.push((day, Measure::LateApologized, 1));
            }
            if outcome == Outcome::Resolved && f.result_electronic {
                out.push((day, Measure::ResultsElectronic, 1));
            }
            if outcome == Outcome::Resolved && f.result_signed {
                out.push((day, Measure::ResultsSigned, 1));
            }
        }
    }
    if let Some((at, rating)) = f.rating {
        out.push((day_of(at), Measure::Rated, 1));
        if rating >= 2 {
            out.push((day_of(at), Measure::RatedSatisfied, 1));
        }
    }
    out.retain(|c| c.2 != 0);
    out
}

/// What changes in the aggregates when a dossier's facts go from `before` to `after`,
/// netted per (day, measure); entries that cancel out are dropped.
pub fn delta(before: &Facts, after: &Facts) -> Vec<(i32, Measure, i64)> {
    let mut all: Vec<(i32, Measure, i64)> = contributions(before)
        .into_iter()
        .map(|(d, m, v)| (d, m, -v))
        .chain(contributions(after))
        .collect();
    all.sort_by_key(|c| (c.0, c.1));
    let mut out: Vec<(i32, Measure, i64)> = Vec::with_capacity(all.len());
    for (d, m, v) in all {
        match out.last_mut() {
            Some(last) if last.0 == d && last.1 == m => last.2 += v,
            _ => out.push((d, m, v)),
        }
    }
    out.retain(|c| c.2 != 0);
    out
}

/// One row of Biểu 06 (columns 3–13 of the form) and the dossiers withdrawn in the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Bieu06 {
    /// Column 3 = 4 + 5 + 6.
    pub received_total: i64,
    /// Column 4: accepted in the period, submitted online.
    pub received_online: i64,
    /// Column 5: accepted in the period, at the desk or by post.
    pub received_direct_postal: i64,
    /// Column 6: accepted before the period and not finished before it.
    pub carried_over: i64,
    /// Column 7 = 8 + 9 + 10.
    pub resolved_total: i64,
    /// Column 8.
    pub resolved_early: i64,
    /// Column 9.
    pub resolved_on_time: i64,
    /// Column 10.
    pub resolved_late: i64,
    /// Column 11 = 12 + 13: accepted by the end of the period and not finished by then.
    pub pending_total: i64,
    /// Column 12: pending whose due instant is after the end of the period.
    pub pending_on_time: i64,
    /// Column 13: pending whose due instant is before the end of the period.
    pub pending_overdue: i64,
    /// Withdrawn by the applicant in the period after acceptance (not a column of the form;
    /// received = resolved + pending + withdrawn).
    pub withdrawn: i64,
}

impl Bieu06 {
    /// The row from the sums of measures before the period and within it.
    pub fn from_sums(before: &Counts, within: &Counts) -> Self {
        let at = |c: &Counts, m: Measure| c.get(m.index()).copied().unwrap_or(0);
        let finished = |c: &Counts| {
            at(c, Measure::ResolvedEarly)
                + at(c, Measure::ResolvedOnTime)
                + at(c, Measure::ResolvedLate)
                + at(c, Measure::Withdrawn)
        };
        let received =
            |c: &Counts| at(c, Measure::ReceivedOnline) + at(c, Measure::ReceivedDirectPostal);
        let carried_over = received(before) - finished(before);
        let both = |m: Measure| at(before, m) + at(within, m);
        let pending_total = carried_over + received(within) - finished(within);
        let pending_overdue =
            both(Measure::DueOnDay) - both(Measure::FinishedByDue) - both(Measure::FinishedLate);
        let early = at(within, Measure::ResolvedEarly);
        let on_time = at(within, Measure::ResolvedOnTime);
        let late = at(within, Measure::ResolvedLate);
        Self {
            received_total: received(within) + carried_over,
            received_online: at(within, Measure::ReceivedOnline),
            received_direct_postal: at(within, Measure::ReceivedDirectPostal),
            carried_over,
            resolved_total: early + on_time + late,
            resolved_early: early,
            resolved_on_time: on_time,
            resolved_late: late,
            pending_total,
            pending_on_time: pending_total - pending_overdue,
            pending_overdue,
            withdrawn: at(within, Measure::Withdrawn),
        }
    }

    /// Adds another row (for totals and roll-ups).
    pub fn add(&mut self, o: &Bieu06) {
        self.received_total += o.received_total;
        self.received_online += o.received_online;
        self.received_direct_postal += o.received_direct_postal;
        self.carried_over += o.carried_over;
        self.resolved_total += o.resolved_total;
        self.resolved_early += o.resolved_early;
        self.resolved_on_time += o.resolved_on_time;
        self.resolved_late += o.resolved_late;
        self.pending_total += o.pending_total;
        self.pending_on_time += o.pending_on_time;
        self.pending_overdue += o.pending_overdue;
        self.withdrawn += o.withdrawn;
    }

    /// The eleven numeric columns of the form (3–13), in order.
    pub fn columns(&self) -> [i64; 11] {
        [
            self.received_total,
            self.received_online,
            self.received_direct_postal,
            self.carried_over,
            self.resolved_total,
            self.resolved_early,
            self.resolved_on_time,
            self.resolved_late,
            self.pending_total,
            self.pending_on_time,
            self.pending_overdue,
        ]
    }
}

/// The report row of one dossier, from the definitions directly (no aggregates): what the
/// dossier counts for in a period of days `first..=last`. Summed over dossiers it equals the
/// report built from aggregates; it also says which dossiers stand behind a figure.
pub fn row_of(f: &Facts, first: i32, last: i32) -> Bieu06 {
    let mut r = Bieu06::default();
    let Some(accepted) = f.accepted_at.map(day_of) else {
        return r;
    };
    if accepted > last {
        return r;
    }
    let finished = f.finished.map(|(at, o)| (day_of(at), at, o));
    if accepted >= first {
        if f.online {
            r.received_online = 1;
        } else {
            r.received_direct_postal = 1;
        }
    } else if finished.is_none_or(|(d, _, _)| d >= first) {
        r.carried_over = 1;
    }
    r.received_total = r.received_online + r.received_direct_postal + r.carried_over;
    match finished {
        Some((d, at, o)) if d >= first && d <= last => match o {
            Outcome::Withdrawn => r.withdrawn = 1,
            _ => match timeliness(at, f.due_at) {
                Timeliness::Early => r.resolved_early = 1,
                Timeliness::OnTime => r.resolved_on_time = 1,
                Timeliness::Late => r.resolved_late = 1,
            },
        },
        Some((d, _, _)) if d < first => {}
        _ => {
            r.pending_total = 1;
            if f.due_at.is_some_and(|due| day_of(due) <= last) {
                r.pending_overdue = 1;
            } else {
                r.pending_on_time = 1;
            }
        }
    }
    r.resolved_total = r.resolved_early + r.resolved_on_time + r.resolved_late;
    r
}

/// The names of the figures of a [`Bieu06`] row, as in the API.
pub const COLUMN_KEYS: [&str; 12] = [
    "received_total",
    "received_online",
    "received_direct_postal",
    "carried_over",
    "resolved_total",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "pending_total",
    "pending_on_time",
    "pending_overdue",
    "withdrawn",
];

impl Bieu06 {
    /// The figure named `key` (see [`COLUMN_KEYS`]).
    pub fn get(&self, key: &str) -> Option<i64> {
        let c = self.columns();
        match key {
            "withdrawn" => Some(self.withdrawn),
            k => COLUMN_KEYS
                .iter()
                .position(|x| *x == k)
                .and_then(|i| c.get(i).copied()),
        }
    }
}

/// Adds `b` into `a`, measure by measure.
pub fn add_counts(a: &mut Counts, b: &Counts) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

#[cfg(test)]
mod tests;
