//! Certificates and keys of the internal CA and of the platform's signers.

use crate::exec::{Exec, Row, query};

use crate::Result;

/// One stored certificate.
#[derive(Debug, Clone)]
pub struct CertRow {
    /// Identifier.
    pub id: String,
    /// `root`, `issuing`, `seal`, `person` or `tsa`.
    pub role: String,
    /// Agency code (seals), account id (persons), `-` otherwise.
    pub owner: String,
    /// Subject common name.
    pub subject: String,
    /// Serial number, hex.
    pub serial_hex: String,
    /// Validity start, µs since 1970.
    pub not_before: i64,
    /// Validity end, µs since 1970.
    pub not_after: i64,
    /// The certificate, base64 DER.
    pub der_b64: String,
    /// Encrypted PKCS#8 PEM of a software key.
    pub key_pem: Option<String>,
    /// PKCS#11 URI of a key on a token.
    pub key_uri: Option<String>,
    /// When it was revoked, µs since 1970.
    pub revoked_at: Option<i64>,
    /// When it was issued, µs since 1970.
    pub created_at: i64,
}

const COLUMNS: &str = "id, role, owner, subject, serial_hex, not_before, not_after, der_b64, key_pem, key_uri, revoked_at, created_at";

fn row(r: &Row) -> Result<CertRow> {
    Ok(CertRow {
        id: r.try_get("id")?,
        role: r.try_get("role")?,
        owner: r.try_get("owner")?,
        subject: r.try_get("subject")?,
        serial_hex: r.try_get("serial_hex")?,
        not_before: r.try_get("not_before")?,
        not_after: r.try_get("not_after")?,
        der_b64: r.try_get("der_b64")?,
        key_pem: r.try_get("key_pem")?,
        key_uri: r.try_get("key_uri")?,
        revoked_at: r.try_get("revoked_at")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Stores a certificate.
pub async fn insert<'c>(conn: impl Into<Exec<'c>>, c: &CertRow) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(format!(
        "INSERT INTO pki_certificates ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
    ))
    .bind(&c.id)
    .bind(&c.role)
    .bind(&c.owner)
    .bind(&c.subject)
    .bind(&c.serial_hex)
    .bind(c.not_before)
    .bind(c.not_after)
    .bind(&c.der_b64)
    .bind(&c.key_pem)
    .bind(&c.key_uri)
    .bind(c.revoked_at)
    .bind(c.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The newest unrevoked certificate of `role` for `owner` valid at `at` (µs).
pub async fn current<'c>(
    conn: impl Into<Exec<'c>>,
    role: &str,
    owner: &str,
    at: i64,
) -> Result<Option<CertRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let r = query(format!(
        "SELECT {COLUMNS} FROM pki_certificates WHERE role = $1 AND owner = $2 AND revoked_at IS NULL \
         AND not_before <= $3 AND not_after > $3 ORDER BY created_at DESC, id DESC LIMIT 1"
    ))
    .bind(role)
    .bind(owner)
    .bind(at)
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(row).transpose()
}

/// Every certificate of `role` (all owners), oldest first.
pub async fn by_role<'c>(conn: impl Into<Exec<'c>>, role: &str) -> Result<Vec<CertRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let rows = query(format!(
        "SELECT {COLUMNS} FROM pki_certificates WHERE role = $1 ORDER BY created_at, id"
    ))
    .bind(role)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(row).collect()
}

/// Every revoked certificate, oldest revocation first.
pub async fn revoked<'c>(conn: impl Into<Exec<'c>>) -> Result<Vec<CertRow>> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let rows = query(format!(
        "SELECT {COLUMNS} FROM pki_certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at, id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(row).collect()
}

/// Revokes a certificate (no-op when already revoked); true when it changed.
pub async fn revoke<'c>(conn: impl Into<Exec<'c>>, id: &str, at: i64) -> Result<bool> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let r =
        query("UPDATE pki_certificates SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    Ok(r.rows_affected() > 0)
}
