//! Accounts, login throttling, sessions, tokens and the audit chain.

use super::*;

async fn creates_accounts_with_an_audit_row_and_refuses_duplicates(t: TestApp) {
    let ctx = AuditCtx::cli();
    let before = t.count("audit_log").await;
    let v = accounts::create(&t.app, None, &ctx, &citizen("lan", "092195001111"))
        .await
        .unwrap();
    assert_eq!(v.kind, AccountKind::Citizen);
    assert_eq!(
        t.count("audit_log").await,
        before + 1,
        "one audit row in the same transaction"
    );
    let dup = accounts::create(&t.app, None, &ctx, &citizen("LAN", "092195002222")).await;
    assert!(matches!(dup, Err(AppError::Conflict(_))), "{dup:?}");
    let dup_cccd = accounts::create(&t.app, None, &ctx, &citizen("lan2", "092195001111")).await;
    assert!(
        matches!(dup_cccd, Err(AppError::Conflict(_))),
        "{dup_cccd:?}"
    );
    assert_eq!(
        t.count("audit_log").await,
        before + 1,
        "a refused creation leaves no audit row"
    );
    assert_eq!(t.count("accounts").await, 1);
}
on_both_engines!(creates_accounts_with_an_audit_row_and_refuses_duplicates);

async fn invalid_fields_each_get_a_vietnamese_message(t: TestApp) {
    let input = NewAccount {
        username: "ab".into(),
        kind: Some(AccountKind::Citizen),
        full_name: "  ".into(),
        password: "short".into(),
        cccd: Some("003195001111".into()),
        tax_code: Some("0100109107".into()),
        email: Some("khong-hop-le".into()),
        phone: Some("12345".into()),
        ..NewAccount::default()
    };
    let Err(AppError::Validation(errors)) =
        accounts::create(&t.app, None, &AuditCtx::cli(), &input).await
    else {
        panic!("validation expected");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "username",
            "full_name",
            "password",
            "cccd",
            "tax_code",
            "email",
            "phone"
        ]
    );
    let cccd = errors.iter().find(|e| e.field == "cccd").unwrap();
    assert!(cccd.vi.contains("mã tỉnh"), "{}", cccd.vi);
    let phone = errors.iter().find(|e| e.field == "phone").unwrap();
    assert!(
        phone.vi.starts_with("Số điện thoại không hợp lệ"),
        "{}",
        phone.vi
    );
    assert!(phone.en.starts_with("Invalid phone number"));
    assert_eq!(t.count("accounts").await, 0);
    assert_eq!(t.count("audit_log").await, 0);
}
on_both_engines!(invalid_fields_each_get_a_vietnamese_message);

async fn login_locks_after_repeated_failures_and_unlocks_later(t: TestApp) {
    let ctx = AuditCtx::cli();
    accounts::create(&t.app, None, &ctx, &citizen("minh", "092195003333"))
        .await
        .unwrap();
    let ok = accounts::authenticate(&t.app, &ctx, "Minh", "mat-khau-du-dai")
        .await
        .unwrap();
    assert_eq!(ok.username, "minh");
    assert!(matches!(
        accounts::authenticate(&t.app, &ctx, "nobody", "x").await,
        Err(AppError::Unauthenticated)
    ));
    for _ in 0..5 {
        assert!(matches!(
            accounts::authenticate(&t.app, &ctx, "minh", "wrong-password").await,
            Err(AppError::Unauthenticated)
        ));
    }
    let locked = accounts::authenticate(&t.app, &ctx, "minh", "mat-khau-du-dai").await;
    assert!(
        matches!(locked, Err(AppError::RateLimited { retry_after_secs }) if retry_after_secs > 0 && retry_after_secs <= 900),
        "{locked:?}"
    );
    t.clock.advance(SignedDuration::from_mins(16));
    assert!(
        accounts::authenticate(&t.app, &ctx, "minh", "mat-khau-du-dai")
            .await
            .is_ok()
    );
}
on_both_engines!(login_locks_after_repeated_failures_and_unlocks_later);

