//! Any bytes as a citizen's answers (JSON) to a form with every kind of question; and any
//! bytes as a form definition: validation answers or lists issues, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lienthong_domain::form::{AnswerContext, FormDefinition};

const FORM: &str = r#"{"fields":[
 {"name":"ho_ten","label":"Họ tên","type":"text","required":true},
 {"name":"ngay_sinh","label":"Ngày sinh","type":"date","required":true},
 {"name":"so_cccd","label":"CCCD","type":"cccd"},
 {"name":"dien_thoai","label":"Điện thoại","type":"phone"},
 {"name":"email","label":"Thư điện tử","type":"email"},
 {"name":"so_luong","label":"Số lượng","type":"number"},
 {"name":"gioi_tinh","label":"Giới tính","type":"radio","options":[{"value":"nam","label":"Nam"},{"value":"nu","label":"Nữ"}]},
 {"name":"ghi_chu","label":"Ghi chú","type":"textarea","show_if":{"field":"gioi_tinh","equals":"nu"}},
 {"name":"dia_chi","label":"Địa chỉ","type":"address"}
],"documents":[]}"#;

fuzz_target!(|data: &[u8]| {
    let today = jiff::civil::date(2026, 11, 30);
    let exists = |p: &str, c: &str| p == "92" && c.len() == 5;
    let ctx = AnswerContext { today, commune_exists: &exists };
    if let Ok(serde_json::Value::Object(answers)) = serde_json::from_slice::<serde_json::Value>(data) {
        let form = serde_json::from_str::<FormDefinition>(FORM).expect("the fixed form parses");
        let _ = form.validate(&answers, &ctx);
        let _ = form.steps();
    }
    if let Ok(form) = serde_json::from_slice::<FormDefinition>(data) {
        let _ = form.check();
        let _ = form.validate(&serde_json::Map::new(), &ctx);
    }
});
