//! Any text as a workflow definition (TOML): a workflow or errors with line numbers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lienthong_domain::workflow::definition::Workflow;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(w) = Workflow::parse(text) {
            let _ = w.first();
            let _ = w.check_duration(15.0);
        }
    }
});
