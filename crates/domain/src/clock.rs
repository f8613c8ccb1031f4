//! The clock port. Nothing else in the code base reads the wall clock: use cases receive a
//! [`Clock`] so that tests fix time and deadlines are reproducible.

use std::sync::{Arc, Mutex};

use jiff::{Timestamp, civil::Date, tz::TimeZone};

/// The time zone of business dates (Asia/Ho_Chi_Minh, UTC+7 without daylight saving).
pub fn business_tz() -> TimeZone {
    TimeZone::get("Asia/Ho_Chi_Minh").unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(7)))
}

/// A source of the current instant.
pub trait Clock: Send + Sync + 'static {
    /// The current instant (UTC).
    fn now(&self) -> Timestamp;

    /// Today's business date in Vietnam.
    fn today(&self) -> Date {
        self.now().to_zoned(business_tz()).date()
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place that reads the wall clock"
    )]
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that tests set and advance by hand.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Timestamp>>);

impl ManualClock {
    /// A clock fixed at `at`.
    pub fn new(at: Timestamp) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: Timestamp) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }

    /// Moves the clock forward by `span`.
    pub fn advance(&self, span: jiff::SignedDuration) {
        if let Ok(mut t) = self.0.lock()
            && let Ok(next) = t.checked_add(span)
        {
            *t = next;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.0.lock().map(|t| *t).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

/// Microseconds since the Unix epoch, the storage form of instants.
pub fn to_micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// The instant for a stored microsecond count (saturating at the supported range).
pub fn from_micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}
