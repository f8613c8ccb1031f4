//! Browser sessions and API bearer tokens, both stored as SHA-256 hashes of the secret.

use crate::exec::{Arg, Exec, query};

use crate::Result;

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (hex) of the cookie value.
    pub token_hash: String,
    /// The signed-in account.
    pub account_id: String,
    /// Anti-forgery token of this session's forms.
    pub csrf_token: String,
    /// Created (µs).
    pub created_at: i64,
    /// Expires (µs).
    pub expires_at: i64,
    /// Last request seen (µs).
    pub last_seen_at: i64,
}

/// Stores a new session.
pub async fn insert_session<'c>(conn: impl Into<Exec<'c>>, s: &Session) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query(
        "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at, last_seen_at) \
         VALUES ($1,$2,$3,$4,$5,$6)",
    )
    .bind(&s.token_hash)
    .bind(&s.account_id)
    .bind(&s.csrf_token)
    .bind(s.created_at)
    .bind(s.expires_at)
    .bind(s.last_seen_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The unexpired session with this hash.
pub async fn session<'c>(
    conn: impl Into<Exec<'c>>,
    token_hash: &str,
    now_us: i64,
) -> Result<Option<Session>> {
    conn.into()
        .optional(
            "SELECT token_hash, account_id, csrf_token, created_at, expires_at, last_seen_at FROM sessions \
             WHERE token_hash = $1 AND expires_at > $2",
            &[Arg::Text(token_hash), Arg::Int(now_us)],
            |r| {
                Ok(Session {
                    token_hash: r.get("token_hash")?,
                    account_id: r.get("account_id")?,
                    csrf_token: r.get("csrf_token")?,
                    created_at: r.get("created_at")?,
                    expires_at: r.get("expires_at")?,
                    last_seen_at: r.get("last_seen_at")?,
                })
            },
        )
        .await
}

/// Slides a session's expiry.
pub async fn touch_session<'c>(
    conn: impl Into<Exec<'c>>,
    token_hash: &str,
    now_us: i64,
    expires_at: i64,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3")
        .bind(now_us)
        .bind(expires_at)
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes a session (logout). Returns whether it existed.
pub async fn delete_session<'c>(conn: impl Into<Exec<'c>>, token_hash: &str) -> Result<bool> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let done = query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes expired sessions and tokens; returns how many rows went.
pub async fn purge_expired<'c>(conn: impl Into<Exec<'c>>, now_us: i64) -> Result<u64> {
    let conn: &mut Exec<'_> = &mut conn.into();
    let a = query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now_us)
        .execute(&mut *conn)
        .await?;
    let b = query("DELETE FROM api_tokens WHERE expires_at <= $1")
        .bind(now_us)
        .execute(&mut *conn)
        .await?;
    Ok(a.rows_affected() + b.rows_affected())
}

/// Stores an API token hash.
pub async fn insert_token<'c>(
    conn: impl Into<Exec<'c>>,
    token_hash: &str,
    account_id: &str,
    created_at: i64,
    expires_at: i64,
) -> Result<()> {
    let conn: &mut Exec<'_> = &mut conn.into();
    query("INSERT INTO api_tokens (token_hash, account_id, created_at, expires_at) VALUES ($1,$2,$3,$4)")
        .bind(token_hash)
        .bind(account_id)
        .bind(created_at)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The account id of an unexpired token and the instant (µs) it expires.
pub async fn token_account<'c>(
    conn: impl Into<Exec<'c>>,
    token_hash: &str,
    now_us: i64,
) -> Result<Option<(String, i64)>> {
    conn.into()
        .optional(
            "SELECT account_id, expires_at FROM api_tokens WHERE token_hash = $1 AND expires_at > $2",
            &[Arg::Text(token_hash), Arg::Int(now_us)],
            |r| Ok((r.get("account_id")?, r.get("expires_at")?)),
        )
        .await
}
