//! Documents issued after the decision, and reads under load: a job that cannot be produced
//! waits and is retried; many simultaneous views never starve the connection pool — on both
//! engines.

use jiff::SignedDuration;
use lienthong_app::{
    AppError, dossiers,
    processing::{issuer, registers},
};

use super::{
    login,
    processing::{SOTP, submitted},
};
use crate::{common::TestApp, on_both_engines};

/// A document the issuer cannot produce (here a damaged job) stays in the backlog, marked as
/// failing, and is tried again only after a wait that doubles; the dossier is untouched.
async fn a_document_that_cannot_be_produced_waits_and_is_tried_again_later(t: TestApp) {
    use lienthong_store::document_jobs::{self, DocumentJob};
    let (citizen, code) = submitted(&t).await;
    let before = dossiers::get(&t.app, &citizen, &code).await.unwrap();
    let now = t.app.now_us();
    let job = DocumentJob {
        id: "0193f000-0000-7000-8000-000000000001".into(),
        dossier_id: before.row.id.clone(),
        kind: "refusal".into(),
        file_name: "refusal.pdf".into(),
        spec: "{\"source\":{\"type\":\"layout\",\"notice\":\"\\u0000\"}".into(),
        created_at: now,
        created_by: "system".into(),
        attempts: 0,
        next_at: now,
        last_error: None,
    };
    let mut tx = t.app.db.write().await.unwrap();
    document_jobs::enqueue(tx.conn(), &job).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(issuer::issue_due(&t.app).await.unwrap(), 1);
    assert_eq!(issuer::backlog(&t.app).await.unwrap(), (1, 1));
    // Not again at once: the first wait is one second, the next two.
    assert_eq!(issuer::issue_due(&t.app).await.unwrap(), 0);
    t.clock.advance(SignedDuration::from_millis(1_100));
    assert_eq!(issuer::issue_due(&t.app).await.unwrap(), 1);
    t.clock.advance(SignedDuration::from_millis(1_100));
    assert_eq!(issuer::issue_due(&t.app).await.unwrap(), 0);
    t.clock.advance(SignedDuration::from_millis(1_000));
    assert_eq!(issuer::issue_due(&t.app).await.unwrap(), 1);
    let waiting = {
        let mut conn = t.app.db.reader().await.unwrap();
        document_jobs::due(&mut conn, i64::MAX, 10).await.unwrap()
    };
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].attempts, 3);
    assert!(waiting[0].last_error.is_some());
    let after = dossiers::get(&t.app, &citizen, &code).await.unwrap();
    assert_eq!(
        (after.row.version, after.documents.len()),
        (before.row.version, 0)
    );
    // Asking for the document says it is on its way.
    assert!(matches!(
        registers::document(&t.app, &citizen, &code, "refusal").await,
        Err(AppError::NotNow { .. })
    ));
}
on_both_engines!(a_document_that_cannot_be_produced_waits_and_is_tried_again_later);

/// More simultaneous reads than the database pool has connections, on a cold cache of agency
/// lineages: no read holds a connection while it waits for another, so all of them answer.
async fn many_simultaneous_views_on_a_cold_cache_all_answer(t: TestApp) {
    let (citizen, code) = submitted(&t).await;
    let desk = login(&t, &format!("reception@{SOTP}")).await;
    t.app.caches.drop_lineages();
    let mut tasks = Vec::new();
    for i in 0..48 {
        let app = t.app.clone();
        let who = if i % 2 == 0 {
            desk.clone()
        } else {
            citizen.clone()
        };
        let code = code.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::timeout(
                std::time::Duration::from_secs(10),
                dossiers::get(&app, &who, &code),
            )
            .await
        }));
    }
    for task in tasks {
        let answer = task.await.unwrap();
        assert!(matches!(answer, Ok(Ok(_))), "{answer:?}");
    }
}
on_both_engines!(many_simultaneous_views_on_a_cold_cache_all_answer);
