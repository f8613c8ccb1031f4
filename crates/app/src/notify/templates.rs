//! The messages sent to applicants when their dossier changes, in Vietnamese, with
//! placeholders the province may reword (stored as settings, checked when saved).

use crate::{
    App, AppError, FieldError,
    audit::{self, AuditCtx},
    authz::{Action, Caller},
};

/// Placeholders a template may use.
pub const PLACEHOLDERS: [&str; 8] = [
    "name",
    "code",
    "procedure",
    "status",
    "due_date",
    "note",
    "url",
    "agency",
];

/// The events that notify the applicant, with the default subject and body.
pub const DEFAULTS: [(&str, &str, &str); 10] = [
    (
        "dossier.submitted",
        "[Dịch vụ công] Đã nhận hồ sơ {code}",
        "Kính gửi Ông/Bà {name},\n\nHệ thống đã nhận hồ sơ của Ông/Bà.\n\nMã hồ sơ: {code}\nThủ tục: {procedure}\nTình trạng: {status}\n\nNgày hẹn trả kết quả sẽ được thông báo khi hồ sơ được tiếp nhận.\nTra cứu hồ sơ: {url}/track?code={code}\n(nhập thêm 4 số cuối số điện thoại đã khai)\n\nGiấy tiếp nhận hồ sơ: {url}/dossiers/{code}\n",
    ),
    (
        "dossier.accept",
        "[Dịch vụ công] Hồ sơ {code} đã được tiếp nhận",
        "Kính gửi Ông/Bà {name},\n\n{agency} đã tiếp nhận hồ sơ {code} ({procedure}).\nNgày hẹn trả kết quả: {due_date}.\n\nGiấy tiếp nhận và hẹn trả kết quả: {url}/dossiers/{code}\n",
    ),
    (
        "dossier.refuse",
        "[Dịch vụ công] Hồ sơ {code} không được tiếp nhận",
        "Kính gửi Ông/Bà {name},\n\nHồ sơ {code} ({procedure}) không được tiếp nhận.\nLý do: {note}\n\nPhiếu từ chối tiếp nhận: {url}/dossiers/{code}\n",
    ),
    (
        "dossier.request_supplement",
        "[Dịch vụ công] Cần bổ sung hồ sơ {code}",
        "Kính gửi Ông/Bà {name},\n\nHồ sơ {code} ({procedure}) cần được bổ sung, hoàn thiện.\nXin mở {url}/dossiers/{code} để xem các nội dung cần bổ sung và gửi bổ sung trực tuyến.\nThời gian chờ bổ sung không tính vào thời hạn giải quyết.\n",
    ),
    (
        "dossier.supplement",
        "[Dịch vụ công] Đã nhận nội dung bổ sung của hồ sơ {code}",
        "Kính gửi Ông/Bà {name},\n\nHệ thống đã nhận nội dung bổ sung của hồ sơ {code}.\nTình trạng: {status}. Ngày hẹn trả kết quả: {due_date}.\n",
    ),
    (
        "dossier.forward",
        "[Dịch vụ công] Hồ sơ {code}: {status}",
        "Kính gửi Ông/Bà {name},\n\nHồ sơ {code} ({procedure}) đang được xử lý.\nNgày hẹn trả kết quả: {due_date}.\n",
    ),
    (
        "dossier.approve",
        "[Dịch vụ công] Đã có kết quả hồ sơ {code}",
        "Kính gửi Ông/Bà {name},\n\nHồ sơ {code} ({procedure}) đã có kết quả.\nXem và tải kết quả: {url}/dossiers/{code}\n",
    ),
    (
        "dossier.reject",
        "[Dịch vụ công] Hồ sơ {code} không được giải quyết",
        "Kính gửi Ông/Bà {name},\n\nHồ sơ {code} ({procedure}) không được giải quyết.\nLý do: {note}\n\nThông báo: {url}/dossiers/{code}\n",
    ),
    (
        "dossier.apologize",
        "[Dịch vụ công] Xin lỗi và hẹn lại ngày trả kết quả hồ sơ {code}",
        "Kính gửi Ông/Bà {name},\n\n{agency} xin lỗi Ông/Bà vì hồ sơ {code} ({procedure}) chưa có kết quả đúng hẹn.\nLý do: {note}\nNgày hẹn trả kết quả mới: {due_date}.\n\nPhiếu xin lỗi và hẹn lại: {url}/dossiers/{code}\n",
    ),
    (
        "dossier.return_result",
        "[Dịch vụ công] Đã trả kết quả hồ sơ {code}",
        "Kính gửi Ông/Bà {name},\n\nKết quả hồ sơ {code} ({procedure}) đã được trả.\nMời Ông/Bà đánh giá mức độ hài lòng tại {url}/dossiers/{code}\n",
    ),
];

