//! Importing administrative units (CSV lists of both generations) and their successions
//! (`merges.json`), all or nothing, with an audit row per file.

use super::*;
use lienthong_store::Exec;

/// Counts of what an import created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// Province versions.
    pub provinces: usize,
    /// District versions.
    pub districts: usize,
    /// Commune versions.
    pub communes: usize,
    /// Succession links.
    pub successions: usize,
}

fn import_error(file: &str, line: u64, column: u64, message: impl Into<String>) -> AppError {
    AppError::Import {
        file: file.to_owned(),
        line,
        column,
        message: message.into(),
    }
}

const FORMAT_2025: [&str; 5] = [
    "commune_code",
    "commune_name",
    "commune_type",
    "province_code",
    "province_name",
];
const FORMAT_PRE_2025: [&str; 9] = [
    "province_code",
    "province_name",
    "province_type",
    "district_code",
    "district_name",
    "district_type",
    "commune_code",
    "commune_name",
    "commune_type",
];
const FORMAT_PROVINCES: [&str; 2] = ["province_code", "province_name"];

fn province_kind(name: &str) -> &'static str {
    if name.starts_with("Thành phố") {
        "Thành phố Trung ương"
    } else {
        "Tỉnh"
    }
}

/// Parses an administrative-unit list (the 2025 commune list, the pre-2025 flat list, or a
/// province list — recognised by the header) into unit versions valid over `validity`.
/// Any malformed cell stops the parse with its file, line and column.
pub fn parse_admin_units_csv(
    file: &str,
    bytes: &[u8],
    validity: Validity,
) -> Result<Vec<AdminUnit>, AppError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| {
            import_error(
                file,
                1,
                1,
                format!("tiêu đề không đọc được / unreadable header: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    let format: &[&str] = if headers == FORMAT_2025 {
        &FORMAT_2025
    } else if headers == FORMAT_PRE_2025 {
        &FORMAT_PRE_2025
    } else if headers == FORMAT_PROVINCES {
        &FORMAT_PROVINCES
    } else {
        return Err(import_error(
            file,
            1,
            1,
            format!(
                "tiêu đề không đúng mẫu / unknown header; expected one of: {} | {} | {}",
                FORMAT_2025.join(","),
                FORMAT_PRE_2025.join(","),
                FORMAT_PROVINCES.join(",")
            ),
        ));
    };
    let mut units: Vec<AdminUnit> = Vec::new();
    let mut seen: HashMap<(UnitLevel, String), (String, Option<String>)> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let (line, column) = e.position().map_or((0, 0), |p| (p.line(), 1));
            import_error(
                file,
                line,
                column,
                format!("dòng CSV hỏng / malformed CSV record: {e}"),
            )
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |name: &str| -> Result<(String, u64), AppError> {
            let idx = format.iter().position(|h| *h == name).unwrap_or(0);
            let value = nfc(record.get(idx).unwrap_or_default());
            if value.is_empty() {
                return Err(import_error(
                    file,
                    line,
                    idx as u64 + 1,
                    format!("ô trống / empty cell `{name}`"),
                ));
            }
            if value.chars().count() > 200 {
                return Err(import_error(
                    file,
                    line,
                    idx as u64 + 1,
                    format!("quá dài / too long `{name}`"),
                ));
            }
            Ok((value, idx as u64 + 1))
        };
        let mut add = |level: UnitLevel,
                       code_col: &str,
                       name_col: &str,
                       kind: Option<&str>,
                       parent: Option<String>|
         -> Result<String, AppError> {
            let (code, col) = cell(code_col)?;
            level.check_code(&code).map_err(|_| {
                import_error(
                    file,
                    line,
                    col,
                    format!(
                        "mã không hợp lệ / invalid {} code `{code}` ({} digits expected)",
                        level.as_str(),
                        level.code_width()
                    ),
                )
            })?;
            let (name, name_idx) = cell(name_col)?;
            let kind = match kind {
                Some(k) => cell(k)?.0,
                None => province_kind(&name).to_owned(),
            };
            match seen.get(&(level, code.clone())) {
                Some((n, p)) if *n == name && *p == parent => {
                    if level == UnitLevel::Commune {
                        return Err(import_error(
                            file,
                            line,
                            col,
                            format!("mã xã trùng / duplicate commune code `{code}`"),
                        ));
                    }
                }
                Some((n, _)) => {
                    return Err(import_error(
                        file,
                        line,
                        name_idx,
                        format!(
                            "mã `{code}` đã dùng cho `{n}` / code `{code}` already used for `{n}`"
                        ),
                    ));
                }
                None => {
                    seen.insert((level, code.clone()), (name.clone(), parent.clone()));
                    units.push(AdminUnit {
                        id: uuid::Uuid::now_v7().to_string(),
                        code: code.clone(),
                        name,
                        kind,
                        level,
                        parent_code: parent,
                        valid_from: validity.from,
                        valid_to: validity.to,
                    });
                }
            }
            Ok(code)
        };
        let province = add(
            UnitLevel::Province,
            "province_code",
            "province_name",
            format.contains(&"province_type").then_some("province_type"),
            None,
        )?;
        if format.contains(&"district_code") {
            let district = add(
                UnitLevel::District,
                "district_code",
                "district_name",
                Some("district_type"),
                Some(province),
            )?;
            // A district without communes (island districts) has its commune cells empty.
            let commune_cells =
                [6, 7, 8].map(|i| record.get(i).unwrap_or_default().trim().is_empty());
            if commune_cells != [true, true, true] {
                add(
                    UnitLevel::Commune,
                    "commune_code",
                    "commune_name",
                    Some("commune_type"),
                    Some(district),
                )?;
            }
        } else if format.contains(&"commune_code") {
            add(
                UnitLevel::Commune,
                "commune_code",
                "commune_name",
                Some("commune_type"),
                Some(province),
            )?;
        }
    }
    if units.is_empty() {
        return Err(import_error(
            file,
            2,
            1,
            "tệp không có dữ liệu / the file has no rows",
        ));
    }
    Ok(units)
}

