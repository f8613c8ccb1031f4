//! In-process caches of data that is immutable (procedure versions) or changes rarely and
//! may be a little stale across instances: the working-day calendar (a minute), the
//! lineage of each agency (ten seconds, as it decides who may act) and the account behind a
//! bearer token or session cookie (two seconds). Each is also dropped at once by the
//! instance that changes what it holds.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use lienthong_domain::calendar::WorkCalendar;

use crate::{authz::Principal, catalog::Published};

/// Entries kept before a cache is emptied (they are cheap to rebuild).
const MAX_ENTRIES: usize = 4096;
/// How long a calendar is reused (µs).
pub const CALENDAR_TTL_US: i64 = 60_000_000;
/// How long an agency's lineage is reused (µs).
pub const LINEAGE_TTL_US: i64 = 10_000_000;

/// How long the account behind a credential is reused (µs): a logout on another instance,
/// or an account disabled outside the application, takes effect within this time.
pub const PRINCIPAL_TTL_US: i64 = 2_000_000;

/// A calendar and the instant (µs) it was built, by span of years.
type Calendars = HashMap<(i16, i16), (i64, Arc<WorkCalendar>)>;
/// An agency's lineage and the instant (µs) it was read, by agency code and day.
type Lineages = HashMap<(String, jiff::civil::Date), (i64, Arc<Vec<String>>)>;

/// Who a bearer token or session cookie stands for, as read from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The account and its roles.
    pub principal: Principal,
    /// The session's CSRF token (none for a bearer token).
    pub csrf_token: Option<String>,
    /// When the credential expires (µs); the entry is not used from then on.
    pub expires_at: i64,
}

/// Credentials resolved, by kind and hash of the secret, with the instant (µs) each was
/// read; `generation` counts the times they were all dropped.
#[derive(Default)]
struct Principals {
    generation: u64,
    entries: HashMap<String, (i64, Arc<Resolved>)>,
}

/// The caches of one [`crate::App`].
#[derive(Default)]
pub struct Caches {
    procedures: Mutex<HashMap<String, Arc<Published>>>,
    calendars: Mutex<Calendars>,
    lineages: Mutex<Lineages>,
    principals: Mutex<Principals>,
    agency_names: Mutex<HashMap<String, Arc<str>>>,
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

impl Caches {
    /// The name of an agency version (immutable), if cached.
    pub fn agency_name(&self, version_id: &str) -> Option<Arc<str>> {
        self.agency_names.lock().ok()?.get(version_id).cloned()
    }

    /// Keeps the name of an agency version.
    pub fn keep_agency_name(&self, version_id: &str, name: &str) {
        if let Ok(mut m) = self.agency_names.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(version_id.to_owned(), Arc::from(name));
        }
    }

    /// The credential with key `key` (its kind and hash), if read less than
    /// [`PRINCIPAL_TTL_US`] before `now_us` and not yet expired.
    pub fn resolved(&self, key: &str, now_us: i64) -> Option<Arc<Resolved>> {
        let m = self.principals.lock().ok()?;
        m.entries
            .get(key)
            .filter(|(at, r)| {
                now_us >= *at && now_us - at < PRINCIPAL_TTL_US && now_us < r.expires_at
            })
            .map(|(_, r)| r.clone())
    }

    /// The number to pass to [`Caches::keep_resolved`], taken before reading the database.
    pub fn principals_generation(&self) -> u64 {
        self.principals.lock().map_or(0, |m| m.generation)
    }

    /// Keeps a credential read at `now_us`, unless the cache was dropped since `generation`
    /// was taken (what was read may predate a logout).
    pub fn keep_resolved(&self, key: &str, generation: u64, now_us: i64, r: Resolved) {
        if let Ok(mut m) = self.principals.lock()
            && m.generation == generation
        {
            if m.entries.len() >= MAX_ENTRIES {
                m.entries.clear();
            }
            m.entries.insert(key.to_owned(), (now_us, Arc::new(r)));
        }
    }

    /// Forgets every credential (after a logout, or a change to an account or its roles).
    pub fn drop_principals(&self) {
        if let Ok(mut m) = self.principals.lock() {
            m.generation = m.generation.wrapping_add(1);
            m.entries.clear();
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

    fn resolved(expires_at: i64) -> Resolved {
        Resolved {
            principal: Principal {
                account_id: "a-1".into(),
                username: "citizen1".into(),
                kind: lienthong_domain::role::AccountKind::Citizen,
                full_name: "Nguyễn Văn An".into(),
                roles: Vec::new(),
            },
            csrf_token: None,
            expires_at,
        }
    }

    #[test]
    fn a_credential_is_reused_for_two_seconds_until_it_expires_or_the_cache_is_dropped() {
        let c = Caches::default();
        let g = c.principals_generation();
        c.keep_resolved("t:h", g, 1_000_000, resolved(10_000_000));
        assert!(c.resolved("t:h", 1_000_000).is_some());
        assert!(
            c.resolved("t:h", 1_000_000 + PRINCIPAL_TTL_US - 1)
                .is_some()
        );
        assert!(c.resolved("t:h", 1_000_000 + PRINCIPAL_TTL_US).is_none());
        assert!(
            c.resolved("t:h", 999_999).is_none(),
            "a clock that went back"
        );
        assert!(c.resolved("s:h", 1_000_000).is_none(), "another kind");
        // A credential that expires before the TTL ends is not used past its expiry.
        c.keep_resolved("t:x", g, 1_000_000, resolved(1_500_000));
        assert!(c.resolved("t:x", 1_499_999).is_some());
        assert!(c.resolved("t:x", 1_500_000).is_none());
        c.drop_principals();
        assert!(c.resolved("t:h", 1_000_000).is_none());
        // What was read before the drop is not kept after it.
        c.keep_resolved("t:h", g, 1_000_000, resolved(10_000_000));
        assert!(c.resolved("t:h", 1_000_000).is_none());
        c.keep_resolved(
            "t:h",
            c.principals_generation(),
            1_000_000,
            resolved(10_000_000),
        );
        assert!(c.resolved("t:h", 1_000_000).is_some());
    }
}
