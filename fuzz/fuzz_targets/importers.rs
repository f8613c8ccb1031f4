//! The file importers: the first byte picks the catalog as JSON, the catalog as CSV, or an
//! administrative-unit list; the rest is the file. Whatever parses is checked, written back
//! out and parsed again, and must come back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lienthong_app::{catalog, org::parse_admin_units_csv};
use lienthong_domain::{catalog::Procedure, org::Validity};

fn round_trip(procedures: &[Procedure]) {
    for p in procedures {
        let _ = p.check();
    }
    if let Ok(json) = catalog::to_json(procedures) {
        let back = catalog::from_json("again.json", &json);
        assert_eq!(back.ok().as_deref(), Some(procedures), "JSON round trip");
    }
    if let Ok(csv) = catalog::to_csv(procedures) {
        // CSV trims codes and levels, so only its success is asserted.
        assert!(catalog::from_csv("again.csv", &csv).is_ok(), "CSV round trip");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    match pick % 3 {
        0 => {
            if let Ok(p) = catalog::from_json("fuzz.json", file) {
                round_trip(&p);
            }
        }
        1 => {
            if let Ok(p) = catalog::from_csv("fuzz.csv", file) {
                round_trip(&p);
            }
        }
        _ => {
            let _ = parse_admin_units_csv("fuzz.csv", file, Validity { from: None, to: None });
        }
    }
});
