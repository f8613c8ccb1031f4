//! Accounts, their roles, and login throttling.

use crate::exec::{Arg, Exec, Rec, query};
use lienthong_domain::role::{AccountKind, Role};
use std::sync::LazyLock;

use crate::{Result, StoreError};

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Account id (UUIDv7).
    pub id: String,
    /// Login name (lower-case).
    pub username: String,
    /// Citizen, organisation or official.
    pub kind: AccountKind,
    /// Full name (or organisation name).
    pub full_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// CCCD of a citizen.
    pub cccd: Option<String>,
    /// Tax code of an organisation.
    pub tax_code: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Home agency of an official.
    pub agency_code: Option<String>,
    /// Creation instant (µs).
    pub created_at: i64,
    /// When the account was disabled (µs), if it was.
    pub disabled_at: Option<i64>,
}

/// A role held within an agency.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RoleGrant {
    /// The role.
    pub role: Role,
    /// Agency code the role applies to (and to the agencies under it).
    pub agency_code: String,
}

fn account(row: &Rec<'_, '_>) -> Result<Account> {
    let kind: String = row.get("kind")?;
    Ok(Account {
        id: row.get("id")?,
        username: row.get("username")?,
        kind: AccountKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("kind {kind}")))?,
        full_name: row.get("full_name")?,
        password_hash: row.get("password_hash")?,
        cccd: row.get("cccd")?,
        tax_code: row.get("tax_code")?,
        email: row.get("email")?,
        phone: row.get("phone")?,
        agency_code: row.get("agency_code")?,
        created_at: row.get("created_at")?,
        disabled_at: row.get("disabled_at")?,
    })
}

const COLUMNS: &str = "id, username, kind, full_name, password_hash, cccd, tax_code, email, phone, \
                       agency_code, created_at, disabled_at";

/// Inserts an account; [`StoreError::Duplicate`] when the username, CCCD or tax code exists.
pub async fn insert<'c>(conn: impl Into<Exec<'c>>, a: &Account) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO accounts (id, username, kind, full_name, password_hash, cccd, tax_code, email, phone, \
         agency_code, created_at, disabled_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
    )
    .bind(&a.id)
    .bind(&a.username)
    .bind(a.kind.as_str())
    .bind(&a.full_name)
    .bind(&a.password_hash)
    .bind(&a.cccd)
    .bind(&a.tax_code)
    .bind(&a.email)
    .bind(&a.phone)
    .bind(&a.agency_code)
    .bind(a.created_at)
    .bind(a.disabled_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Grants a role.
pub async fn grant<'c>(
    conn: impl Into<Exec<'c>>,
    account_id: &str,
    grant: &RoleGrant,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("INSERT INTO account_roles (account_id, role, agency_code) VALUES ($1,$2,$3)")
        .bind(account_id)
        .bind(grant.role.as_str())
        .bind(&grant.agency_code)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The account with this username.
pub async fn by_username<'c>(conn: impl Into<Exec<'c>>, username: &str) -> Result<Option<Account>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE username = $1");
    let row = query(sql).bind(username).fetch_optional(&mut *conn).await?;
    row.as_ref().map(|r| account(&r.rec())).transpose()
}

/// The account with this id.
pub async fn by_id<'c>(conn: impl Into<Exec<'c>>, id: &str) -> Result<Option<Account>> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"));
    conn.into()
        .optional(SQL.as_str(), &[Arg::Text(id)], account)
        .await
}

/// An account and its roles in one statement (the roles ordered as [`roles`] orders them).
pub async fn with_roles<'c>(
    conn: impl Into<Exec<'c>>,
    id: &str,
) -> Result<Option<(Account, Vec<RoleGrant>)>> {
    let rows = conn
        .into()
        .all(
            "SELECT a.id, a.username, a.kind, a.full_name, a.password_hash, a.cccd, a.tax_code, \
             a.email, a.phone, a.agency_code, a.created_at, a.disabled_at, \
             r.role AS granted_role, r.agency_code AS granted_agency \
             FROM accounts a LEFT JOIN account_roles r ON r.account_id = a.id \
             WHERE a.id = $1 ORDER BY r.agency_code, r.role",
            &[Arg::Text(id)],
            |r| {
                let role: Option<String> = r.get("granted_role")?;
                let agency: Option<String> = r.get("granted_agency")?;
                let grant = match (role, agency) {
                    (Some(role), Some(agency_code)) => Some(RoleGrant {
                        role: role
                            .parse()
                            .map_err(|_| StoreError::Corrupt(format!("role {role}")))?,
                        agency_code,
                    }),
                    _ => None,
                };
                Ok((account(r)?, grant))
            },
        )
        .await?;
    let mut rows = rows.into_iter();
    let Some((first, grant)) = rows.next() else {
        return Ok(None);
    };
    let roles = grant
        .into_iter()
        .chain(rows.filter_map(|(_, g)| g))
        .collect();
    Ok(Some((first, roles)))
}

/// Roles of an account.
pub async fn roles<'c>(conn: impl Into<Exec<'c>>, account_id: &str) -> Result<Vec<RoleGrant>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let rows = query("SELECT role, agency_code FROM account_roles WHERE account_id = $1 ORDER BY agency_code, role")
        .bind(account_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            Ok(RoleGrant {
                role: role
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("role {role}")))?,
                agency_code: r.try_get("agency_code")?,
            })
        })
        .collect()
}

/// Number of accounts.
pub async fn count<'c>(conn: impl Into<Exec<'c>>) -> Result<i64> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("SELECT COUNT(*) AS n FROM accounts")
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")
}

/// Failed-login state of a username.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Failures in the current window.
    pub failures: i64,
    /// Start of the current window (µs).
    pub window_start: i64,
    /// Locked until this instant (µs), if locked.
    pub locked_until: Option<i64>,
}

/// The throttle row of a username.
pub async fn throttle<'c>(conn: impl Into<Exec<'c>>, username: &str) -> Result<Option<Throttle>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let row = query(
        "SELECT failures, window_start, locked_until FROM login_throttle WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(Throttle {
            failures: r.try_get("failures")?,
            window_start: r.try_get("window_start")?,
            locked_until: r.try_get("locked_until")?,
        })
    })
    .transpose()
}

/// Stores the throttle row of a username.
pub async fn set_throttle<'c>(
    conn: impl Into<Exec<'c>>,
    username: &str,
    t: Throttle,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO login_throttle (username, failures, window_start, locked_until) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, \
         window_start = excluded.window_start, locked_until = excluded.locked_until",
    )
    .bind(username)
    .bind(t.failures)
    .bind(t.window_start)
    .bind(t.locked_until)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets the failures of a username after a successful login.
pub async fn clear_throttle<'c>(conn: impl Into<Exec<'c>>, username: &str) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("DELETE FROM login_throttle WHERE username = $1")
        .bind(username)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
