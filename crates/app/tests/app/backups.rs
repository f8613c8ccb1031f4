//! Backups taken while the platform holds data, restored into a fresh database and file
//! store: every dossier, every file (by hash), the audit chain and the report aggregates come
//! back; corrupt backups and non-empty targets are refused — on both engines.

use std::sync::Arc;

use lienthong_app::{
    App, AppError, AuthSettings, audit, audit::AuditCtx, backup, demo, dossiers, generator, reports,
};
use lienthong_domain::clock::ManualClock;
use lienthong_store::{Db, reports as rstore};
use sha2::{Digest, Sha256};

use super::{lltp, login};
use crate::{
    common::{Engine, TestApp, fresh_pg_url, start_instant},
    on_both_engines,
};

async fn all_dossiers(app: &App) -> Vec<lienthong_store::dossiers::DossierRow> {
    let mut conn = app.db.read().await.unwrap();
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let page = rstore::dossiers_after(&mut conn, &after, 1000)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        out.extend(page);
    }
    out
}

async fn a_backup_restores_every_dossier_file_and_audit_row(t: TestApp) {
    demo::ensure_demo(&t.app).await.unwrap();
    let citizen = login(&t, "citizen1").await;
    dossiers::submit(&t.app, &citizen, &AuditCtx::cli(), lltp(&t, None).await)
        .await
        .unwrap();
    generator::generate(
        &t.app,
        &generator::Options {
            dossiers: 300,
            seed: 9,
            years: 1,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("backup");
    let m = backup::backup(&t.app, &t.url, &b).await.unwrap();
    assert!(m.files >= 2, "{m:?}");
    assert!(
        matches!(
            backup::backup(&t.app, &t.url, &b).await,
            Err(AppError::Conflict(_))
        ),
        "a second backup into the same directory is refused"
    );
    // A fresh database and file store.
    let target_url = match t.url.starts_with("sqlite") {
        true => format!("sqlite://{}", dir.path().join("restored.db").display()),
        false => fresh_pg_url().await.unwrap(),
    };
    backup::restore_database(&b, &target_url).await.unwrap();
    let db = Db::connect(&target_url).await.unwrap();
    db.migrate().await.unwrap();
    let restored = App::new(
        db,
        Arc::new(ManualClock::new(start_instant())),
        AuthSettings::default(),
        dir.path().join("restored-files"),
    );
    assert_eq!(backup::restore_files(&restored, &b).await.unwrap(), m.files);
    let (before, after) = (all_dossiers(&t.app).await, all_dossiers(&restored).await);
    assert_eq!(before.len(), 301);
    assert_eq!(before, after, "every dossier comes back unchanged");
    for d in &before {
        for f in lienthong_store::dossiers::files(&mut restored.db.read().await.unwrap(), &d.id)
            .await
            .unwrap()
        {
            let bytes = restored.blobs.read(&f.sha256).await.unwrap();
            assert_eq!(hex::encode(Sha256::digest(&bytes)), f.sha256);
        }
    }
    let (a, b2) = (
        audit::verify(&t.app).await.unwrap(),
        audit::verify(&restored).await.unwrap(),
    );
    assert!(b2.broken.is_none());
    assert_eq!(a.checked, b2.checked);
    assert_eq!(reports::verify(&restored).await.unwrap().1, vec![]);
    // The same backup into a target that has data: refused.
    assert!(backup::restore_database(&b, &target_url).await.is_err());
    // A file changed in the backup: refused with its hash.
    let victim = before
        .iter()
        .find_map(|d| d.applicant_account_id.as_ref().map(|_| d.id.clone()))
        .unwrap();
    let files = lienthong_store::dossiers::files(&mut t.app.db.read().await.unwrap(), &victim)
        .await
        .unwrap();
    let sha = &files[0].sha256;
    let path = lienthong_app::blobs::BlobStore::new(b.join("files")).path(sha);
    std::fs::write(&path, b"tampered").unwrap();
    let other = App::new(
        restored.db.clone(),
        Arc::new(ManualClock::new(start_instant())),
        AuthSettings::default(),
        dir.path().join("other-files"),
    );
    let Err(AppError::Internal(msg)) = backup::restore_files(&other, &b).await else {
        panic!("a corrupt file must be refused");
    };
    assert!(msg.contains(sha.as_str()), "{msg}");
    // A changed database file: refused before anything is written.
    std::fs::write(b.join(&m.database_file), b"not a database").unwrap();
    assert!(backup::read_manifest(&b).is_err());
    let _ = Engine::Sqlite;
}
on_both_engines!(a_backup_restores_every_dossier_file_and_audit_row);
