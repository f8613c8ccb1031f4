//! Administrative units and agencies: effective-dated versions and their successions.

use crate::exec::{Arg, Exec, Rec, Row, query};
use jiff::civil::Date;
use lienthong_domain::org::{AgencyLevel, SuccessionKind, UnitLevel};
use std::sync::LazyLock;

use crate::{Result, StoreError};

/// Stored form of "valid since before records began".
const OPEN_START: &str = "0001-01-01";

fn date_out(s: Option<String>) -> Result<Option<Date>> {
    match s.as_deref() {
        None | Some(OPEN_START) => Ok(None),
        Some(d) => d
            .parse()
            .map(Some)
            .map_err(|_| StoreError::Corrupt(format!("date {d}"))),
    }
}

fn from_in(d: Option<Date>) -> String {
    d.map_or_else(|| OPEN_START.to_owned(), |d| d.to_string())
}

/// One version of an administrative unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminUnit {
    /// Version id.
    pub id: String,
    /// GSO code (2, 3 or 5 digits); reused across generations.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Type as written in the official list (Phường, Xã, Tỉnh, Quận…).
    pub kind: String,
    /// Tier.
    pub level: UnitLevel,
    /// Code of the parent unit in the same generation.
    pub parent_code: Option<String>,
    /// First valid day (`None`: before records began).
    pub valid_from: Option<Date>,
    /// First day no longer valid (`None`: still valid).
    pub valid_to: Option<Date>,
}

fn unit(row: &Row) -> Result<AdminUnit> {
    let level: String = row.try_get("level")?;
    Ok(AdminUnit {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        level: UnitLevel::parse(&level)
            .ok_or_else(|| StoreError::Corrupt(format!("level {level}")))?,
        parent_code: row.try_get("parent_code")?,
        valid_from: date_out(row.try_get("valid_from")?)?,
        valid_to: date_out(row.try_get("valid_to")?)?,
    })
}

/// Inserts a unit version.
pub async fn insert_unit<'c>(conn: impl Into<Exec<'c>>, u: &AdminUnit) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO admin_units (id, code, name, kind, level, parent_code, valid_from, valid_to) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    )
    .bind(&u.id)
    .bind(&u.code)
    .bind(&u.name)
    .bind(&u.kind)
    .bind(u.level.as_str())
    .bind(&u.parent_code)
    .bind(from_in(u.valid_from))
    .bind(u.valid_to.map(|d| d.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records that `predecessor` (a unit version) went, fully or partly, into `successor`.
pub async fn insert_unit_succession<'c>(
    conn: impl Into<Exec<'c>>,
    predecessor_id: &str,
    successor_id: &str,
    kind: SuccessionKind,
    effective_on: Date,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO admin_unit_successions (predecessor_id, successor_id, kind, effective_on) \
         VALUES ($1,$2,$3,$4)",
    )
    .bind(predecessor_id)
    .bind(successor_id)
    .bind(kind.as_str())
    .bind(effective_on.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

const UNIT_COLUMNS: &str = "id, code, name, kind, level, parent_code, valid_from, valid_to";
const VALID_AT: &str = "valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)";

/// The version of unit `code` at `level` valid on `at`.
pub async fn unit_at<'c>(
    conn: impl Into<Exec<'c>>,
    level: UnitLevel,
    code: &str,
    at: Date,
) -> Result<Option<AdminUnit>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM admin_units WHERE {VALID_AT} AND level = $2 AND code = $3"
    );
    let row = query(sql)
        .bind(at.to_string())
        .bind(level.as_str())
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(unit).transpose()
}

/// Units valid on `at`, optionally of one level and under one parent, ordered by code.
pub async fn units_at<'c>(
    conn: impl Into<Exec<'c>>,
    at: Date,
    level: Option<UnitLevel>,
    parent_code: Option<&str>,
) -> Result<Vec<AdminUnit>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM admin_units WHERE {VALID_AT} \
         AND ($2 = '' OR level = $2) AND ($3 = '' OR parent_code = $3) ORDER BY level, code"
    );
    let rows = query(sql)
        .bind(at.to_string())
        .bind(level.map_or("", UnitLevel::as_str))
        .bind(parent_code.unwrap_or(""))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(unit).collect()
}

