//! Use cases on a real database: SQLite always, PostgreSQL when configured.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on unexpected results"
)]

#[cfg(test)]
mod common;

use jiff::{SignedDuration, civil::date};
use lienthong_app::{
    AppError,
    accounts::{self, NewAccount},
    audit::{self, AuditCtx},
    authz::Caller,
    demo, org, refdata,
};
use lienthong_domain::{
    audit::ChainBreak,
    org::{AgencyLevel, SuccessionKind, UnitLevel, Validity},
    role::{AccountKind, Role},
};
use lienthong_store::org as store_org;

use common::TestApp;

fn citizen(username: &str, cccd: &str) -> NewAccount {
    NewAccount {
        username: username.into(),
        kind: Some(AccountKind::Citizen),
        full_name: "Nguyễn Thị Lan".into(),
        password: "mat-khau-du-dai".into(),
        cccd: Some(cccd.into()),
        email: Some("lan@example.vn".into()),
        phone: Some("0912 345 678".into()),
        ..NewAccount::default()
    }
}

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

async fn write_rows(t: &TestApp, n: usize) {
    for i in 0..n {
        let mut input = citizen(&format!("user{i}"), &format!("0921950{:05}", 10000 + i));
        input.email = None;
        input.phone = None;
        accounts::create(&t.app, None, &AuditCtx::cli(), &input)
            .await
            .unwrap();
    }
}

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

