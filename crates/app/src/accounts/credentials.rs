//! Browser sessions and API tokens: opening, resolving (with the short-lived cache of
//! [`crate::caches`]) and closing them.

use lienthong_store::sessions::{self, Session};
use serde::Serialize;

use super::principal_on;
use crate::{
    App, AppError,
    audit::{self, AuditCtx},
    authz::Principal,
    caches::Resolved,
    secrets::{hash_token, random_token},
};

/// Keeps the resolution of the credential `key`, read at `read_at` (µs), unless the cache was
/// dropped since `generation` was taken.
fn remember(
    app: &App,
    (key, generation, read_at): (&str, u64, i64),
    principal: &Principal,
    csrf_token: Option<&str>,
    expires_at: i64,
) {
    app.caches.keep_resolved(
        key,
        generation,
        read_at,
        Resolved {
            principal: principal.clone(),
            csrf_token: csrf_token.map(str::to_owned),
            expires_at,
        },
    );
}

/// A new browser session: the cookie secret (shown once) and the CSRF token of its forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Cookie value.
    pub token: String,
    /// Anti-forgery token.
    pub csrf_token: String,
    /// Idle lifetime in seconds.
    pub max_age_secs: i64,
}

/// Opens a fresh session for `principal` (a new identifier on every login, so a planted
/// session id is never promoted), replacing `previous` if the browser had one.
pub async fn open_session(
    app: &App,
    ctx: &AuditCtx,
    principal: &Principal,
    previous: Option<&str>,
) -> Result<NewSession, AppError> {
    let token = random_token()?;
    let csrf_token = random_token()?;
    let now = app.now_us();
    let mut tx = app.db.write().await?;
    if let Some(prev) = previous {
        sessions::delete_session(tx.conn(), &hash_token(prev)).await?;
    }
    sessions::insert_session(
        tx.conn(),
        &Session {
            token_hash: hash_token(&token),
            account_id: principal.account_id.clone(),
            csrf_token: csrf_token.clone(),
            created_at: now,
            expires_at: now + app.auth.session_idle_secs * 1_000_000,
            last_seen_at: now,
        },
    )
    .await?;
    audit::record(
        tx.conn(),
        app,
        ctx,
        "session.open",
        "account",
        &principal.account_id,
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    if previous.is_some() {
        // The replaced session may be cached as resolved.
        app.caches.drop_principals();
    }
    Ok(NewSession {
        token,
        csrf_token,
        max_age_secs: app.auth.session_idle_secs,
    })
}

/// The principal and CSRF token behind a session cookie, sliding its expiry when it was
/// last seen more than a minute ago. A resolution is reused for
/// [`crate::caches::PRINCIPAL_TTL_US`] (see [`resolve_token`]).
pub async fn resolve_session(
    app: &App,
    token: &str,
) -> Result<Option<(Principal, String)>, AppError> {
    let now = app.now_us();
    let hash = hash_token(token);
    let key = format!("s:{hash}");
    if let Some(r) = app.caches.resolved(&key, now) {
        return Ok(Some((
            r.principal.clone(),
            r.csrf_token.clone().unwrap_or_default(),
        )));
    }
    let generation = app.caches.principals_generation();
    let (s, p) = {
        let mut conn = app.db.reader().await?;
        let Some(s) = sessions::session(&mut conn, &hash, now).await? else {
            return Ok(None);
        };
        let Some(p) = principal_on(&mut conn, &s.account_id).await? else {
            return Ok(None);
        };
        (s, p)
    };
    let mut expires_at = s.expires_at;
    if now - s.last_seen_at > 60_000_000 {
        expires_at = now + app.auth.session_idle_secs * 1_000_000;
        let mut tx = app.db.write().await?;
        sessions::touch_session(tx.conn(), &hash, now, expires_at).await?;
        tx.commit().await?;
    }
    remember(
        app,
        (&key, generation, now),
        &p,
        Some(&s.csrf_token),
        expires_at,
    );
    Ok(Some((p, s.csrf_token)))
}

/// Ends a session server-side (logout).
pub async fn close_session(app: &App, ctx: &AuditCtx, token: &str) -> Result<(), AppError> {
    let mut tx = app.db.write().await?;
    let hash = hash_token(token);
    let account = {
        let now = app.now_us();
        sessions::session(tx.conn(), &hash, now)
            .await?
            .map(|s| s.account_id)
    };
    let deleted = sessions::delete_session(tx.conn(), &hash).await?;
    if deleted && let Some(account_id) = account {
        audit::record(
            tx.conn(),
            app,
            ctx,
            "session.close",
            "account",
            &account_id,
            None,
            None,
        )
        .await?;
    }
    tx.commit().await?;
    // The session may be cached as resolved; it must not be usable from now on.
    app.caches.drop_principals();
    Ok(())
}

/// An issued API token.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    /// The bearer secret, shown once.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// Issues a bearer token for `principal`; only its hash is stored.
pub async fn issue_token(
    app: &App,
    ctx: &AuditCtx,
    principal: &Principal,
) -> Result<IssuedToken, AppError> {
    let token = format!("lt_{}", random_token()?);
    let now = app.now_us();
    let mut tx = app.db.write().await?;
    sessions::insert_token(
        tx.conn(),
        &hash_token(&token),
        &principal.account_id,
        now,
        now + app.auth.token_ttl_secs * 1_000_000,
    )
    .await?;
    audit::record(
        tx.conn(),
        app,
        ctx,
        "token.issue",
        "account",
        &principal.account_id,
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedToken {
        access_token: token,
        expires_in: app.auth.token_ttl_secs,
    })
}

/// The principal behind a bearer token. A resolution is reused for
/// [`crate::caches::PRINCIPAL_TTL_US`] and never past the token's expiry; a logout on this
/// instance drops it at once.
pub async fn resolve_token(app: &App, token: &str) -> Result<Option<Principal>, AppError> {
    let now = app.now_us();
    let hash = hash_token(token);
    let key = format!("t:{hash}");
    if let Some(r) = app.caches.resolved(&key, now) {
        return Ok(Some(r.principal.clone()));
    }
    let generation = app.caches.principals_generation();
    let mut conn = app.db.reader().await?;
    let Some((id, expires_at)) = sessions::token_account(&mut conn, &hash, now).await? else {
        return Ok(None);
    };
    let Some(p) = principal_on(&mut conn, &id).await? else {
        return Ok(None);
    };
    drop(conn);
    remember(app, (&key, generation, now), &p, None, expires_at);
    Ok(Some(p))
}