async fn sessions_and_tokens_expire_and_logout_is_server_side(t: TestApp) {
    let ctx = AuditCtx::cli();
    accounts::create(&t.app, None, &ctx, &citizen("hoa", "092195004444"))
        .await
        .unwrap();
    let p = accounts::authenticate(&t.app, &ctx, "hoa", "mat-khau-du-dai")
        .await
        .unwrap();
    let first = accounts::open_session(&t.app, &ctx, &p, None)
        .await
        .unwrap();
    let (who, csrf) = accounts::resolve_session(&t.app, &first.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(who.username, "hoa");
    assert_eq!(csrf, first.csrf_token);
    // Logging in again from the same browser replaces the session: the old id stops working.
    let second = accounts::open_session(&t.app, &ctx, &p, Some(&first.token))
        .await
        .unwrap();
    assert_ne!(first.token, second.token);
    assert!(
        accounts::resolve_session(&t.app, &first.token)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        accounts::resolve_session(&t.app, &second.token)
            .await
            .unwrap()
            .is_some(),
        "resolved once, so cached"
    );
    accounts::close_session(&t.app, &ctx, &second.token)
        .await
        .unwrap();
    assert!(
        accounts::resolve_session(&t.app, &second.token)
            .await
            .unwrap()
            .is_none()
    );
    let third = accounts::open_session(&t.app, &ctx, &p, None)
        .await
        .unwrap();
    t.clock.advance(SignedDuration::from_mins(31));
    assert!(
        accounts::resolve_session(&t.app, &third.token)
            .await
            .unwrap()
            .is_none(),
        "idle session expired"
    );
    let token = accounts::issue_token(&t.app, &ctx, &p).await.unwrap();
    assert!(token.access_token.starts_with("lt_"));
    assert!(
        accounts::resolve_token(&t.app, &token.access_token)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        accounts::resolve_token(&t.app, "lt_forged")
            .await
            .unwrap()
            .is_none()
    );
    t.clock.advance(SignedDuration::from_secs(3601));
    assert!(
        accounts::resolve_token(&t.app, &token.access_token)
            .await
            .unwrap()
            .is_none(),
        "token expired"
    );
    use sqlx::Row;
    let stored: String = sqlx::query("SELECT token_hash FROM api_tokens")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap()
        .get(0);
    assert_ne!(stored, token.access_token, "tokens are stored hashed");
}
on_both_engines!(sessions_and_tokens_expire_and_logout_is_server_side);

async fn a_token_carries_every_role_and_stops_with_a_disabled_account(t: TestApp) {
    use lienthong_domain::role::Role;
    let ctx = AuditCtx::cli();
    accounts::create(&t.app, None, &ctx, &citizen("lan", "092195005555"))
        .await
        .unwrap();
    let p = accounts::authenticate(&t.app, &ctx, "lan", "mat-khau-du-dai")
        .await
        .unwrap();
    assert!(p.roles.is_empty(), "no roles: {:?}", p.roles);
    let token = accounts::issue_token(&t.app, &ctx, &p).await.unwrap();
    let session = accounts::open_session(&t.app, &ctx, &p, None)
        .await
        .unwrap();
    let id = p.account_id.clone();
    for (role, agency) in [
        ("leader", "000.00.05.H13"),
        ("reception", "000.00.04.H13"),
        ("specialist", "000.00.04.H13"),
    ] {
        sqlx::query(
            "INSERT INTO account_roles (account_id, role, agency_code) VALUES ($1, $2, $3)",
        )
        .bind(&id)
        .bind(role)
        .bind(agency)
        .execute(t.app.db.pool())
        .await
        .unwrap();
    }
    let by_token = accounts::resolve_token(&t.app, &token.access_token)
        .await
        .unwrap()
        .unwrap();
    let grants: Vec<(Role, &str)> = by_token
        .roles
        .iter()
        .map(|g| (g.role, g.agency_code.as_str()))
        .collect();
    assert_eq!(
        grants,
        [
            (Role::Reception, "000.00.04.H13"),
            (Role::Specialist, "000.00.04.H13"),
            (Role::Leader, "000.00.05.H13"),
        ],
        "every role, ordered by agency then role"
    );
    let (by_session, _) = accounts::resolve_session(&t.app, &session.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_session, by_token);
    // Disabled outside the application (no instance drops its cache): the resolutions read
    // before stay in use for at most the cache's lifetime.
    sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE id = $2")
        .bind(1_i64)
        .bind(&id)
        .execute(t.app.db.pool())
        .await
        .unwrap();
    assert!(
        accounts::resolve_token(&t.app, &token.access_token)
            .await
            .unwrap()
            .is_some(),
        "within the cache's lifetime"
    );
    t.clock.advance(SignedDuration::from_micros(
        lienthong_app::caches::PRINCIPAL_TTL_US,
    ));
    assert!(
        accounts::resolve_token(&t.app, &token.access_token)
            .await
            .unwrap()
            .is_none(),
        "a disabled account's token no longer works"
    );
    assert!(
        accounts::resolve_session(&t.app, &session.token)
            .await
            .unwrap()
            .is_none(),
        "nor its session"
    );
}
on_both_engines!(a_token_carries_every_role_and_stops_with_a_disabled_account);

async fn audit_verify_names_the_first_broken_link(t: TestApp) {
    write_rows(&t, 5).await;
    let ok = audit::verify(&t.app).await.unwrap();
    assert_eq!(
        ok,
        audit::VerifyReport {
            checked: 5,
            broken: None
        }
    );

    t.raw("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3")
        .await;
    assert_eq!(
        audit::verify(&t.app).await.unwrap().broken,
        Some(ChainBreak::Content { seq: 3 })
    );
    t.raw("UPDATE audit_log SET actor = 'cli' WHERE seq = 3")
        .await;
    assert_eq!(audit::verify(&t.app).await.unwrap().broken, None);

    // Reorder: swap the contents of rows 2 and 4 by renumbering them.
    t.raw("UPDATE audit_log SET seq = -2 WHERE seq = 2").await;
    t.raw("UPDATE audit_log SET seq = 2 WHERE seq = 4").await;
    t.raw("UPDATE audit_log SET seq = 4 WHERE seq = -2").await;
    assert_eq!(
        audit::verify(&t.app).await.unwrap().broken,
        Some(ChainBreak::Link { seq: 2 })
    );
    t.raw("UPDATE audit_log SET seq = -2 WHERE seq = 2").await;
    t.raw("UPDATE audit_log SET seq = 2 WHERE seq = 4").await;
    t.raw("UPDATE audit_log SET seq = 4 WHERE seq = -2").await;
    assert_eq!(audit::verify(&t.app).await.unwrap().broken, None);

    t.raw("DELETE FROM audit_log WHERE seq = 5").await;
    assert_eq!(
        audit::verify(&t.app).await.unwrap().broken,
        Some(ChainBreak::Truncated { last: 4, head: 5 })
    );
    t.raw("DELETE FROM audit_log WHERE seq = 2").await;
    assert_eq!(
        audit::verify(&t.app).await.unwrap().broken,
        Some(ChainBreak::Sequence {
            expected: 2,
            found: 3
        })
    );
}
on_both_engines!(audit_verify_names_the_first_broken_link);

async fn concurrent_writers_keep_the_chain_intact(t: TestApp) {
    let mut tasks = Vec::new();
    for i in 0..16 {
        let app = t.app.clone();
        tasks.push(tokio::spawn(async move {
            let mut input = citizen(&format!("par{i}"), &format!("0921950{:05}", 20000 + i));
            input.email = None;
            accounts::create(&app, None, &AuditCtx::cli(), &input)
                .await
                .unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        audit::verify(&t.app).await.unwrap(),
        audit::VerifyReport {
            checked: 16,
            broken: None
        }
    );
}
on_both_engines!(concurrent_writers_keep_the_chain_intact);
