//! The procedure catalog: what a procedure (thủ tục hành chính) is, and the rules a
//! definition must satisfy before it is published.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::form::FormDefinition;

/// A field (lĩnh vực) of procedures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// Stable code, e.g. `ho-tich`.
    pub code: String,
    /// Vietnamese name, e.g. `Hộ tịch`.
    pub name: String,
}

/// Level of government that implements a procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcedureLevel {
    /// Central (ministry).
    Central,
    /// Province.
    Province,
    /// Commune.
    Commune,
}

impl ProcedureLevel {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcedureLevel::Central => "central",
            ProcedureLevel::Province => "province",
            ProcedureLevel::Commune => "commune",
        }
    }
}

/// The current online classification (NĐ 42/2022).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnlineMode {
    /// Dịch vụ công trực tuyến toàn trình.
    Full,
    /// Dịch vụ công trực tuyến một phần.
    Partial,
    /// Information only.
    None,
}

impl OnlineMode {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OnlineMode::Full => "full",
            OnlineMode::Partial => "partial",
            OnlineMode::None => "none",
        }
    }
}

/// Which form of a document is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentForm {
    /// Bản chính.
    Original,
    /// Bản sao.
    Copy,
    /// Bản sao có chứng thực (or a copy with the original to compare).
    CertifiedCopy,
    /// Bản chính để đối chiếu (shown, not kept).
    OriginalToCompare,
}

/// One required document (thành phần hồ sơ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredDocument {
    /// Slot name used by the e-form and by dossier uploads.
    pub slot: String,
    /// Name as published.
    pub name: String,
    /// Original, copy, certified copy.
    pub form: DocumentForm,
    /// Number of copies.
    pub count: u8,
    /// Whether the dossier is incomplete without it.
    pub required: bool,
    /// Name of a downloadable template (tờ khai mẫu), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

/// Statutory processing time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingTime {
    /// Working days, in halves (0.5, 1, 1.5…).
    WorkingDays(f64),
    /// Working hours.
    WorkingHours(u32),
}

impl ProcessingTime {
    /// The time in working days (hours count as eighths of a day).
    pub fn as_days(self) -> f64 {
        match self {
            ProcessingTime::WorkingDays(d) => d,
            ProcessingTime::WorkingHours(h) => f64::from(h) / 8.0,
        }
    }
}

/// A fee (phí, lệ phí) in đồng; `option` names the case it applies to when there are several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    /// Name of the fee.
    pub name: String,
    /// Amount in đồng.
    pub amount_vnd: i64,
    /// Case it applies to (e.g. `trực tuyến`), if the fee depends on an option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
}

/// Kind of result a procedure issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultKind {
    /// Giấy phép.
    Licence,
    /// Giấy chứng nhận.
    Certificate,
    /// Quyết định.
    Decision,
    /// Bản sao, trích lục, phiếu.
    Extract,
    /// Xác nhận, văn bản khác.
    Other,
}

/// The result of a procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureResult {
    /// Name of the result document.
    pub name: String,
    /// Kind.
    pub kind: ResultKind,
}

/// A procedure definition, as imported, exported and published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Procedure {
    /// National code `N.NNNNNN`.
    pub code: String,
    /// Local code of the province, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_code: Option<String>,
    /// Name.
    pub name: String,
    /// Field.
    pub field: Field,
    /// Implementing level.
    pub level: ProcedureLevel,
    /// Codes of the agencies that receive it.
    pub agency_codes: Vec<String>,
    /// Documents to submit.
    pub required_documents: Vec<RequiredDocument>,
    /// Processing time.
    pub processing_time: ProcessingTime,
    /// Fees.
    #[serde(default)]
    pub fees: Vec<Fee>,
    /// Result.
    pub result: ProcedureResult,
    /// Legal texts it rests on.
    #[serde(default)]
    pub legal_basis: Vec<String>,
    /// Older classification, 1–4.
    pub online_level: u8,
    /// Current classification.
    pub online_mode: OnlineMode,
    /// Who may apply, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applicants: Option<String>,
    /// The e-form.
    pub form: FormDefinition,
    /// Reference of the workflow definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// First day this version applies.
    pub valid_from: Date,
}

/// One rule a procedure definition breaks, with the path of the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogIssue {
    /// JSON path, e.g. `fees[1].amount_vnd`.
    pub path: String,
    /// Vietnamese explanation.
    pub vi: String,
    /// English explanation.
    pub en: String,
}

fn issue(path: impl Into<String>, vi: &str, en: &str) -> CatalogIssue {
    CatalogIssue {
        path: path.into(),
        vi: vi.to_owned(),
        en: en.to_owned(),
    }
}

