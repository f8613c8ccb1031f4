//! In-process caches of data that is immutable (procedure versions) or changes rarely and
//! may be a little stale across instances: the working-day calendar (a minute) and the
//! lineage of each agency (ten seconds, as it decides who may act). Both are also dropped at
//! once by the instance that changes them.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use lienthong_domain::calendar::WorkCalendar;

use crate::catalog::Published;

/// Entries kept before a cache is emptied (they are cheap to rebuild).
const MAX_ENTRIES: usize = 4096;
/// How long a calendar is reused (µs).
pub const CALENDAR_TTL_US: i64 = 60_000_000;
/// How long an agency's lineage is reused (µs).
pub const LINEAGE_TTL_US: i64 = 10_000_000;

/// A calendar and the instant (µs) it was built, by span of years.
type Calendars = HashMap<(i16, i16), (i64, Arc<WorkCalendar>)>;
/// An agency's lineage and the instant (µs) it was read, by agency code and day.
type Lineages = HashMap<(String, jiff::civil::Date), (i64, Arc<Vec<String>>)>;

/// The caches of one [`crate::App`].
#[derive(Default)]
pub struct Caches {
    procedures: Mutex<HashMap<String, Arc<Published>>>,
    calendars: Mutex<Calendars>,
    lineages: Mutex<Lineages>,
}

impl std::fmt::Debug for Caches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Caches")
    }
}

impl Caches {
    /// A procedure version by id, if cached.
    pub fn procedure(&self, id: &str) -> Option<Arc<Published>> {
        self.procedures.lock().ok()?.get(id).cloned()
    }

    /// Keeps a procedure version.
    pub fn keep_procedure(&self, p: Arc<Published>) {
        if let Ok(mut m) = self.procedures.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(p.id.clone(), p);
        }
    }

    /// The calendar of a span of years if built less than the TTL before `now_us`.
    pub fn calendar(&self, span: (i16, i16), now_us: i64) -> Option<Arc<WorkCalendar>> {
        let m = self.calendars.lock().ok()?;
        m.get(&span)
            .filter(|(at, _)| now_us >= *at && now_us - at < CALENDAR_TTL_US)
            .map(|(_, c)| c.clone())
    }

    /// Keeps a calendar built at `now_us`.
    pub fn keep_calendar(&self, span: (i16, i16), now_us: i64, c: Arc<WorkCalendar>) {
        if let Ok(mut m) = self.calendars.lock() {
            if m.len() >= 64 {
                m.clear();
            }
            m.insert(span, (now_us, c));
        }
    }

    /// Forgets every calendar (after the province changes a day).
    pub fn drop_calendars(&self) {
        if let Ok(mut m) = self.calendars.lock() {
            m.clear();
        }
    }

    /// The lineage of agency `code` on `day`, if read less than the TTL before `now_us`.
    pub fn lineage(
        &self,
        code: &str,
        day: jiff::civil::Date,
        now_us: i64,
    ) -> Option<Arc<Vec<String>>> {
        let m = self.lineages.lock().ok()?;
        m.get(&(code.to_owned(), day))
            .filter(|(at, _)| now_us >= *at && now_us - at < LINEAGE_TTL_US)
            .map(|(_, l)| l.clone())
    }

    /// Keeps the lineage of agency `code` on `day`, read at `now_us`.
    pub fn keep_lineage(
        &self,
        code: &str,
        day: jiff::civil::Date,
        now_us: i64,
        lineage: Arc<Vec<String>>,
    ) {
        if let Ok(mut m) = self.lineages.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert((code.to_owned(), day), (now_us, lineage));
        }
    }

    /// Forgets every lineage (after an agency is created or succeeded).
    pub fn drop_lineages(&self) {
        if let Ok(mut m) = self.lineages.lock() {
            m.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lineage_is_reused_for_ten_seconds_of_the_same_day_and_dropped_on_demand() {
        let c = Caches::default();
        let day = jiff::civil::date(2026, 12, 1);
        let lineage = Arc::new(vec!["000.00.04.H13".to_owned(), "000.00.00.H13".to_owned()]);
        c.keep_lineage("000.00.04.H13", day, 1_000_000, lineage.clone());
        assert_eq!(
            c.lineage("000.00.04.H13", day, 1_000_000),
            Some(lineage.clone())
        );
        assert_eq!(
            c.lineage("000.00.04.H13", day, 1_000_000 + LINEAGE_TTL_US - 1),
            Some(lineage.clone())
        );
        assert_eq!(
            c.lineage("000.00.04.H13", day, 1_000_000 + LINEAGE_TTL_US),
            None
        );
        // Another day, another agency, or a clock that went back: read again.
        assert_eq!(
            c.lineage("000.00.04.H13", day.tomorrow().unwrap(), 1_000_000),
            None
        );
        assert_eq!(c.lineage("000.00.05.H13", day, 1_000_000), None);
        assert_eq!(c.lineage("000.00.04.H13", day, 999_999), None);
        c.drop_lineages();
        assert_eq!(c.lineage("000.00.04.H13", day, 1_000_000), None);
    }
}
