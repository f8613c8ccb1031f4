//! The procedure catalog: import, versions, round trips, the search index.

use super::*;

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