async fn malformed_csv_reports_position_and_imports_nothing(t: TestApp) {
    let ctx = AuditCtx::cli();
    let v = Validity {
        from: Some(date(2025, 7, 1)),
        to: None,
    };
    let csv = "commune_code,commune_name,commune_type,province_code,province_name\n\
               31135,Phường Ninh Kiều,Phường,92,Thành phố Cần Thơ\n\
               3112X,Phường Cái Khế,Phường,92,Thành phố Cần Thơ\n";
    let err = org::import_admin_units(&t.app, &ctx, "bad.csv", csv.as_bytes(), v)
        .await
        .unwrap_err();
    match err {
        AppError::Import {
            file,
            line,
            column,
            message,
        } => {
            assert_eq!((file.as_str(), line, column), ("bad.csv", 3, 1));
            assert!(message.contains("3112X"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let cases: [(&str, u64, u64); 4] = [
        ("wrong,header\n1,2\n", 1, 1),
        (
            "commune_code,commune_name,commune_type,province_code,province_name\n31135,,Phường,92,Cần Thơ\n",
            2,
            2,
        ),
        (
            "commune_code,commune_name,commune_type,province_code,province_name\n31135,A,Phường,92\n",
            2,
            1,
        ),
        (
            "commune_code,commune_name,commune_type,province_code,province_name\n31135,A,Xã,92,Cần Thơ\n31135,A,Xã,92,Cần Thơ\n",
            3,
            1,
        ),
    ];
    for (text, line, column) in cases {
        let e = org::import_admin_units(&t.app, &ctx, "x.csv", text.as_bytes(), v)
            .await
            .unwrap_err();
        assert!(
            matches!(e, AppError::Import { line: l, column: c, .. } if l == line && c == column),
            "{text}: {e:?}"
        );
    }
    let e = org::import_admin_units(&t.app, &ctx, "bin.csv", &[0xff, 0xfe, 0x00, 0x41], v)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Import { .. }), "{e:?}");
    assert_eq!(t.count("admin_units").await, 0, "nothing imported");
    assert_eq!(t.count("audit_log").await, 0);
    let good = "commune_code,commune_name,commune_type,province_code,province_name\n31135,Phường Ninh Kiều,Phường,92,Thành phố Cần Thơ\n";
    let s = org::import_admin_units(&t.app, &ctx, "good.csv", good.as_bytes(), v)
        .await
        .unwrap();
    assert_eq!((s.provinces, s.communes), (1, 1));
    let again = org::import_admin_units(&t.app, &ctx, "good.csv", good.as_bytes(), v).await;
    assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
    assert_eq!(t.count("admin_units").await, 2);
}
on_both_engines!(malformed_csv_reports_position_and_imports_nothing);

async fn official_lists_keep_both_generations_and_their_links(t: TestApp) {
    let s = refdata::ensure_admin_units(&t.app, &AuditCtx::cli())
        .await
        .unwrap();
    assert_eq!(
        (s.provinces, s.districts, s.communes),
        (63 + 34, 696, 10_047 + 3_321)
    );
    assert!(s.successions > 10_000, "{}", s.successions);
    let mut conn = t.app.db.read().await.unwrap();
    assert_eq!(
        store_org::count_units_at(&mut conn, date(2025, 7, 1))
            .await
            .unwrap(),
        (34, 0, 3_321)
    );
    assert_eq!(
        store_org::count_units_at(&mut conn, date(2025, 6, 30))
            .await
            .unwrap(),
        (63, 696, 10_047)
    );
    // Code 31120 names two different wards before and after the reform.
    let old = store_org::unit_at(&mut conn, UnitLevel::Commune, "31120", date(2025, 6, 30))
        .await
        .unwrap()
        .unwrap();
    let new = store_org::unit_at(&mut conn, UnitLevel::Commune, "31120", date(2025, 7, 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (old.name.as_str(), new.name.as_str()),
        ("Phường An Hòa", "Phường Cái Khế")
    );
    let preds = store_org::unit_predecessors(&mut conn, &new.id)
        .await
        .unwrap();
    let names: Vec<(&str, SuccessionKind)> =
        preds.iter().map(|(u, k)| (u.name.as_str(), *k)).collect();
    assert!(
        names.contains(&("Phường An Hòa", SuccessionKind::Full)),
        "{names:?}"
    );
    assert!(
        names.contains(&("Phường Bùi Hữu Nghĩa", SuccessionKind::Partial)),
        "{names:?}"
    );
    // Cần Thơ absorbed Hậu Giang and Sóc Trăng.
    let city = store_org::unit_at(&mut conn, UnitLevel::Province, "92", date(2025, 7, 1))
        .await
        .unwrap()
        .unwrap();
    let mut absorbed: Vec<String> = store_org::unit_predecessors(&mut conn, &city.id)
        .await
        .unwrap()
        .into_iter()
        .map(|(u, _)| u.code)
        .collect();
    absorbed.sort();
    assert_eq!(absorbed, ["92", "93", "94"]);
    // An island district became a special zone.
    let zone = store_org::unit_at(&mut conn, UnitLevel::Commune, "26732", date(2025, 7, 1))
        .await
        .unwrap()
        .unwrap();
    let from = store_org::unit_predecessors(&mut conn, &zone.id)
        .await
        .unwrap();
    assert_eq!(
        from.first().map(|(u, _)| (u.level, u.name.as_str())),
        Some((UnitLevel::District, "Huyện Côn Đảo"))
    );
    drop(conn);
    let again = refdata::ensure_admin_units(&t.app, &AuditCtx::cli())
        .await
        .unwrap();
    assert_eq!(
        again,
        org::ImportSummary::default(),
        "second import is a no-op"
    );
}
on_both_engines!(official_lists_keep_both_generations_and_their_links);

async fn renames_and_merges_never_rewrite_history(t: TestApp) {
    let ctx = AuditCtx::cli();
    let new = |code: &str, name: &str| org::NewAgency {
        code: code.into(),
        name: name.into(),
        short_name: "S".into(),
        level: AgencyLevel::Province,
        kind: "department".into(),
        parent_code: None,
        admin_unit_code: Some("92".into()),
        validity: Validity {
            from: Some(date(2020, 1, 1)),
            to: None,
        },
    };
    let transport = org::create_agency(
        &t.app,
        None,
        &ctx,
        &new("000.00.16.H13", "Sở Giao thông vận tải"),
    )
    .await
    .unwrap();
    let construction = org::create_agency(&t.app, None, &ctx, &new("000.00.05.H13", "Sở Xây dựng"))
        .await
        .unwrap();
    let merged = org::reorganise_agency(
        &t.app,
        None,
        &ctx,
        "000.00.05.H13",
        Some("Sở Xây dựng (hợp nhất)"),
        None,
        &[org::MergeSource {
            code: "000.00.16.H13".into(),
            kind: SuccessionKind::Full,
        }],
        date(2025, 3, 1),
    )
    .await
    .unwrap();
    let mut conn = t.app.db.read().await.unwrap();
    // What a 2024 record points at still reads as it was.
    let then = store_org::agency_by_id(&mut conn, &transport.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(then.name, "Sở Giao thông vận tải");
    assert_eq!(then.valid_to, Some(date(2025, 3, 1)));
    let old_construction = store_org::agency_by_id(&mut conn, &construction.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old_construction.name, "Sở Xây dựng");
    assert_eq!(
        store_org::agency_at(&mut conn, "000.00.05.H13", date(2025, 2, 28))
            .await
            .unwrap()
            .unwrap()
            .name,
        "Sở Xây dựng"
    );
    assert_eq!(
        store_org::agency_at(&mut conn, "000.00.05.H13", date(2025, 3, 1))
            .await
            .unwrap()
            .unwrap()
            .name,
        "Sở Xây dựng (hợp nhất)"
    );
    assert!(
        store_org::agency_at(&mut conn, "000.00.16.H13", date(2025, 3, 1))
            .await
            .unwrap()
            .is_none()
    );
    let succ = store_org::agency_successors(&mut conn, &transport.id)
        .await
        .unwrap();
    assert_eq!(
        succ.iter()
            .map(|(a, k)| (a.id.clone(), *k))
            .collect::<Vec<_>>(),
        vec![(merged.id.clone(), SuccessionKind::Full)]
    );
    drop(conn);
    let twice = org::reorganise_agency(
        &t.app,
        None,
        &ctx,
        "000.00.16.H13",
        Some("X"),
        None,
        &[],
        date(2025, 4, 1),
    )
    .await;
    assert!(
        matches!(twice, Err(AppError::NotFound(_))),
        "a closed agency cannot be renamed: {twice:?}"
    );
}
on_both_engines!(renames_and_merges_never_rewrite_history);

async fn demo_province_is_created_once_with_every_role(t: TestApp) {
    let first = demo::ensure_demo(&t.app).await.unwrap();
    assert!(first.created);
    assert!(first.agencies >= 1 + 8 + 1 + 100, "{}", first.agencies);
    let accounts_after = t.count("accounts").await;
    let second = demo::ensure_demo(&t.app).await.unwrap();
    assert!(!second.created);
    assert_eq!(t.count("accounts").await, accounts_after, "idempotent");
    let ctx = AuditCtx::cli();
    for (user, kind) in [
        ("reception@000.00.20.H13", AccountKind::Official),
        ("leader@000.00.04.H13", AccountKind::Official),
        ("admin@000.00.00.H13", AccountKind::Official),
        ("clerk@135.31.90.H13", AccountKind::Official),
        ("citizen1", AccountKind::Citizen),
        ("citizen5", AccountKind::Citizen),
        ("business1", AccountKind::Organisation),
    ] {
        let p = accounts::authenticate(&t.app, &ctx, user, demo::DEMO_PASSWORD)
            .await
            .unwrap();
        assert_eq!(p.kind, kind, "{user}");
    }
    let mut conn = t.app.db.read().await.unwrap();
    let today = t.app.clock.today();
    let current = store_org::agencies_at(&mut conn, today, Some(demo::PROVINCE_AGENCY))
        .await
        .unwrap();
    let departments = current.iter().filter(|a| a.kind == "department").count();
    assert!(departments >= 8, "{departments}");
    assert!(current.iter().any(|a| a.kind == "service_centre"));
    let merged_away = store_org::agency_at(&mut conn, "000.00.14.H13", today)
        .await
        .unwrap();
    assert!(
        merged_away.is_none(),
        "Sở Kế hoạch và Đầu tư merged on 2025-03-01"
    );
    let history = store_org::agency_at(&mut conn, "000.00.14.H13", date(2024, 12, 31))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(history.name, "Sở Kế hoạch và Đầu tư thành phố Cần Thơ");
    drop(conn);
    // Agency admins act within their scope only.
    let dept_admin = Caller::Account(
        accounts::authenticate(&t.app, &ctx, "admin@000.00.04.H13", demo::DEMO_PASSWORD)
            .await
            .unwrap(),
    );
    let mut official = NewAccount {
        username: "specialist2@000.00.04.h13".into(),
        kind: Some(AccountKind::Official),
        full_name: "Chuyên viên mới".into(),
        password: "mat-khau-du-dai".into(),
        agency_code: Some("000.00.04.H13".into()),
        roles: vec![Role::Specialist],
        ..NewAccount::default()
    };
    accounts::create(&t.app, Some(&dept_admin), &ctx, &official)
        .await
        .unwrap();
    official.username = "specialist2@000.00.05.h13".into();
    official.agency_code = Some("000.00.05.H13".into());
    let other = accounts::create(&t.app, Some(&dept_admin), &ctx, &official).await;
    assert!(matches!(other, Err(AppError::Forbidden)), "{other:?}");
    let citizen = Caller::Account(
        accounts::authenticate(&t.app, &ctx, "citizen1", demo::DEMO_PASSWORD)
            .await
            .unwrap(),
    );
    assert!(matches!(
        accounts::create(&t.app, Some(&citizen), &ctx, &official).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        audit::recent(&t.app, &citizen, 10).await,
        Err(AppError::Forbidden)
    ));
    let auditor = Caller::Account(
        accounts::authenticate(&t.app, &ctx, "auditor@000.00.00.H13", demo::DEMO_PASSWORD)
            .await
            .unwrap(),
    );
    assert_eq!(audit::recent(&t.app, &auditor, 10).await.unwrap().len(), 10);
    assert_eq!(audit::verify(&t.app).await.unwrap().broken, None);
}
on_both_engines!(demo_province_is_created_once_with_every_role);

fn demo_catalog() -> Vec<lienthong_domain::catalog::Procedure> {
    demo::demo_procedures(&["135.31.90.H13".to_owned(), "120.31.90.H13".to_owned()]).unwrap()
}

async fn catalog_import_versions_and_round_trips(t: TestApp) {
    use lienthong_app::catalog;
    let ctx = AuditCtx::cli();
    let procedures = demo_catalog();
    assert!(procedures.len() >= 30);
    let fields: std::collections::HashSet<_> =
        procedures.iter().map(|p| p.field.code.clone()).collect();
    assert!(fields.len() >= 8);
    let first = catalog::import(&t.app, None, &ctx, "demo.json", &procedures)
        .await
        .unwrap();
    assert_eq!(
        (first.created, first.versioned, first.unchanged),
        (procedures.len(), 0, 0)
    );
    let again = catalog::import(&t.app, None, &ctx, "demo.json", &procedures)
        .await
        .unwrap();
    assert_eq!(again.unchanged, procedures.len());
    // A new version from a later day; the old one stays for dossiers submitted under it.
    let mut changed = procedures[0].clone();
    let old = catalog::procedure(&t.app, &changed.code, None)
        .await
        .unwrap();
    changed.name = format!("{} (sửa đổi)", changed.name);
    changed.valid_from = date(2026, 12, 1);
    let v = catalog::import(
        &t.app,
        None,
        &ctx,
        "edit.json",
        std::slice::from_ref(&changed),
    )
    .await
    .unwrap();
    assert_eq!(v.versioned, 1);
    let today = catalog::procedure(&t.app, &changed.code, None)
        .await
        .unwrap();
    assert_eq!(
        (today.id.as_str(), today.version),
        (old.id.as_str(), 1),
        "the old version is in force until 2026-12-01"
    );
    let later = catalog::procedure(&t.app, &changed.code, Some(date(2026, 12, 1)))
        .await
        .unwrap();
    assert_eq!(
        (later.version, later.procedure.name.as_str()),
        (2, changed.name.as_str())
    );
    assert_eq!(
        catalog::version_by_id(&t.app, &old.id)
            .await
            .unwrap()
            .procedure
            .name,
        procedures[0].name
    );
    let mut backdated = changed.clone();
    backdated.name = "Khác".into();
    backdated.valid_from = date(2026, 1, 1);
    let conflict = catalog::import(&t.app, None, &ctx, "edit.json", &[backdated]).await;
    assert!(
        matches!(conflict, Err(AppError::Conflict(_))),
        "{conflict:?}"
    );
    // A bad definition stops the whole import and names its path.
    let mut bad = procedures[1].clone();
    bad.code = "1-2".into();
    bad.fees.push(lienthong_domain::catalog::Fee {
        name: "x".into(),
        amount_vnd: -1,
        option: None,
    });
    let before = t.count("procedures").await;
    let Err(AppError::Validation(errors)) = catalog::import(
        &t.app,
        None,
        &ctx,
        "bad.json",
        &[procedures[2].clone(), bad],
    )
    .await
    else {
        panic!("validation expected");
    };
    let paths: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert!(
        paths.contains(&"bad.json[1].code") && paths.iter().any(|p| p.ends_with(".amount_vnd")),
        "{paths:?}"
    );
    assert_eq!(t.count("procedures").await, before);
    // JSON and CSV round trips lose nothing.
    let exported = catalog::export(&t.app).await.unwrap();
    let csv = catalog::to_csv(&exported).unwrap();
    assert_eq!(catalog::from_csv("x.csv", &csv).unwrap(), exported);
    let json = catalog::to_json(&exported).unwrap();
    assert_eq!(catalog::from_json("x.json", &json).unwrap(), exported);
    let broken = String::from_utf8(csv)
        .unwrap()
        .replacen("\"[{", "\"[{oops", 1);
    let e = catalog::from_csv("broken.csv", broken.as_bytes()).unwrap_err();
    assert!(matches!(e, AppError::Import { line: 2, .. }), "{e:?}");
}
on_both_engines!(catalog_import_versions_and_round_trips);

async fn the_search_index_follows_catalog_events(t: TestApp) {
    use lienthong_app::{catalog, events};
    let ctx = AuditCtx::cli();
    let procedures = demo_catalog();
    catalog::import(&t.app, None, &ctx, "demo.json", &procedures)
        .await
        .unwrap();
    assert_eq!(
        catalog::rebuild_index(&t.app).await.unwrap(),
        procedures.len()
    );
    assert_eq!(
        events::relay_once(&t.app).await.unwrap(),
        procedures.len(),
        "one event per created procedure"
    );
    let mut rx = t.app.events.subscribe();
    let mut renamed = procedures
        .iter()
        .find(|p| p.code == "1.001193")
        .unwrap()
        .clone();
    renamed.name = "Đăng ký khai sinh lưu động".into();
    renamed.valid_from = date(2026, 11, 1);
    catalog::import(&t.app, None, &ctx, "edit.json", &[renamed])
        .await
        .unwrap();
    assert_eq!(events::relay_once(&t.app).await.unwrap(), 1);
    let event = rx.recv().await.unwrap();
    assert_eq!(
        (event.topic.as_str(), event.key.as_str()),
        (events::PROCEDURE_CHANGED, "1.001193")
    );
    catalog::apply_event(&t.app, &event).await.unwrap();
    let q = catalog::search::Query {
        q: Some("luu dong".into()),
        ..Default::default()
    };
    let (hits, _) = t.app.search.search(&q, 0, 5);
    assert_eq!(hits.first().map(|h| h.code.as_str()), Some("1.001193"));
    assert_eq!(
        events::relay_once(&t.app).await.unwrap(),
        0,
        "relayed events are not sent twice"
    );
}
on_both_engines!(the_search_index_follows_catalog_events);

async fn stored(t: &TestApp, bytes: &[u8]) -> lienthong_app::blobs::StoredBlob {
    let mut w = t.app.blobs.writer(1024 * 1024).await.unwrap();
    w.write(bytes).await.unwrap();
    w.finish().await.unwrap().unwrap()
}

fn lltp_answers() -> serde_json::Map<String, serde_json::Value> {
    serde_json::json!({
        "applicant_name": "Nguyễn Văn An", "applicant_cccd": "092085001234", "applicant_phone": "0912 345 671",
        "applicant_address": {"province_code": "92", "commune_code": "31135", "detail": "12 Hòa Bình"},
        "form_number": "1", "birth_place": "Cần Thơ", "purpose": "Xin việc"
    })
    .as_object()
    .unwrap()
    .clone()
}

async fn lltp(t: &TestApp, key: Option<&str>) -> lienthong_app::dossiers::Submission {
    use lienthong_app::dossiers::{Submission, UploadedFile};
    let pdf = stored(t, b"%PDF-1.7\n1 0 obj\n").await;
    let jpg = stored(t, &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).await;
    Submission {
        procedure_code: "2.000488".into(),
        agency_code: "000.00.04.H13".into(),
        answers: lltp_answers(),
        files: vec![
            UploadedFile {
                slot: "to_khai".into(),
                file_name: "to-khai.pdf".into(),
                declared_type: Some("application/pdf".into()),
                blob: pdf,
            },
            UploadedFile {
                slot: "giay_to_tuy_than".into(),
                file_name: "cccd.jpg".into(),
                declared_type: None,
                blob: jpg,
            },
        ],
        idempotency_key: key.map(str::to_owned),
    }
}

async fn login(t: &TestApp, user: &str) -> Caller {
    Caller::Account(
        accounts::authenticate(&t.app, &AuditCtx::cli(), user, demo::DEMO_PASSWORD)
            .await
            .unwrap(),
    )
}

async fn dossiers_are_numbered_checked_and_shown_only_to_those_entitled(t: TestApp) {
    use lienthong_app::dossiers;
    demo::ensure_demo(&t.app).await.unwrap();
    let ctx = AuditCtx::cli();
    let citizen = login(&t, "citizen1").await;
    let (first, created) = dossiers::submit(&t.app, &citizen, &ctx, lltp(&t, Some("k-1")).await)
        .await
        .unwrap();
    assert!(created);
    assert_eq!(first.row.code, "000.00.04.H13-261120-0001");
    assert_eq!(first.status.dvcqg_code(), 1);
    assert_eq!(first.row.applicant_phone.as_deref(), Some("0912345671"));
    assert_eq!(first.files.len(), 2);
    let (again, created) = dossiers::submit(&t.app, &citizen, &ctx, lltp(&t, Some("k-1")).await)
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(
        again.row.code, first.row.code,
        "the same key never creates a second dossier"
    );
    let (second, _) = dossiers::submit(&t.app, &citizen, &ctx, lltp(&t, None).await)
        .await
        .unwrap();
    assert_eq!(second.row.code, "000.00.04.H13-261120-0002");

    // Bad answers, a missing slot, lying files and a wrong agency are all reported together.
    let mut bad = lltp(&t, None).await;
    bad.answers.insert("applicant_cccd".into(), "12".into());
    bad.agency_code = "000.00.05.H13".into();
    let text = stored(&t, b"<html><script>alert(1)</script>").await;
    let pdf = stored(&t, b"%PDF-1.4 fake").await;
    bad.files = vec![
        lienthong_app::dossiers::UploadedFile {
            slot: "to_khai".into(),
            file_name: "to-khai.pdf".into(),
            declared_type: None,
            blob: text,
        },
        lienthong_app::dossiers::UploadedFile {
            slot: "unknown_slot".into(),
            file_name: "x.pdf".into(),
            declared_type: None,
            blob: pdf.clone(),
        },
        lienthong_app::dossiers::UploadedFile {
            slot: "giay_to_tuy_than".into(),
            file_name: "anh.png".into(),
            declared_type: None,
            blob: pdf,
        },
    ];
    let Err(AppError::Validation(errors)) = dossiers::submit(&t.app, &citizen, &ctx, bad).await
    else {
        panic!("validation expected")
    };
    let mut fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "agency_code",
            "applicant_cccd",
            "giay_to_tuy_than",
            "to_khai",
            "unknown_slot"
        ]
    );
    let lying = errors
        .iter()
        .find(|e| e.field == "giay_to_tuy_than")
        .unwrap();
    assert!(lying.vi.contains("không khớp"), "{}", lying.vi);
    let mut missing = lltp(&t, None).await;
    missing.files.truncate(1);
    let Err(AppError::Validation(errors)) = dossiers::submit(&t.app, &citizen, &ctx, missing).await
    else {
        panic!()
    };
    assert_eq!(errors[0].field, "giay_to_tuy_than");
    assert!(errors[0].vi.starts_with("Cần đính kèm"));

    // Who may read it.
    let code = first.row.code.as_str();
    assert!(dossiers::get(&t.app, &citizen, code).await.is_ok());
    assert!(matches!(
        dossiers::get(&t.app, &Caller::Anonymous, code).await,
        Err(AppError::Unauthenticated)
    ));
    assert!(matches!(
        dossiers::get(&t.app, &login(&t, "citizen2").await, code).await,
        Err(AppError::NotFound(_))
    ));
    for (user, allowed) in [
        ("reception@000.00.04.H13", true),
        ("specialist@000.00.04.H13", true),
        ("leader@000.00.00.H13", true),
        ("auditor@000.00.00.H13", true),
        ("clerk@000.00.04.H13", false),
        ("reception@000.00.05.H13", false),
        ("admin@135.31.90.H13", false),
    ] {
        let got = dossiers::get(&t.app, &login(&t, user).await, code).await;
        assert_eq!(got.is_ok(), allowed, "{user}: {got:?}");
    }
    let official = login(&t, "reception@000.00.20.H13").await;
    assert!(matches!(
        dossiers::submit(&t.app, &official, &ctx, lltp(&t, None).await).await,
        Err(AppError::Forbidden)
    ));

    // Public tracking needs the phone's last four digits.
    let tr = dossiers::track(&t.app, code, "5671").await.unwrap();
    assert_eq!(tr.timeline.len(), 1);
    for wrong in ["0000", "567", "", "15671"] {
        assert!(
            dossiers::track(&t.app, code, wrong).await.is_err(),
            "{wrong}"
        );
    }
    assert!(matches!(
        dossiers::track(&t.app, "000.00.04.H13-261120-9999", "5671").await,
        Err(AppError::NotFound(_))
    ));
    assert_eq!(dossiers::mine(&t.app, &citizen).await.unwrap().len(), 2);
    assert_eq!(audit::verify(&t.app).await.unwrap().broken, None);
}
on_both_engines!(dossiers_are_numbered_checked_and_shown_only_to_those_entitled);

async fn concurrent_submissions_get_distinct_consecutive_codes(t: TestApp) {
    use lienthong_app::dossiers;
    demo::ensure_demo(&t.app).await.unwrap();
    let citizen = login(&t, "citizen3").await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let app = t.app.clone();
        let citizen = citizen.clone();
        let submission = lltp(&t, None).await;
        tasks.push(tokio::spawn(async move {
            dossiers::submit(&app, &citizen, &AuditCtx::cli(), submission)
                .await
                .unwrap()
                .0
                .row
                .code
        }));
    }
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(task.await.unwrap());
    }
    codes.sort();
    let expected: Vec<String> = (1..=20)
        .map(|n| format!("000.00.04.H13-261120-{n:04}"))
        .collect();
    assert_eq!(codes, expected);
}
on_both_engines!(concurrent_submissions_get_distinct_consecutive_codes);