const FOOTER: &str = "\nĐây là thư tự động, xin đừng trả lời thư này.\n";

fn key(topic: &str) -> String {
    format!("notify.template.{topic}")
}

/// The template of `topic` (the province's if saved, else the default), or `None` when the
/// event does not notify.
pub async fn template(app: &App, topic: &str) -> Result<Option<(String, String)>, AppError> {
    let Some((_, subject, body)) = DEFAULTS.iter().find(|(t, _, _)| *t == topic) else {
        return Ok(None);
    };
    let saved = {
        let mut conn = app.db.read().await?;
        lienthong_store::settings::get(&mut conn, &key(topic)).await?
    };
    Ok(Some(
        saved
            .and_then(|s| serde_json::from_str::<(String, String)>(&s).ok())
            .unwrap_or_else(|| ((*subject).to_owned(), (*body).to_owned())),
    ))
}

/// Fills the placeholders; unknown ones are left as written.
pub fn render(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Adds the standard footer to a body.
pub fn with_footer(body: &str) -> String {
    format!("{}{FOOTER}", body.trim_end())
}

fn unknown_placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = rest.get(start + 1..).unwrap_or_default();
        let Some(end) = after.find('}') else { break };
        let name = after.get(..end).unwrap_or_default();
        if !PLACEHOLDERS.contains(&name) {
            out.push(name.to_owned());
        }
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out
}

/// Saves the province's wording of a template (administrators).
pub async fn save(
    app: &App,
    caller: &Caller,
    ctx: &AuditCtx,
    topic: &str,
    subject: &str,
    body: &str,
) -> Result<(), AppError> {
    crate::org::authorize_province(app, caller, Action::ManageCatalog).await?;
    if !DEFAULTS.iter().any(|(t, _, _)| *t == topic) {
        return Err(AppError::NotFound(format!("template {topic}")));
    }
    let subject = lienthong_domain::text::nfc(subject.trim());
    let body = lienthong_domain::text::nfc(body.trim());
    let mut errors = Vec::new();
    if subject.is_empty() || subject.chars().count() > 200 || subject.contains(['\r', '\n']) {
        errors.push(FieldError::new(
            "subject",
            "Tiêu đề có 1–200 ký tự trên một dòng.",
            "The subject has 1 to 200 characters on one line.",
        ));
    }
    if body.is_empty() || body.chars().count() > 5000 {
        errors.push(FieldError::new(
            "body",
            "Nội dung có 1–5.000 ký tự.",
            "The body has 1 to 5,000 characters.",
        ));
    }
    for name in unknown_placeholders(&subject)
        .into_iter()
        .chain(unknown_placeholders(&body))
    {
        errors.push(FieldError {
            field: "body".into(),
            vi: format!(
                "Không có trường {{{name}}}; dùng: {}.",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
            ),
            en: format!(
                "There is no placeholder {{{name}}}; use: {}.",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
            ),
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let value =
        serde_json::to_string(&(&subject, &body)).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut tx = app.db.write().await?;
    lienthong_store::settings::set(tx.conn(), &key(topic), &value).await?;
    audit::record(
        tx.conn(),
        app,
        ctx,
        "notify.template",
        "template",
        topic,
        None,
        audit::digest(&value),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_uses_only_known_placeholders() {
        for (topic, subject, body) in DEFAULTS {
            assert!(unknown_placeholders(subject).is_empty(), "{topic}");
            assert!(unknown_placeholders(body).is_empty(), "{topic}");
        }
        assert_eq!(unknown_placeholders("{code} {ma_ho_so}"), ["ma_ho_so"]);
        assert_eq!(
            render(
                "{name}: {code}",
                &[("name", "An".into()), ("code", "X".into())]
            ),
            "An: X"
        );
    }
}
