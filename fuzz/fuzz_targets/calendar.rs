//! Any text as a calendar overrides file, then due dates and working-half counts from
//! arbitrary instants and durations, and lunar conversions of arbitrary days.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lienthong_domain::{
    calendar::{OfficeHours, WorkCalendar, parse_overrides},
    lunar,
};

fuzz_target!(|data: &[u8]| {
    let (head, rest) = data.split_at(data.len().min(12));
    let mut n = [0u8; 12];
    n[..head.len()].copy_from_slice(head);
    let secs = i64::from(u32::from_le_bytes([n[0], n[1], n[2], n[3]])) + 1_600_000_000;
    let days = f64::from(u16::from_le_bytes([n[4], n[5]])) / 8.0;
    let jdn = 2_400_000 + i64::from(u32::from_le_bytes([n[6], n[7], n[8], n[9]]) % 200_000);
    let overrides = std::str::from_utf8(rest).ok().and_then(|t| parse_overrides(t).ok()).unwrap_or_default();
    let cal = WorkCalendar::new(2024, 2030, &overrides);
    if let Ok(ts) = jiff::Timestamp::from_second(secs) {
        let hours = OfficeHours::default();
        let due = cal.due(ts, days, &hours);
        if let Some(d) = due {
            let _ = d;
        }
        if let Ok(later) = jiff::Timestamp::from_second(secs + i64::from(n[10]) * 86_400) {
            let _ = cal.halves_between(ts, later, &hours);
        }
    }
    if let Some(date) = lunar::from_jdn(jdn) {
        let l = lunar::to_lunar(date);
        assert_eq!(lunar::from_lunar(l), Some(date), "lunar round trip of {date}");
    }
});