/// Every version of unit `code` at `level`, oldest first.
pub async fn unit_versions<'c>(
    conn: impl Into<Exec<'c>>,
    level: UnitLevel,
    code: &str,
) -> Result<Vec<AdminUnit>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM admin_units WHERE level = $1 AND code = $2 ORDER BY valid_from"
    );
    let rows = query(sql)
        .bind(level.as_str())
        .bind(code)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(unit).collect()
}

/// Unit versions that went into `successor_id`, with the kind of succession.
pub async fn unit_predecessors<'c>(
    conn: impl Into<Exec<'c>>,
    successor_id: &str,
) -> Result<Vec<(AdminUnit, SuccessionKind)>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let rows = query(
        "SELECT u.id, u.code, u.name, u.kind, u.level, u.parent_code, u.valid_from, u.valid_to, s.kind AS succession \
         FROM admin_unit_successions s JOIN admin_units u ON u.id = s.predecessor_id \
         WHERE s.successor_id = $1 ORDER BY u.code",
    )
    .bind(successor_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let k: String = r.try_get("succession")?;
            let kind = SuccessionKind::parse(&k)
                .ok_or_else(|| StoreError::Corrupt(format!("succession {k}")))?;
            Ok((unit(r)?, kind))
        })
        .collect()
}

/// Number of unit versions valid on `at` per level (province, district, commune).
pub async fn count_units_at<'c>(conn: impl Into<Exec<'c>>, at: Date) -> Result<(i64, i64, i64)> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT \
         COUNT(CASE WHEN level = 'province' THEN 1 END) AS p, \
         COUNT(CASE WHEN level = 'district' THEN 1 END) AS d, \
         COUNT(CASE WHEN level = 'commune' THEN 1 END) AS c \
         FROM admin_units WHERE {VALID_AT}"
    );
    let row = query(sql)
        .bind(at.to_string())
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get("p")?, row.try_get("d")?, row.try_get("c")?))
}

/// One version of an agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    /// Version id (what records point at, so they keep the agency as it was).
    pub id: String,
    /// National agency code, stable across renames.
    pub code: String,
    /// Official name of this version.
    pub name: String,
    /// Abbreviation used in document notations (UBND, STP, SXD…).
    pub short_name: String,
    /// Tier.
    pub level: AgencyLevel,
    /// Kind: `people_committee`, `department`, `service_centre`, `other`.
    pub kind: String,
    /// Code of the parent agency.
    pub parent_code: Option<String>,
    /// Administrative unit the agency serves.
    pub admin_unit_code: Option<String>,
    /// First valid day.
    pub valid_from: Option<Date>,
    /// First day no longer valid.
    pub valid_to: Option<Date>,
}

fn agency(row: &Rec<'_, '_>) -> Result<Agency> {
    let level: String = row.get("level")?;
    Ok(Agency {
        id: row.get("id")?,
        code: row.get("code")?,
        name: row.get("name")?,
        short_name: row.get("short_name")?,
        level: AgencyLevel::parse(&level)
            .ok_or_else(|| StoreError::Corrupt(format!("level {level}")))?,
        kind: row.get("kind")?,
        parent_code: row.get("parent_code")?,
        admin_unit_code: row.get("admin_unit_code")?,
        valid_from: date_out(row.get("valid_from")?)?,
        valid_to: date_out(row.get("valid_to")?)?,
    })
}

const AGENCY_COLUMNS: &str =
    "id, code, name, short_name, level, kind, parent_code, admin_unit_code, valid_from, valid_to";

