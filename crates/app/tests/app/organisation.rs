//! Administrative units, their import and history, agencies, the demo province.

use super::*;

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
    // An agency code that names no agency is a mistake in a field, not a missing page.
    official.username = "specialist3@000.00.04.h13".into();
    official.agency_code = Some("000.00.99.H99".into());
    let unknown = accounts::create(&t.app, Some(&dept_admin), &ctx, &official).await;
    let Err(AppError::Validation(errors)) = unknown else {
        panic!("a validation error expected, got {unknown:?}");
    };
    assert_eq!(
        errors.first().map(|e| e.field.as_str()),
        Some("agency_code")
    );
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
