//! Accounts, passwords, login with throttling, browser sessions and API tokens.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use lienthong_domain::{
    identity::{Cccd, Email, Phone, TaxCode, Username, check_password_policy, required_text},
    role::{AccountKind, Role},
    text::nfc,
};
use lienthong_store::{
    Exec,
    accounts::{self as store, Account, RoleGrant, Throttle},
};
use serde::Serialize;

mod credentials;
pub use credentials::{
    IssuedToken, NewSession, close_session, issue_token, open_session, resolve_session,
    resolve_token,
};

use crate::{
    App, AppError, FieldError,
    audit::{self, AuditCtx},
    authz::{Action, Caller, Principal, authorize},
    org::agency_scope,
    secrets::random_token,
};

/// What is needed to create an account. Optional fields are checked when present.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    /// Login name.
    pub username: String,
    /// Citizen, organisation or official.
    pub kind: Option<AccountKind>,
    /// Full name or organisation name.
    pub full_name: String,
    /// Initial password.
    pub password: String,
    /// CCCD (required for citizens).
    pub cccd: Option<String>,
    /// Tax code (required for organisations).
    pub tax_code: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Home agency (required for officials).
    pub agency_code: Option<String>,
    /// Roles at the home agency.
    pub roles: Vec<Role>,
}

/// The public view of an account (no secrets).
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    /// Account id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Kind.
    pub kind: AccountKind,
    /// Name.
    pub full_name: String,
    /// Home agency.
    pub agency_code: Option<String>,
    /// Roles.
    pub roles: Vec<RoleView>,
}

/// A role with its agency.
#[derive(Debug, Clone, Serialize)]
pub struct RoleView {
    /// Role name.
    pub role: Role,
    /// Agency code.
    pub agency_code: String,
}

