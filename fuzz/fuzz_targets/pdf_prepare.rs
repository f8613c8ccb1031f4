//! Any bytes given to the signer's incremental update (an uploaded result being signed).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lienthong_sign::pdf::update::{FieldSpec, prepare};

fuzz_target!(|data: &[u8]| {
    let spec = FieldSpec {
        name: "Nguyễn Văn A".into(),
        reason: "Phê duyệt".into(),
        location: "Cần Thơ".into(),
        pdf_date: "D:20261130120000+07'00'".into(),
        contents_size: 64,
        rect: Some([10.0, 10.0, 100.0, 50.0]),
        page: 1,
    };
    if let Ok(p) = prepare(data, &spec) {
        let signed = p.embed(&[0x30, 0x00]);
        if let Ok(s) = signed {
            let _ = lienthong_sign::pdf::signatures(&s);
        }
    }
});