/// Inserts an agency version.
pub async fn insert_agency<'c>(conn: impl Into<Exec<'c>>, a: &Agency) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO agencies (id, code, name, short_name, level, kind, parent_code, admin_unit_code, valid_from, valid_to) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
    )
    .bind(&a.id)
    .bind(&a.code)
    .bind(&a.name)
    .bind(&a.short_name)
    .bind(a.level.as_str())
    .bind(&a.kind)
    .bind(&a.parent_code)
    .bind(&a.admin_unit_code)
    .bind(from_in(a.valid_from))
    .bind(a.valid_to.map(|d| d.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends the validity of an open agency version on `to` (exclusive). Closed versions are
/// never changed again.
pub async fn close_agency<'c>(conn: impl Into<Exec<'c>>, id: &str, to: Date) -> Result<bool> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let done = query("UPDATE agencies SET valid_to = $1 WHERE id = $2 AND valid_to IS NULL")
        .bind(to.to_string())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records an agency succession.
pub async fn insert_agency_succession<'c>(
    conn: impl Into<Exec<'c>>,
    predecessor_id: &str,
    successor_id: &str,
    kind: SuccessionKind,
    effective_on: Date,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO agency_successions (predecessor_id, successor_id, kind, effective_on) VALUES ($1,$2,$3,$4)",
    )
    .bind(predecessor_id)
    .bind(successor_id)
    .bind(kind.as_str())
    .bind(effective_on.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The version of agency `code` valid on `at`.
pub async fn agency_at<'c>(
    conn: impl Into<Exec<'c>>,
    code: &str,
    at: Date,
) -> Result<Option<Agency>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!("SELECT {AGENCY_COLUMNS} FROM agencies WHERE {VALID_AT} AND code = $2")
    });
    let at = at.to_string();
    conn.into()
        .optional(SQL.as_str(), &[Arg::Text(&at), Arg::Text(code)], agency)
        .await
}

/// An agency version by id, whatever its validity.
pub async fn agency_by_id<'c>(conn: impl Into<Exec<'c>>, id: &str) -> Result<Option<Agency>> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {AGENCY_COLUMNS} FROM agencies WHERE id = $1"));
    conn.into()
        .optional(SQL.as_str(), &[Arg::Text(id)], agency)
        .await
}

/// Agencies valid on `at`, optionally under one parent, ordered by code.
pub async fn agencies_at<'c>(
    conn: impl Into<Exec<'c>>,
    at: Date,
    parent_code: Option<&str>,
) -> Result<Vec<Agency>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {AGENCY_COLUMNS} FROM agencies WHERE {VALID_AT} AND ($2 = '' OR parent_code = $2) ORDER BY code"
    );
    let rows = query(sql)
        .bind(at.to_string())
        .bind(parent_code.unwrap_or(""))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| agency(&r.rec())).collect()
}

/// Successor versions of agency version `id`.
pub async fn agency_successors<'c>(
    conn: impl Into<Exec<'c>>,
    id: &str,
) -> Result<Vec<(Agency, SuccessionKind)>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let rows = query(
        "SELECT a.id, a.code, a.name, a.short_name, a.level, a.kind, a.parent_code, a.admin_unit_code, \
         a.valid_from, a.valid_to, s.kind AS succession \
         FROM agency_successions s JOIN agencies a ON a.id = s.successor_id WHERE s.predecessor_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let k: String = r.try_get("succession")?;
            let kind = SuccessionKind::parse(&k)
                .ok_or_else(|| StoreError::Corrupt(format!("succession {k}")))?;
            Ok((agency(&r.rec())?, kind))
        })
        .collect()
}

/// Every version of agency `code`, oldest first.
pub async fn agency_versions<'c>(conn: impl Into<Exec<'c>>, code: &str) -> Result<Vec<Agency>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!("SELECT {AGENCY_COLUMNS} FROM agencies WHERE code = $1 ORDER BY valid_from");
    let rows = query(sql).bind(code).fetch_all(&mut *conn).await?;
    rows.iter().map(|r| agency(&r.rec())).collect()
}

/// The agency of `level` valid on `at` that serves administrative unit `unit_code` (e.g. the
/// people's committee of a commune); the first by code when several do.
pub async fn agency_serving<'c>(
    conn: impl Into<Exec<'c>>,
    unit_code: &str,
    kind: &str,
    at: Date,
) -> Result<Option<Agency>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!(
        "SELECT {AGENCY_COLUMNS} FROM agencies WHERE {VALID_AT} AND admin_unit_code = $2 AND kind = $3 ORDER BY code LIMIT 1"
    );
    let row = query(sql)
        .bind(at.to_string())
        .bind(unit_code)
        .bind(kind)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(|r| agency(&r.rec())).transpose()
}
