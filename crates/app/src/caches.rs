//! In-process caches of data that is immutable (procedure versions) or changes rarely and
//! may be a minute stale across instances (the working-day calendar, also dropped at once
//! by the instance that changes it).

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

/// A calendar and the instant (µs) it was built, by span of years.
type Calendars = HashMap<(i16, i16), (i64, Arc<WorkCalendar>)>;

/// The caches of one [`crate::App`].
#[derive(Default)]
pub struct Caches {
    procedures: Mutex<HashMap<String, Arc<Published>>>,
    calendars: Mutex<Calendars>,
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
}
