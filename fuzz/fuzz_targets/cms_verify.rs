//! Any bytes given as a detached CMS signature (DER or PEM) over a fixed file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lienthong_sign::{trust::TrustStore, verify::verify_detached};

fuzz_target!(|data: &[u8]| {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    let _ = verify_detached(Some(b"lienthong"), data, &TrustStore::default(), at);
    let _ = verify_detached(None, data, &TrustStore::default(), at);
});
