//! Declarative e-forms (tờ khai điện tử) and the server-side validation of answers.
//!
//! The browser may help, but only [`FormDefinition::validate`] decides whether answers are
//! acceptable; it returns the answers in canonical form (NFC text, national phone form, …).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    catalog::CatalogIssue,
    identity::{Cccd, Email, Phone, TaxCode},
    text::nfc,
};

/// Question types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines.
    Textarea,
    /// A number.
    Number,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// One choice from a list.
    Select,
    /// One choice shown as radio buttons.
    Radio,
    /// Several choices.
    Checkbox,
    /// Province, commune and street address.
    Address,
    /// A 12-digit personal identification number.
    Cccd,
    /// A tax code.
    TaxCode,
    /// A phone number.
    Phone,
    /// An e-mail address.
    Email,
}

/// A choice of a select, radio or checkbox question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// Stored value.
    pub value: String,
    /// Label shown.
    pub label: String,
}

/// Shows a question only when another answer has a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    /// Name of the other question.
    pub field: String,
    /// Value it must have (or contain, for checkboxes).
    pub equals: String,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormField {
    /// Key of the answer.
    pub name: String,
    /// Question text.
    pub label: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// Whether an answer is needed (when the question is shown).
    #[serde(default)]
    pub required: bool,
    /// Choices of select, radio and checkbox questions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Condition for showing the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// Page number when questions are grouped (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u16>,
    /// Longest text accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Smallest number accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest number accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// A date may not be after today.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_future: bool,
}

/// One file slot of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSlot {
    /// Slot name (a required-document slot of the procedure).
    pub slot: String,
    /// Name shown.
    pub name: String,
    /// Whether a file is needed.
    pub required: bool,
    /// Accepted media types.
    pub accept: Vec<String>,
}

/// An optional first question that tells people whether the procedure is for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    /// The yes/no question.
    pub question: String,
    /// Shown when the answer is no.
    pub ineligible_message: String,
}

/// A form definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FormDefinition {
    /// Questions, in order.
    pub fields: Vec<FormField>,
    /// File slots.
    pub documents: Vec<DocumentSlot>,
    /// Eligibility question asked first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligibility: Option<Eligibility>,
    /// Ask one question per page.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub one_question_per_page: bool,
}

/// A problem with one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerIssue {
    /// Question name.
    pub field: String,
    /// Vietnamese message.
    pub vi: String,
    /// English message.
    pub en: String,
}

/// What validation needs from outside the form: today, and whether an address exists.
pub struct AnswerContext<'a> {
    /// Today's business date.
    pub today: Date,
    /// Whether `(province_code, commune_code)` is a commune of that province today.
    pub commune_exists: &'a dyn Fn(&str, &str) -> bool,
}

/// Whether `s` is a lower-case ASCII identifier (`a-z`, `0-9`, `_`, starting with a letter).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 64
}

