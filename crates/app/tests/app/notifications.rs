//! Notifications of every status change to the applicant: e-mail through a real SMTP server on
//! loopback and in-app messages, from templates the province rewords.

use lienthong_app::{
    AppError,
    audit::AuditCtx,
    demo, dossiers,
    processing::{ActionRequest, SupplementItem, act},
};
use lienthong_domain::workflow::DossierAction as A;

use super::{lltp, login};

const SOTP: &str = "000.00.04.H13";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_status_change_reaches_the_applicant_once_by_mail_and_in_app() {
    use lienthong_app::{events, notify};
    let Some(smtp) = super::smtp_server() else {
        return;
    };
    let t = crate::common::TestApp::new(crate::common::Engine::Sqlite)
        .await
        .unwrap();
    demo::ensure_demo(&t.app).await.unwrap();
    events::relay_once(&t.app).await.unwrap();
    let citizen = login(&t, "citizen1").await;
    let mut submission = lltp(&t, None).await;
    submission
        .answers
        .insert("applicant_email".into(), "an.nguyen@example.vn".into());
    let (d, _) = dossiers::submit(&t.app, &citizen, &AuditCtx::cli(), submission)
        .await
        .unwrap();
    let code = d.row.code;
    // The province rewords the acceptance message; unknown placeholders are refused.
    let admin = login(&t, "admin@000.00.00.H13").await;
    assert!(matches!(
        notify::templates::save(
            &t.app,
            &admin,
            &AuditCtx::cli(),
            "dossier.accept",
            "Hồ sơ {ma}",
            "x"
        )
        .await,
        Err(AppError::Validation(_))
    ));
    assert!(matches!(
        notify::templates::save(
            &t.app,
            &citizen,
            &AuditCtx::cli(),
            "dossier.accept",
            "Hồ sơ {code}",
            "x"
        )
        .await,
        Err(AppError::Forbidden)
    ));
    notify::templates::save(
        &t.app,
        &admin,
        &AuditCtx::cli(),
        "dossier.accept",
        "Hồ sơ {code} đã được tiếp nhận",
        "Kính gửi {name}, hẹn trả ngày {due_date}.",
    )
    .await
    .unwrap();
    let desk = login(&t, &format!("reception@{SOTP}")).await;
    act(
        &t.app,
        &desk,
        &AuditCtx::cli(),
        &code,
        ActionRequest::new(A::Accept, 1),
    )
    .await
    .unwrap();
    let mut ask = ActionRequest::new(A::RequestSupplement, 2);
    ask.items = vec![SupplementItem {
        target: "purpose".into(),
        reason: "Ghi rõ mục đích".into(),
    }];
    act(&t.app, &desk, &AuditCtx::cli(), &code, ask)
        .await
        .unwrap();
    let mut rx = t.app.events.subscribe();
    events::relay_once(&t.app).await.unwrap();
    let mailer = notify::Mailer::smtp(
        &format!("smtp://127.0.0.1:{}", smtp.port),
        "dvc@cantho.example.vn",
    )
    .unwrap();
    let notifier = notify::Notifier::new(t.app.clone(), mailer, "https://dichvucong.example.vn");
    let mut topics = Vec::new();
    while let Ok(Ok(e)) =
        tokio::time::timeout(std::time::Duration::from_millis(200), rx.recv()).await
    {
        notifier.handle(&e).await.unwrap();
        notifier.handle(&e).await.unwrap();
        topics.push(e.topic);
    }
    assert_eq!(
        topics,
        [
            "dossier.submitted",
            "dossier.accept",
            "dossier.request_supplement"
        ]
    );
    let mails = super::delivered(smtp.maildir.path());
    assert_eq!(
        mails.len(),
        3,
        "one e-mail per change, even when handled twice"
    );
    assert!(
        mails
            .iter()
            .any(|m| m.contains("Kính gửi Nguyễn Văn An, hẹn trả ngày 04/12/2026.")),
        "the province's wording is used: {mails:?}"
    );
    assert!(mails.iter().any(|m| m.contains("cần được bổ sung")));
    let inbox = notify::inbox(&t.app, &citizen).await.unwrap();
    assert_eq!(inbox.len(), 3);
    assert!(
        inbox
            .iter()
            .all(|n| n.dossier_code.as_deref() == Some(code.as_str()))
    );
    // Another citizen's inbox stays empty; the log is for administrators and auditors.
    assert!(
        notify::inbox(&t.app, &login(&t, "citizen2").await)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        notify::delivery_log(&t.app, &citizen).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(notify::delivery_log(&t.app, &admin).await.unwrap().len(), 6);
}