/// A checked account, ready to be stored (its password already hashed).
pub struct CheckedAccount {
    account: Account,
    roles: Vec<RoleGrant>,
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Checks every field of `input` and reports all problems at once.
pub fn check_new_account(
    app: &App,
    input: &NewAccount,
) -> Result<(Account, Vec<RoleGrant>), AppError> {
    let mut errors = Vec::new();
    let mut field = |name: &str, r: Result<String, lienthong_domain::DomainError>| match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(FieldError::from_domain(name, &e));
            None
        }
    };
    let username = field(
        "username",
        Username::parse(&input.username).map(|u| u.as_str().to_owned()),
    );
    let full_name = field("full_name", required_text(&input.full_name, 200));
    let password = field(
        "password",
        check_password_policy(&nfc(&input.password)).map(|()| String::new()),
    );
    let year = app.clock.today().year();
    let cccd = opt(&input.cccd)
        .and_then(|c| field("cccd", Cccd::parse(c, year).map(|c| c.as_str().to_owned())));
    let tax_code = opt(&input.tax_code)
        .and_then(|t| field("tax_code", TaxCode::parse(t).map(|t| t.as_str().to_owned())));
    let email = opt(&input.email)
        .and_then(|e| field("email", Email::parse(e).map(|e| e.as_str().to_owned())));
    let phone = opt(&input.phone)
        .and_then(|p| field("phone", Phone::parse(p).map(|p| p.as_str().to_owned())));
    let agency_code = opt(&input.agency_code).and_then(|a| {
        field(
            "agency_code",
            a.parse::<lienthong_domain::org::AgencyCode>()
                .map(|a| a.as_str().to_owned()),
        )
    });
    let kind = input.kind.unwrap_or(AccountKind::Citizen);
    match kind {
        AccountKind::Citizen if opt(&input.cccd).is_none() => errors.push(FieldError::new(
            "cccd",
            "Công dân cần có số định danh cá nhân (CCCD) 12 chữ số.",
            "A citizen needs a 12-digit personal identification number (CCCD).",
        )),
        AccountKind::Organisation if opt(&input.tax_code).is_none() => {
            errors.push(FieldError::new(
                "tax_code",
                "Tổ chức cần có mã số thuế.",
                "An organisation needs a tax code.",
            ))
        }
        AccountKind::Official if opt(&input.agency_code).is_none() => errors.push(FieldError::new(
            "agency_code",
            "Cán bộ cần thuộc một cơ quan (mã định danh cơ quan).",
            "An official must belong to an agency (agency code).",
        )),
        _ => {}
    }
    if kind != AccountKind::Official && !input.roles.is_empty() {
        errors.push(FieldError::new(
            "roles",
            "Chỉ tài khoản cán bộ mới được giao vai trò.",
            "Only official accounts can hold roles.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (Some(username), Some(full_name), Some(_)) = (username, full_name, password) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    let roles = input
        .roles
        .iter()
        .map(|r| RoleGrant {
            role: *r,
            agency_code: agency_code.clone().unwrap_or_default(),
        })
        .collect();
    let account = Account {
        id: uuid::Uuid::now_v7().to_string(),
        username,
        kind,
        full_name,
        password_hash: String::new(),
        cccd,
        tax_code,
        email,
        phone,
        agency_code,
        created_at: app.now_us(),
        disabled_at: None,
    };
    Ok((account, roles))
}

/// Hashes a password with Argon2id (OWASP parameters: 19 MiB, 2 passes) off the async runtime.
pub async fn hash_password(password: &str) -> Result<String, AppError> {
    let password = nfc(password);
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("password hashing: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

async fn verify_password(password: &str, hash: String) -> bool {
    let password = nfc(password);
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// Checks `input`, hashes its password, and returns an account ready to insert.
pub async fn prepare(app: &App, input: &NewAccount) -> Result<CheckedAccount, AppError> {
    let (mut account, roles) = check_new_account(app, input)?;
    account.password_hash = hash_password(&input.password).await?;
    Ok(CheckedAccount { account, roles })
}

/// The agency code of a new account names no agency valid today.
fn unknown_agency() -> AppError {
    AppError::Validation(vec![FieldError::new(
        "agency_code",
        "Không có cơ quan nào mang mã định danh này vào thời điểm hiện tại.",
        "No agency currently has this code.",
    )])
}

/// Inserts a prepared account inside the caller's transaction, with its audit row.
pub async fn insert_prepared<'c>(
    conn: impl Into<Exec<'c>>,
    app: &App,
    ctx: &AuditCtx,
    checked: &CheckedAccount,
) -> Result<AccountView, AppError> {
    let conn: &mut Exec<'_> = &mut conn.into();
    if let Some(code) = &checked.account.agency_code
        && lienthong_store::org::agency_at(&mut *conn, code, app.clock.today())
            .await?
            .is_none()
    {
        return Err(unknown_agency());
    }
    store::insert(&mut *conn, &checked.account)
        .await
        .map_err(|e| match e {
            lienthong_store::StoreError::Duplicate => {
                AppError::Conflict("username, CCCD or tax code already registered".into())
            }
            other => other.into(),
        })?;
    for g in &checked.roles {
        store::grant(&mut *conn, &checked.account.id, g).await?;
    }
    let view = view(&checked.account, &checked.roles);
    audit::record(
        &mut *conn,
        app,
        ctx,
        "account.create",
        "account",
        &view.id,
        None,
        audit::digest(&view),
    )
    .await?;
    Ok(view)
}

fn view(a: &Account, roles: &[RoleGrant]) -> AccountView {
    AccountView {
        id: a.id.clone(),
        username: a.username.clone(),
        kind: a.kind,
        full_name: a.full_name.clone(),
        agency_code: a.agency_code.clone(),
        roles: roles
            .iter()
            .map(|g| RoleView {
                role: g.role,
                agency_code: g.agency_code.clone(),
            })
            .collect(),
    }
}

/// Creates an account on behalf of `caller` (an agency admin) — or from the command line,
/// when `caller` is `None`.
pub async fn create(
    app: &App,
    caller: Option<&Caller>,
    ctx: &AuditCtx,
    input: &NewAccount,
) -> Result<AccountView, AppError> {
    if let Some(caller) = caller {
        let scope = match opt(&input.agency_code) {
            Some(code) => match agency_scope(app, code).await {
                Ok(scope) => Some(scope),
                // Whoever may manage accounts somewhere learns that the code is wrong; anyone
                // else is refused as for any other agency.
                Err(AppError::NotFound(_)) => {
                    authorize(caller, Action::ManageAccounts, None)?;
                    return Err(unknown_agency());
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        authorize(caller, Action::ManageAccounts, scope.as_ref())?;
    }
    let checked = prepare(app, input).await?;
    let mut tx = app.db.write().await?;
    let view = insert_prepared(tx.conn(), app, ctx, &checked).await?;
    tx.commit().await?;
    Ok(view)
}

/// Loads the principal of an account id (roles included); `None` for unknown or disabled accounts.
pub async fn principal(app: &App, account_id: &str) -> Result<Option<Principal>, AppError> {
    let mut conn = app.db.reader().await?;
    principal_on(&mut conn, account_id).await
}

/// [`principal`] on a connection already held (one statement).
pub(super) async fn principal_on<'c>(
    conn: impl Into<lienthong_store::Exec<'c>>,
    account_id: &str,
) -> Result<Option<Principal>, AppError> {
    let Some((a, roles)) = store::with_roles(conn, account_id).await? else {
        return Ok(None);
    };
    if a.disabled_at.is_some() {
        return Ok(None);
    }
    Ok(Some(Principal {
        account_id: a.id,
        username: a.username,
        kind: a.kind,
        full_name: a.full_name,
        roles,
    }))
}

/// An Argon2id hash of a random secret, verified against for unknown usernames so that they
/// take as long to refuse as wrong passwords.
async fn dummy_hash() -> String {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async {
            let secret = random_token().unwrap_or_else(|_| "lienthong-dummy-secret".to_owned());
            hash_password(&secret).await.unwrap_or_default()
        })
        .await
        .clone()
}

/// Checks a username and password, counting failures per username: after
/// `max_failures` failures within the window the username is locked for `lockout_secs`.
pub async fn authenticate(
    app: &App,
    ctx: &AuditCtx,
    username: &str,
    password: &str,
) -> Result<Principal, AppError> {
    let Ok(username) = Username::parse(username) else {
        let _ = verify_password(password, dummy_hash().await).await;
        return Err(AppError::Unauthenticated);
    };
    let now = app.now_us();
    let window_us = app.auth.lockout_secs.saturating_mul(1_000_000);
    let (account, throttle) = {
        let mut conn = app.db.read().await?;
        (
            store::by_username(&mut conn, username.as_str()).await?,
            store::throttle(&mut conn, username.as_str()).await?,
        )
    };
    if let Some(until) = throttle.and_then(|t| t.locked_until).filter(|u| *u > now) {
        return Err(AppError::RateLimited {
            retry_after_secs: (until - now + 999_999) / 1_000_000,
        });
    }
    let hash = account
        .as_ref()
        .filter(|a| a.disabled_at.is_none())
        .map(|a| a.password_hash.clone());
    let ok = verify_password(
        password,
        match &hash {
            Some(h) => h.clone(),
            None => dummy_hash().await,
        },
    )
    .await
        && hash.is_some();
    let mut tx = app.db.write().await?;
    match (ok, account) {
        (true, Some(a)) => {
            store::clear_throttle(tx.conn(), username.as_str()).await?;
            tx.commit().await?;
            let roles = {
                let mut conn = app.db.read().await?;
                store::roles(&mut conn, &a.id).await?
            };
            Ok(Principal {
                account_id: a.id,
                username: a.username,
                kind: a.kind,
                full_name: a.full_name,
                roles,
            })
        }
        _ => {
            let current = store::throttle(tx.conn(), username.as_str()).await?;
            let mut t = match current {
                Some(t) if now - t.window_start < window_us => t,
                _ => Throttle {
                    failures: 0,
                    window_start: now,
                    locked_until: None,
                },
            };
            t.failures += 1;
            if t.failures >= app.auth.max_failures {
                t.locked_until = Some(now + window_us);
                audit::record(
                    tx.conn(),
                    app,
                    ctx,
                    "account.lock",
                    "username",
                    username.as_str(),
                    None,
                    None,
                )
                .await?;
                tracing::warn!(
                    failures = t.failures,
                    "login locked after repeated failures"
                );
            }
            store::set_throttle(tx.conn(), username.as_str(), t).await?;
            tx.commit().await?;
            Err(AppError::Unauthenticated)
        }
    }
}

/// The caller's own account.
pub async fn me(app: &App, caller: &Caller) -> Result<AccountView, AppError> {
    authorize(caller, Action::ReadOwnAccount, None)?;
    let p = caller.principal().ok_or(AppError::Unauthenticated)?;
    let mut conn = app.db.read().await?;
    let a = store::by_id(&mut conn, &p.account_id)
        .await?
        .ok_or_else(|| AppError::NotFound(p.account_id.clone()))?;
    Ok(view(&a, &p.roles))
}

/// Checks `input` and pairs it with an already computed password hash (used when many
/// accounts share one known password, as the demo accounts do).
pub fn prepare_with_hash(
    app: &App,
    input: &NewAccount,
    password_hash: &str,
) -> Result<CheckedAccount, AppError> {
    let (mut account, roles) = check_new_account(app, input)?;
    account.password_hash = password_hash.to_owned();
    Ok(CheckedAccount { account, roles })
}

/// Self-registration of a citizen from the portal: the account is always a citizen account
/// without roles, whatever the input says.
pub async fn register_citizen(
    app: &App,
    caller: &Caller,
    ctx: &AuditCtx,
    input: &NewAccount,
) -> Result<AccountView, AppError> {
    authorize(caller, Action::RegisterCitizen, None)?;
    let input = NewAccount {
        kind: Some(AccountKind::Citizen),
        roles: Vec::new(),
        agency_code: None,
        tax_code: None,
        ..input.clone()
    };
    let checked = prepare(app, &input).await?;
    let mut tx = app.db.write().await?;
    let view = insert_prepared(tx.conn(), app, ctx, &checked).await?;
    tx.commit().await?;
    Ok(view)
}
