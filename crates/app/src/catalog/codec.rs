//! JSON and CSV forms of the catalog. CSV keeps one procedure per row; nested parts (fees,
//! documents, form) are JSON inside their cell so that a round trip loses nothing.

use lienthong_domain::catalog::{Field, Procedure, ProcedureResult, ProcessingTime};

use crate::AppError;

/// File format of an import or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A JSON array of procedures.
    Json,
    /// One procedure per CSV row.
    Csv,
}

impl Format {
    /// Guesses the format from a file name.
    pub fn from_name(name: &str) -> Format {
        if name.to_ascii_lowercase().ends_with(".csv") {
            Format::Csv
        } else {
            Format::Json
        }
    }
}

fn err(file: &str, line: u64, column: u64, message: impl Into<String>) -> AppError {
    AppError::Import {
        file: file.to_owned(),
        line,
        column,
        message: message.into(),
    }
}

/// Parses a JSON array of procedures.
pub fn from_json(file: &str, bytes: &[u8]) -> Result<Vec<Procedure>, AppError> {
    serde_json::from_slice(bytes).map_err(|e| {
        err(
            file,
            e.line() as u64,
            e.column() as u64,
            format!("JSON không hợp lệ / invalid JSON: {e}"),
        )
    })
}

/// Serialises procedures as a pretty JSON array.
pub fn to_json(procedures: &[Procedure]) -> Result<Vec<u8>, AppError> {
    serde_json::to_vec_pretty(procedures).map_err(|e| AppError::Internal(e.to_string()))
}

const HEADER: [&str; 20] = [
    "code",
    "local_code",
    "name",
    "field_code",
    "field_name",
    "level",
    "agency_codes",
    "working_days",
    "working_hours",
    "fees",
    "required_documents",
    "result_name",
    "result_kind",
    "legal_basis",
    "online_level",
    "online_mode",
    "applicants",
    "form",
    "workflow",
    "valid_from",
];

fn json_cell<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

fn plain<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    Ok(json_cell(v)?.trim_matches('"').to_owned())
}

/// Serialises procedures as CSV with a header row.
pub fn to_csv(procedures: &[Procedure]) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::Internal(e.to_string());
    w.write_record(HEADER).map_err(io)?;
    for p in procedures {
        let (days, hours) = match p.processing_time {
            ProcessingTime::WorkingDays(d) => (d.to_string(), String::new()),
            ProcessingTime::WorkingHours(h) => (String::new(), h.to_string()),
        };
        w.write_record([
            p.code.clone(),
            p.local_code.clone().unwrap_or_default(),
            p.name.clone(),
            p.field.code.clone(),
            p.field.name.clone(),
            plain(&p.level)?,
            p.agency_codes.join(" "),
            days,
            hours,
            json_cell(&p.fees)?,
            json_cell(&p.required_documents)?,
            p.result.name.clone(),
            plain(&p.result.kind)?,
            json_cell(&p.legal_basis)?,
            p.online_level.to_string(),
            plain(&p.online_mode)?,
            p.applicants.clone().unwrap_or_default(),
            json_cell(&p.form)?,
            p.workflow.clone().unwrap_or_default(),
            p.valid_from.to_string(),
        ])
        .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Parses procedures from CSV (the form [`to_csv`] writes). Errors name the line and column.
pub fn from_csv(file: &str, bytes: &[u8]) -> Result<Vec<Procedure>, AppError> {
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| {
            err(
                file,
                1,
                1,
                format!("tiêu đề không đọc được / unreadable header: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    if header != HEADER {
        return Err(err(
            file,
            1,
            1,
            format!(
                "tiêu đề không đúng mẫu / expected header: {}",
                HEADER.join(",")
            ),
        ));
    }
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| {
            err(
                file,
                e.position().map_or(0, |p| p.line()),
                1,
                format!("dòng CSV hỏng / malformed record: {e}"),
            )
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |name: &str| -> (String, u64) {
            let i = HEADER.iter().position(|h| *h == name).unwrap_or(0);
            (rec.get(i).unwrap_or_default().to_owned(), i as u64 + 1)
        };
        let json = |name: &str| -> Result<serde_json::Value, AppError> {
            let (v, col) = cell(name);
            let v = if v.trim().is_empty() {
                "null".to_owned()
            } else {
                v
            };
            serde_json::from_str(&v).map_err(|e| {
                err(
                    file,
                    line,
                    col,
                    format!("`{name}`: JSON không hợp lệ / invalid JSON: {e}"),
                )
            })
        };
        let quoted = |name: &str| serde_json::Value::String(cell(name).0);
        let opt = |name: &str| {
            let v = cell(name).0;
            if v.trim().is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::String(v)
            }
        };
        let (days, hours) = (cell("working_days"), cell("working_hours"));
        let time = if !days.0.trim().is_empty() {
            let d: f64 = days.0.trim().parse().map_err(|_| {
                err(
                    file,
                    line,
                    days.1,
                    "working_days: cần một số / a number is needed",
                )
            })?;
            serde_json::json!({"working_days": d})
        } else {
            let h: u32 = hours.0.trim().parse().map_err(|_| {
                err(
                    file,
                    line,
                    hours.1,
                    "working_hours: cần một số nguyên / a whole number is needed",
                )
            })?;
            serde_json::json!({"working_hours": h})
        };
        let level = cell("online_level");
        let online_level: u8 = level
            .0
            .trim()
            .parse()
            .map_err(|_| err(file, line, level.1, "online_level: 1–4"))?;
        let value = serde_json::json!({
            "code": cell("code").0.trim(),
            "local_code": opt("local_code"),
            "name": quoted("name"),
            "field": Field { code: cell("field_code").0, name: cell("field_name").0 },
            "level": cell("level").0.trim(),
            "agency_codes": cell("agency_codes").0.split_whitespace().collect::<Vec<_>>(),
            "required_documents": json("required_documents")?,
            "processing_time": time,
            "fees": json("fees")?,
            "result": ProcedureResult { name: cell("result_name").0, kind: serde_json::from_value(serde_json::Value::String(cell("result_kind").0.trim().to_owned())).map_err(|e| err(file, line, cell("result_kind").1, format!("result_kind: {e}")))? },
            "legal_basis": json("legal_basis")?,
            "online_level": online_level,
            "online_mode": cell("online_mode").0.trim(),
            "applicants": opt("applicants"),
            "form": json("form")?,
            "workflow": opt("workflow"),
            "valid_from": cell("valid_from").0.trim(),
        });
        let p: Procedure = serde_json::from_value(value).map_err(|e| {
            err(
                file,
                line,
                1,
                format!("thủ tục không hợp lệ / invalid procedure: {e}"),
            )
        })?;
        out.push(p);
    }
    Ok(out)
}