/// Whether `code` has the national form `N.NNNNNN`.
pub fn is_national_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 8
        && b.first().is_some_and(u8::is_ascii_digit)
        && b.get(1) == Some(&b'.')
        && b.iter().skip(2).all(u8::is_ascii_digit)
}

impl Procedure {
    /// Checks every rule and returns all issues (empty when the definition may be published).
    pub fn check(&self) -> Vec<CatalogIssue> {
        let mut out = Vec::new();
        if !is_national_code(&self.code) {
            out.push(issue(
                "code",
                "Mã thủ tục phải có dạng N.NNNNNN, ví dụ 1.001193.",
                "A procedure code looks like N.NNNNNN, e.g. 1.001193.",
            ));
        }
        let n = self.name.trim().chars().count();
        if n == 0 || n > 500 {
            out.push(issue(
                "name",
                "Tên thủ tục cần từ 1 đến 500 ký tự.",
                "A procedure name needs 1 to 500 characters.",
            ));
        }
        if self.field.code.trim().is_empty() || self.field.name.trim().is_empty() {
            out.push(issue(
                "field",
                "Cần nêu lĩnh vực (mã và tên).",
                "The field needs a code and a name.",
            ));
        }
        if self.agency_codes.is_empty() {
            out.push(issue(
                "agency_codes",
                "Cần ít nhất một cơ quan tiếp nhận.",
                "At least one receiving agency is needed.",
            ));
        }
        for (i, a) in self.agency_codes.iter().enumerate() {
            if a.parse::<crate::org::AgencyCode>().is_err() {
                out.push(issue(
                    format!("agency_codes[{i}]"),
                    "Mã định danh cơ quan không hợp lệ.",
                    "Invalid agency code.",
                ));
            }
        }
        match self.processing_time {
            ProcessingTime::WorkingDays(d)
                if !(d > 0.0 && d <= 365.0 && (d * 2.0).fract() == 0.0) =>
            {
                out.push(issue(
                    "processing_time.working_days",
                    "Thời hạn giải quyết tính theo nửa ngày làm việc, từ 0,5 đến 365 ngày.",
                    "Processing time is counted in half working days, from 0.5 to 365.",
                ))
            }
            ProcessingTime::WorkingHours(h) if h == 0 || h > 2_000 => out.push(issue(
                "processing_time.working_hours",
                "Thời hạn giải quyết theo giờ phải từ 1 đến 2.000 giờ làm việc.",
                "Processing time in hours must be 1 to 2,000 working hours.",
            )),
            _ => {}
        }
        for (i, f) in self.fees.iter().enumerate() {
            if f.amount_vnd < 0 {
                out.push(issue(
                    format!("fees[{i}].amount_vnd"),
                    "Lệ phí không được âm.",
                    "A fee cannot be negative.",
                ));
            }
        }
        if !(1..=4).contains(&self.online_level) {
            out.push(issue(
                "online_level",
                "Mức độ dịch vụ công trực tuyến là 1 đến 4.",
                "The online level is 1 to 4.",
            ));
        }
        if self.online_mode == OnlineMode::Full && self.online_level < 4 {
            out.push(issue(
                "online_mode",
                "Dịch vụ toàn trình phải đạt mức độ 4.",
                "A full-online service must be level 4.",
            ));
        }
        let mut slots = std::collections::HashSet::new();
        for (i, d) in self.required_documents.iter().enumerate() {
            if !crate::form::is_identifier(&d.slot) || !slots.insert(d.slot.as_str()) {
                out.push(issue(
                    format!("required_documents[{i}].slot"),
                    "Tên ô tệp phải là duy nhất, gồm chữ thường không dấu, số và _.",
                    "Slot names are unique lower-case ASCII identifiers.",
                ));
            }
            if d.count == 0 {
                out.push(issue(
                    format!("required_documents[{i}].count"),
                    "Số lượng bản phải lớn hơn 0.",
                    "The number of copies must be positive.",
                ));
            }
        }
        for d in &self.form.documents {
            if !slots.contains(d.slot.as_str()) {
                out.push(issue(
                    format!("form.documents.{}", d.slot),
                    "Ô tệp của biểu mẫu không có trong thành phần hồ sơ.",
                    "A form document slot is not among the required documents.",
                ));
            }
        }
        out.extend(self.form.check());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_codes() {
        assert!(is_national_code("1.001193"));
        assert!(is_national_code("2.000894"));
        for bad in [
            "1001193",
            "1.00119",
            "A.001193",
            "1.0011933",
            "1-001193",
            "",
        ] {
            assert!(!is_national_code(bad), "{bad}");
        }
    }
}