/// A real SMTP server (aiosmtpd, PyPI) writing what it receives into a Maildir.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_server() -> Option<SmtpServer> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir.path().join("inbox"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let mut server = match child {
        Ok(c) => SmtpServer {
            child: c,
            port,
            maildir,
        },
        Err(e) => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must provide python3 with aiosmtpd: {e}"
            );
            eprintln!("SKIPPED: python3 is not available to run aiosmtpd");
            return None;
        }
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(server);
        }
        if let Ok(Some(_)) = server.child.try_wait() {
            assert!(
                std::env::var("CI").is_err(),
                "CI must provide aiosmtpd (pip install aiosmtpd)"
            );
            eprintln!("SKIPPED: aiosmtpd is not installed (pip install aiosmtpd)");
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    server.child.kill().ok();
    None
}

/// Decodes quoted-printable text (soft line breaks and `=XX` bytes).
fn unquote(s: &str) -> String {
    let joined = s.replace("=\r\n", "").replace("=\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'=' && i + 2 < b.len())
            .then(|| {
                std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .flatten();
        if let Some(v) = hex {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn delivered(maildir: &std::path::Path) -> Vec<String> {
    let dir = maildir.join("inbox").join("new");
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .map(|m| unquote(&m))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_applicant_gets_one_acknowledgement_email_through_smtp() {
    use lienthong_app::{dossiers, events, notify};
    let Some(smtp) = smtp_server() else { return };
    let t = common::TestApp::new(common::Engine::Sqlite).await.unwrap();
    demo::ensure_demo(&t.app).await.unwrap();
    events::relay_once(&t.app).await.unwrap();
    let citizen = login(&t, "citizen1").await;
    let mut submission = lltp(&t, None).await;
    submission
        .answers
        .insert("applicant_email".into(), "an.nguyen@example.vn".into());
    let mut rx = t.app.events.subscribe();
    let (view, _) = dossiers::submit(&t.app, &citizen, &AuditCtx::cli(), submission)
        .await
        .unwrap();
    events::relay_once(&t.app).await.unwrap();
    let event = rx.recv().await.unwrap();
    assert_eq!(event.topic, "dossier.submitted");
    let mailer = notify::Mailer::smtp(
        &format!("smtp://127.0.0.1:{}", smtp.port),
        "Dịch vụ công <no-reply@cantho.example.vn>",
    )
    .unwrap();
    let notifier = notify::Notifier::new(t.app.clone(), mailer, "https://dichvucong.example.vn");
    notifier.handle(&event).await.unwrap();
    notifier.handle(&event).await.unwrap();
    let mails = delivered(smtp.maildir.path());
    assert_eq!(
        mails.len(),
        1,
        "one e-mail for one event, even when handled twice"
    );
    let mail = &mails[0];
    assert!(mail.contains("To: an.nguyen@example.vn"), "{mail}");
    assert!(
        mail.contains(&format!("Mã hồ sơ: {}", view.row.code)),
        "{mail}"
    );
    assert!(
        mail.contains("Cấp Phiếu lý lịch tư pháp"),
        "Vietnamese text arrives intact: {mail}"
    );
    assert!(mail.contains(&format!(
        "https://dichvucong.example.vn/track?code={}",
        view.row.code
    )));
    let mut conn = t.app.db.read().await.unwrap();
    let log = lienthong_store::notifications::for_dossier(&mut conn, &view.row.code)
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].status.as_str(), log[0].attempts), ("sent", 1));
    drop(conn);
    // With the relay down, the failure is logged and retried later.
    let down = notify::Notifier::new(
        t.app.clone(),
        notify::Mailer::smtp("smtp://127.0.0.1:1", "a@b.vn").unwrap(),
        "https://x.vn",
    );
    let mut second = lltp(&t, None).await;
    second
        .answers
        .insert("applicant_email".into(), "an.nguyen@example.vn".into());
    let (v2, _) = dossiers::submit(&t.app, &citizen, &AuditCtx::cli(), second)
        .await
        .unwrap();
    events::relay_once(&t.app).await.unwrap();
    let e2 = rx.recv().await.unwrap();
    down.handle(&e2).await.unwrap();
    let mut conn = t.app.db.read().await.unwrap();
    let failed = lienthong_store::notifications::for_dossier(&mut conn, &v2.row.code)
        .await
        .unwrap();
    assert_eq!(failed[0].status, "failed");
    assert!(failed[0].last_error.is_some());
    drop(conn);
    assert_eq!(notifier.retry_due().await.unwrap(), 1);
    assert_eq!(
        delivered(smtp.maildir.path()).len(),
        2,
        "the retry delivered it"
    );
}

async fn drafts_resume_anywhere_and_send_only_once(t: TestApp) {
    use lienthong_app::{dossiers::UploadedFile, drafts};
    demo::ensure_demo(&t.app).await.unwrap();
    let citizen = login(&t, "citizen4").await;
    let draft = drafts::start(&t.app, &citizen, "2.000488").await.unwrap();
    // Another device (a new login) resumes the same draft.
    let elsewhere = login(&t, "citizen4").await;
    let mut resumed = drafts::start(&t.app, &elsewhere, "2.000488").await.unwrap();
    assert_eq!(resumed.id, draft.id);
    drafts::save(&t.app, &elsewhere, &mut resumed, lltp_answers(), "files")
        .await
        .unwrap();
    let procedure = lienthong_app::catalog::procedure(&t.app, "2.000488", None)
        .await
        .unwrap()
        .procedure;
    for slot in ["to_khai", "giay_to_tuy_than"] {
        let blob = stored(&t, b"%PDF-1.7 draft file").await;
        let file = UploadedFile {
            slot: slot.into(),
            file_name: format!("{slot}.pdf"),
            declared_type: None,
            blob,
        };
        drafts::add_file(&t.app, &elsewhere, &mut resumed, &procedure, file)
            .await
            .unwrap();
    }
    let lying = UploadedFile {
        slot: "to_khai".into(),
        file_name: "x.png".into(),
        declared_type: None,
        blob: stored(&t, b"%PDF-1.7 x").await,
    };
    assert!(matches!(
        drafts::add_file(&t.app, &elsewhere, &mut resumed, &procedure, lying).await,
        Err(AppError::Validation(_))
    ));
    assert!(matches!(
        drafts::load(&t.app, &login(&t, "citizen5").await, &draft.id).await,
        Err(AppError::NotFound(_))
    ));
    let sent = drafts::submit(&t.app, &citizen, &AuditCtx::cli(), &draft.id)
        .await
        .unwrap();
    assert!(sent.row.code.starts_with("000.00.04.H13-"));
    // A second click finds no draft; the dossier exists once, keyed by the draft.
    assert!(matches!(
        drafts::submit(&t.app, &citizen, &AuditCtx::cli(), &draft.id).await,
        Err(AppError::NotFound(_))
    ));
    let mine = lienthong_app::dossiers::mine(&t.app, &citizen)
        .await
        .unwrap();
    let key = format!("draft:{}", draft.id);
    assert_eq!(
        mine.iter()
            .filter(|d| d.row.idempotency_key.as_deref() == Some(key.as_str()))
            .count(),
        1
    );
}
on_both_engines!(drafts_resume_anywhere_and_send_only_once);