fn has_control(s: &str, allow_newlines: bool) -> bool {
    s.chars().any(|c| {
        (c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t')))
            // Bidirectional overrides and isolates can make text display differently from
            // what it says.
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

impl FormDefinition {
    /// Rules of the definition itself.
    pub fn check(&self) -> Vec<CatalogIssue> {
        let mut out = Vec::new();
        let mut names = std::collections::HashSet::new();
        for (i, f) in self.fields.iter().enumerate() {
            let path = format!("form.fields[{i}]");
            if !is_identifier(&f.name) || !names.insert(f.name.as_str()) {
                out.push(CatalogIssue {
                    path: format!("{path}.name"),
                    vi: "Tên câu hỏi phải là duy nhất, gồm chữ thường không dấu, số và _.".into(),
                    en: "Question names are unique lower-case ASCII identifiers.".into(),
                });
            }
            let choice = matches!(
                f.kind,
                FieldKind::Select | FieldKind::Radio | FieldKind::Checkbox
            );
            if choice && f.options.is_empty() {
                out.push(CatalogIssue {
                    path: format!("{path}.options"),
                    vi: "Câu hỏi lựa chọn cần có các phương án.".into(),
                    en: "A choice question needs options.".into(),
                });
            }
            if let Some(c) = &f.show_if
                && !self.fields.iter().take(i).any(|g| g.name == c.field)
            {
                out.push(CatalogIssue {
                    path: format!("{path}.show_if"),
                    vi: "Điều kiện phải dựa vào một câu hỏi đứng trước.".into(),
                    en: "A condition must refer to an earlier question.".into(),
                });
            }
        }
        out
    }

    /// Whether question `f` is shown given `answers`.
    pub fn is_shown(&self, f: &FormField, answers: &Map<String, Value>) -> bool {
        let Some(c) = &f.show_if else { return true };
        match answers.get(&c.field) {
            Some(Value::String(s)) => *s == c.equals,
            Some(Value::Array(items)) => {
                items.iter().any(|v| v.as_str() == Some(c.equals.as_str()))
            }
            Some(Value::Bool(b)) => b.to_string() == c.equals,
            _ => false,
        }
    }

    /// Validates every answer; returns the canonical answers of the shown questions, or every
    /// issue found. Answers to hidden or unknown questions are dropped.
    pub fn validate(
        &self,
        answers: &Map<String, Value>,
        ctx: &AnswerContext<'_>,
    ) -> Result<Map<String, Value>, Vec<AnswerIssue>> {
        let (clean, issues) = self.validate_all(answers, ctx);
        if issues.is_empty() {
            Ok(clean)
        } else {
            Err(issues)
        }
    }

    /// Validates every answer and returns both the canonical answers that passed and the
    /// issues of those that did not (used to check one page of a multi-page form).
    pub fn validate_all(
        &self,
        answers: &Map<String, Value>,
        ctx: &AnswerContext<'_>,
    ) -> (Map<String, Value>, Vec<AnswerIssue>) {
        let mut clean = Map::new();
        let mut issues = Vec::new();
        for f in &self.fields {
            if !self.is_shown(f, &clean) {
                continue;
            }
            let raw = answers.get(&f.name).filter(|v| !is_blank(v));
            match raw {
                None if f.required => issues.push(required_issue(f)),
                None => {}
                Some(v) => match check_answer(f, v, ctx) {
                    Ok(v) => {
                        clean.insert(f.name.clone(), v);
                    }
                    Err((vi, en)) => issues.push(AnswerIssue {
                        field: f.name.clone(),
                        vi,
                        en,
                    }),
                },
            }
        }
        (clean, issues)
    }

    /// The steps of the form: one per question when `one_question_per_page`, otherwise one
    /// per `page` number (questions without a page go on page 1). Each step lists the names
    /// of its questions.
    pub fn steps(&self) -> Vec<Vec<String>> {
        if self.one_question_per_page {
            return self.fields.iter().map(|f| vec![f.name.clone()]).collect();
        }
        let mut pages: Vec<(u16, Vec<String>)> = Vec::new();
        for f in &self.fields {
            let p = f.page.unwrap_or(1);
            match pages.iter_mut().find(|(n, _)| *n == p) {
                Some((_, names)) => names.push(f.name.clone()),
                None => pages.push((p, vec![f.name.clone()])),
            }
        }
        pages.sort_by_key(|(n, _)| *n);
        pages.into_iter().map(|(_, names)| names).collect()
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_blank),
        _ => false,
    }
}

fn required_issue(f: &FormField) -> AnswerIssue {
    let (vi, en) = match f.kind {
        FieldKind::Select | FieldKind::Radio => (
            format!("Hãy chọn {}.", lower_first(&f.label)),
            format!("Choose {}.", f.label),
        ),
        FieldKind::Checkbox => (
            format!("Hãy chọn ít nhất một mục cho {}.", lower_first(&f.label)),
            format!("Choose at least one option for {}.", f.label),
        ),
        _ => (
            format!("Hãy nhập {}.", lower_first(&f.label)),
            format!("Enter {}.", f.label),
        ),
    };
    AnswerIssue {
        field: f.name.clone(),
        vi,
        en,
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

type Msg = (String, String);

fn msg(vi: &str, en: &str) -> Msg {
    (vi.to_owned(), en.to_owned())
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn check_answer(f: &FormField, v: &Value, ctx: &AnswerContext<'_>) -> Result<Value, Msg> {
    let domain = |e: crate::DomainError| (e.message(crate::Lang::Vi), e.message(crate::Lang::En));
    let text = || {
        text_of(v)
            .map(|s| nfc(&s))
            .ok_or_else(|| msg("Câu trả lời phải là văn bản.", "The answer must be text."))
    };
    match f.kind {
        FieldKind::Text | FieldKind::Textarea => {
            let s = text()?;
            let max = f
                .max_length
                .unwrap_or(if f.kind == FieldKind::Text { 500 } else { 5000 })
                as usize;
            if s.chars().count() > max {
                return Err((
                    format!("Tối đa {max} ký tự."),
                    format!("At most {max} characters."),
                ));
            }
            if has_control(&s, f.kind == FieldKind::Textarea) {
                return Err(msg(
                    "Có ký tự điều khiển không hợp lệ.",
                    "Contains invalid control characters.",
                ));
            }
            if let Some(word) = crate::text::mixed_script_word(&s) {
                return Err((
                    format!(
                        "Từ \"{word}\" trộn chữ cái của nhiều hệ chữ viết (Latinh, Hy Lạp, Kirin); hãy gõ lại."
                    ),
                    format!(
                        "The word \"{word}\" mixes letters of several scripts (Latin, Greek, Cyrillic); please retype it."
                    ),
                ));
            }
            Ok(Value::String(s))
        }
        FieldKind::Number => {
            let n: f64 = text()?.replace(',', ".").parse().map_err(|_| {
                msg(
                    "Hãy nhập một số, ví dụ 12 hoặc 12,5.",
                    "Enter a number, e.g. 12 or 12.5.",
                )
            })?;
            if !n.is_finite() || f.min.is_some_and(|m| n < m) || f.max.is_some_and(|m| n > m) {
                let range = format!(
                    "{} – {}",
                    f.min.map_or("…".into(), |m| m.to_string()),
                    f.max.map_or("…".into(), |m| m.to_string())
                );
                return Err((
                    format!("Giá trị phải trong khoảng {range}."),
                    format!("The value must be within {range}."),
                ));
            }
            serde_json::Number::from_f64(n)
                .map(Value::Number)
                .ok_or_else(|| msg("Số không hợp lệ.", "Invalid number."))
        }
        FieldKind::Date => {
            let d: Date = text()?.parse().map_err(|_| {
                msg(
                    "Ngày phải có dạng năm-tháng-ngày, ví dụ 2025-07-01.",
                    "A date looks like 2025-07-01.",
                )
            })?;
            if f.not_future && d > ctx.today {
                return Err(msg(
                    "Ngày không được sau hôm nay.",
                    "The date cannot be after today.",
                ));
            }
            Ok(Value::String(d.to_string()))
        }
        FieldKind::Select | FieldKind::Radio => {
            let s = text()?;
            if f.options.iter().any(|o| o.value == s) {
                Ok(Value::String(s))
            } else {
                Err(msg(
                    "Hãy chọn một phương án trong danh sách.",
                    "Choose one of the listed options.",
                ))
            }
        }
        FieldKind::Checkbox => {
            let items: Vec<String> = match v {
                Value::Array(a) => a.iter().filter_map(text_of).collect(),
                other => text_of(other).into_iter().collect(),
            };
            if items
                .iter()
                .all(|s| f.options.iter().any(|o| o.value == *s))
            {
                Ok(Value::Array(items.into_iter().map(Value::String).collect()))
            } else {
                Err(msg(
                    "Có lựa chọn không nằm trong danh sách.",
                    "A choice is not among the options.",
                ))
            }
        }
        FieldKind::Address => {
            let obj = v.as_object().ok_or_else(|| {
                msg(
                    "Địa chỉ cần tỉnh/thành phố, xã/phường và số nhà, đường.",
                    "An address needs province, commune and street.",
                )
            })?;
            let get = |k: &str| {
                obj.get(k)
                    .and_then(text_of)
                    .map(|s| nfc(&s))
                    .unwrap_or_default()
            };
            let (province, commune, detail) =
                (get("province_code"), get("commune_code"), get("detail"));
            if province.is_empty() || commune.is_empty() || detail.is_empty() {
                return Err(msg(
                    "Hãy chọn tỉnh/thành phố, xã/phường và nhập số nhà, đường.",
                    "Choose the province and commune and enter the street address.",
                ));
            }
            if !(ctx.commune_exists)(&province, &commune) {
                return Err(msg(
                    "Xã/phường không thuộc tỉnh/thành phố đã chọn.",
                    "The commune is not in the chosen province.",
                ));
            }
            if detail.chars().count() > 300 || has_control(&detail, false) {
                return Err(msg(
                    "Số nhà, đường tối đa 300 ký tự, không có ký tự điều khiển.",
                    "The street address has at most 300 characters and no control characters.",
                ));
            }
            let mut out = Map::new();
            out.insert("province_code".into(), Value::String(province));
            out.insert("commune_code".into(), Value::String(commune));
            out.insert("detail".into(), Value::String(detail));
            Ok(Value::Object(out))
        }
        FieldKind::Cccd => Cccd::parse(&text()?, ctx.today.year())
            .map(|c| Value::String(c.as_str().to_owned()))
            .map_err(domain),
        FieldKind::TaxCode => TaxCode::parse(&text()?)
            .map(|t| Value::String(t.as_str().to_owned()))
            .map_err(domain),
        FieldKind::Phone => Phone::parse(&text()?)
            .map(|p| Value::String(p.as_str().to_owned()))
            .map_err(domain),
        FieldKind::Email => Email::parse(&text()?)
            .map(|e| Value::String(e.as_str().to_owned()))
            .map_err(domain),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> FormDefinition {
        serde_json::from_value(json!({
            "fields": [
                {"name": "full_name", "label": "Họ và tên", "type": "text", "required": true},
                {"name": "birth_date", "label": "Ngày sinh", "type": "date", "required": true, "not_future": true},
                {"name": "married", "label": "Tình trạng hôn nhân", "type": "radio", "required": true,
                 "options": [{"value": "yes", "label": "Đã kết hôn"}, {"value": "no", "label": "Chưa kết hôn"}]},
                {"name": "spouse", "label": "Họ tên vợ/chồng", "type": "text", "required": true,
                 "show_if": {"field": "married", "equals": "yes"}},
                {"name": "address", "label": "Nơi cư trú", "type": "address", "required": true},
                {"name": "phone", "label": "Số điện thoại", "type": "phone"},
                {"name": "copies", "label": "Số bản", "type": "number", "min": 1, "max": 10}
            ],
            "documents": []
        }))
        .unwrap()
    }

    fn ctx() -> AnswerContext<'static> {
        AnswerContext {
            today: jiff::civil::date(2026, 11, 20),
            commune_exists: &|p, c| p == "92" && c == "31135",
        }
    }

    #[test]
    fn valid_answers_come_back_canonical_and_hidden_ones_are_dropped() {
        let answers = json!({
            "full_name": "  Nguyễn Văn An ", "birth_date": "1990-01-02", "married": "no",
            "spouse": "ignored", "address": {"province_code": "92", "commune_code": "31135", "detail": "12 Hòa Bình"},
            "phone": "+84 912 345 678", "copies": "2", "unknown": "dropped"
        });
        let clean = form()
            .validate(answers.as_object().unwrap(), &ctx())
            .unwrap();
        assert_eq!(clean["full_name"], "Nguyễn Văn An");
        assert_eq!(clean["phone"], "0912345678");
        assert_eq!(clean["copies"], 2.0);
        assert!(!clean.contains_key("spouse") && !clean.contains_key("unknown"));
    }

    #[test]
    fn every_problem_is_reported_with_a_vietnamese_message() {
        let answers = json!({
            "full_name": "A\u{0007}B", "birth_date": "2030-01-01", "married": "yes",
            "address": {"province_code": "92", "commune_code": "00004", "detail": "x"},
            "phone": "123", "copies": 50
        });
        let issues = form()
            .validate(answers.as_object().unwrap(), &ctx())
            .unwrap_err();
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "full_name",
                "birth_date",
                "spouse",
                "address",
                "phone",
                "copies"
            ]
        );
        assert_eq!(issues[2].vi, "Hãy nhập họ tên vợ/chồng.");
        assert!(issues[3].vi.contains("không thuộc"));
    }

    #[test]
    fn steps_follow_pages_or_single_questions() {
        let mut f = form();
        f.fields[4].page = Some(2);
        f.fields[5].page = Some(2);
        assert_eq!(f.steps().len(), 2);
        assert_eq!(f.steps()[1], ["address", "phone"]);
        f.one_question_per_page = true;
        assert_eq!(f.steps().len(), 7);
    }

    #[test]
    fn definitions_are_checked() {
        let mut f = form();
        f.fields[3].show_if = Some(Condition {
            field: "later".into(),
            equals: "x".into(),
        });
        f.fields[1].name = "Bad Name".into();
        let issues = f.check();
        assert_eq!(issues.len(), 2, "{issues:?}");
    }
}
