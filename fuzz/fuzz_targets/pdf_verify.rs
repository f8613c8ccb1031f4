//! Any bytes given as a PDF to the verifier: an answer or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lienthong_sign::{trust::TrustStore, verify::verify_pdf};

fuzz_target!(|data: &[u8]| {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    let _ = verify_pdf(data, &TrustStore::default(), at);
    let _ = lienthong_sign::pdf::file::revision_ends(data);
});