fn summarise(units: &[AdminUnit]) -> ImportSummary {
    let count = |l| units.iter().filter(|u| u.level == l).count();
    ImportSummary {
        provinces: count(UnitLevel::Province),
        districts: count(UnitLevel::District),
        communes: count(UnitLevel::Commune),
        successions: 0,
    }
}

/// Imports a unit list in one transaction: all rows or none.
pub async fn import_admin_units(
    app: &App,
    ctx: &AuditCtx,
    file: &str,
    bytes: &[u8],
    validity: Validity,
) -> Result<ImportSummary, AppError> {
    let units = parse_admin_units_csv(file, bytes, validity)?;
    let mut tx = app.db.write().await?;
    insert_units(tx.conn(), app, ctx, file, bytes, &units).await?;
    tx.commit().await?;
    Ok(summarise(&units))
}

pub(crate) async fn insert_units<'c>(
    conn: impl Into<Exec<'c>>,
    app: &App,
    ctx: &AuditCtx,
    file: &str,
    bytes: &[u8],
    units: &[AdminUnit],
) -> Result<(), AppError> {
    let conn: &mut Exec<'_> = &mut conn.into();
    for u in units {
        store::insert_unit(&mut *conn, u).await.map_err(|e| match e {
            lienthong_store::StoreError::Duplicate => AppError::Conflict(format!(
                "{file}: đơn vị {} {} ({}) đã có cùng ngày hiệu lực / unit already imported for this validity",
                u.level.as_str(),
                u.code,
                u.name
            )),
            other => other.into(),
        })?;
    }
    let digest = hex::encode(Sha256::digest(bytes));
    audit::record(
        &mut *conn,
        app,
        ctx,
        "admin_units.import",
        "import",
        file,
        None,
        Some(digest),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct MergesFile {
    data: Vec<MergedProvince>,
}

#[derive(Debug, Deserialize)]
struct MergedProvince {
    level1_id: String,
    merges: Vec<MergeRef>,
    #[serde(default)]
    level2s: Vec<MergedCommune>,
}

#[derive(Debug, Deserialize)]
struct MergedCommune {
    level2_id: String,
    merges: Vec<MergeRef>,
}

#[derive(Debug, Deserialize)]
struct MergeRef {
    old_id: String,
    #[serde(rename = "type")]
    kind: String,
}

/// Links the units valid before `effective_on` to those valid from it, as listed in a
/// `merges.json` file (new unit ← old units, `full` or `partial`). One transaction.
pub async fn import_merges(
    app: &App,
    ctx: &AuditCtx,
    file: &str,
    bytes: &[u8],
    effective_on: Date,
) -> Result<usize, AppError> {
    let parsed: MergesFile = serde_json::from_slice(bytes).map_err(|e| {
        import_error(
            file,
            e.line() as u64,
            e.column() as u64,
            format!("JSON không hợp lệ / invalid JSON: {e}"),
        )
    })?;
    let before = effective_on
        .yesterday()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut tx = app.db.write().await?;
    let conn = &mut tx.conn();
    let index = |units: Vec<AdminUnit>| {
        units
            .into_iter()
            .map(|u| ((u.level, u.code.clone()), u.id))
            .collect::<HashMap<_, _>>()
    };
    let old = index(store::units_at(&mut *conn, before, None, None).await?);
    let new = index(store::units_at(&mut *conn, effective_on, None, None).await?);
    let mut links = 0;
    let mut done: HashSet<(String, String)> = HashSet::new();
    for (pi, p) in parsed.data.iter().enumerate() {
        let groups = std::iter::once((
            UnitLevel::Province,
            p.level1_id.as_str(),
            &p.merges,
            format!("data[{pi}]"),
        ))
        .chain(p.level2s.iter().enumerate().map(|(ci, c)| {
            (
                UnitLevel::Commune,
                c.level2_id.as_str(),
                &c.merges,
                format!("data[{pi}].level2s[{ci}]"),
            )
        }));
        for (level, code, merges, path) in groups {
            let successor = new.get(&(level, code.to_owned())).ok_or_else(|| {
                import_error(file, 0, 0, format!("{path}: không có đơn vị mới {code} hiệu lực từ {effective_on} / no new unit {code}"))
            })?;
            for (mi, m) in merges.iter().enumerate() {
                let kind = match m.kind.as_str() {
                    "full" => SuccessionKind::Full,
                    "partial" => SuccessionKind::Partial,
                    other => {
                        return Err(import_error(
                            file,
                            0,
                            0,
                            format!("{path}.merges[{mi}].type: `{other}` (full|partial)"),
                        ));
                    }
                };
                // Island districts without communes became special zones: the old unit of a
                // commune-level successor may be a district (3 digits).
                let old_level = match m.old_id.len() {
                    2 => UnitLevel::Province,
                    3 => UnitLevel::District,
                    _ => level,
                };
                let predecessor = old.get(&(old_level, m.old_id.clone())).ok_or_else(|| {
                    import_error(
                        file,
                        0,
                        0,
                        format!(
                            "{path}.merges[{mi}].old_id: không có đơn vị cũ {} / no old unit {}",
                            m.old_id, m.old_id
                        ),
                    )
                })?;
                if done.insert((predecessor.clone(), successor.clone())) {
                    store::insert_unit_succession(
                        &mut *conn,
                        predecessor,
                        successor,
                        kind,
                        effective_on,
                    )
                    .await?;
                    links += 1;
                }
            }
        }
    }
    let digest = hex::encode(Sha256::digest(bytes));
    audit::record(
        &mut *conn,
        app,
        ctx,
        "admin_units.import_successions",
        "import",
        file,
        None,
        Some(digest),
    )
    .await?;
    tx.commit().await?;
    Ok(links)
}
