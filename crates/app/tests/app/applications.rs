//! Dossiers, drafts and notifications.

use super::*;

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

async fn the_answer_to_a_submission_is_the_dossier_as_read_back(t: TestApp) {
    use lienthong_app::dossiers;
    demo::ensure_demo(&t.app).await.unwrap();
    let citizen = login(&t, "citizen1").await;
    let submission = lltp(&t, Some("read-back")).await;
    let slots: Vec<&str> = submission.files.iter().map(|f| f.slot.as_str()).collect();
    assert_eq!(
        slots,
        ["to_khai", "giay_to_tuy_than"],
        "sent out of the order they are listed in"
    );
    let (answered, created) = dossiers::submit(&t.app, &citizen, &AuditCtx::cli(), submission)
        .await
        .unwrap();
    assert!(created);
    let read = dossiers::get(&t.app, &citizen, &answered.row.code)
        .await
        .unwrap();
    assert_eq!(format!("{answered:#?}"), format!("{read:#?}"));
    assert_eq!(answered.files[0].slot, "giay_to_tuy_than");
    assert_eq!((answered.history.len(), answered.legs.len()), (1, 1));
    assert!(!answered.allowed_actions.is_empty());
}
on_both_engines!(the_answer_to_a_submission_is_the_dossier_as_read_back);

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
    let channels: Vec<(&str, &str, i64)> = log
        .iter()
        .map(|n| (n.channel.as_str(), n.status.as_str(), n.attempts))
        .collect();
    assert_eq!(channels, [("email", "sent", 1), ("inapp", "sent", 0)]);
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
    assert_eq!(
        (failed[0].channel.as_str(), failed[0].status.as_str()),
        ("email", "failed")
    );
    assert!(failed[0].last_error.is_some());
    drop(conn);
    // Retries back off: nothing is retried within the first minute.
    assert_eq!(notifier.retry_due().await.unwrap(), 0);
    t.clock.advance(SignedDuration::from_secs(61));
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

async fn reception_accepts_with_a_working_day_due_date_and_versions_guard_each_step(t: TestApp) {
    use lienthong_app::{
        dossiers,
        processing::{ActionRequest, act},
    };
    use lienthong_domain::workflow::DossierAction as A;
    demo::ensure_demo(&t.app).await.unwrap();
    let ctx = AuditCtx::cli();
    let citizen = login(&t, "citizen1").await;
    let (d, _) = dossiers::submit(&t.app, &citizen, &ctx, lltp(&t, None).await)
        .await
        .unwrap();
    let code = d.row.code.clone();
    assert_eq!(d.allowed_actions, ["withdraw"]);
    let desk = login(&t, "reception@000.00.04.H13").await;
    let leader = login(&t, "leader@000.00.04.H13").await;
    assert_eq!(
        dossiers::get(&t.app, &desk, &code)
            .await
            .unwrap()
            .allowed_actions,
        ["accept", "refuse", "request_supplement"]
    );
    assert!(
        dossiers::get(&t.app, &leader, &code)
            .await
            .unwrap()
            .allowed_actions
            .is_empty()
    );
    let req = |action, version, note: Option<&str>| {
        let mut r = ActionRequest::new(action, version);
        r.note = note.map(str::to_owned);
        r
    };
    assert!(
        matches!(
            act(&t.app, &desk, &ctx, &code, req(A::Accept, 7, None)).await,
            Err(AppError::NotNow { .. })
        ),
        "stale version"
    );
    assert!(matches!(
        act(
            &t.app,
            &login(&t, "reception@000.00.05.H13").await,
            &ctx,
            &code,
            req(A::Accept, 1, None)
        )
        .await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        act(
            &t.app,
            &login(&t, "citizen2").await,
            &ctx,
            &code,
            req(A::Withdraw, 1, Some("x"))
        )
        .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        act(&t.app, &citizen, &ctx, &code, req(A::Accept, 1, None)).await,
        Err(AppError::Forbidden)
    ));
    // Friday 20 November 2026, 10:00 + 10 working days = Friday 4 December.
    let accepted = act(&t.app, &desk, &ctx, &code, req(A::Accept, 1, None))
        .await
        .unwrap();
    assert_eq!(
        (accepted.status, accepted.row.version),
        (lienthong_domain::dossier::Status::Accepted, 2)
    );
    assert_eq!(accepted.row.due_date.as_deref(), Some("2026-12-04"));
    assert!(
        matches!(
            act(&t.app, &desk, &ctx, &code, req(A::Accept, 2, None)).await,
            Err(AppError::NotNow { .. })
        ),
        "not allowed twice"
    );
    let v = act(&t.app, &desk, &ctx, &code, req(A::Forward, 2, None))
        .await
        .unwrap();
    let specialist = login(&t, "specialist@000.00.04.H13").await;
    let v = act(
        &t.app,
        &specialist,
        &ctx,
        &code,
        req(A::Forward, v.row.version, None),
    )
    .await
    .unwrap();
    let v = act(
        &t.app,
        &leader,
        &ctx,
        &code,
        req(A::Approve, v.row.version, Some("Đủ điều kiện")),
    )
    .await
    .unwrap();
    let mut ret = req(A::ReturnResult, v.row.version, None);
    ret.channel = Some("desk".into());
    let v = act(&t.app, &desk, &ctx, &code, ret).await.unwrap();
    assert_eq!(v.status.dvcqg_code(), 10);
    let actions: Vec<&str> = v.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "submit",
            "accept",
            "forward",
            "forward",
            "approve",
            "return_result"
        ]
    );
    assert!(matches!(
        act(
            &t.app,
            &citizen,
            &ctx,
            &code,
            req(A::Withdraw, v.row.version, Some("x"))
        )
        .await,
        Err(AppError::NotNow { .. })
    ));
    let tracked = dossiers::track(&t.app, &code, "5671").await.unwrap();
    assert_eq!(tracked.due_date.as_deref(), Some("2026-12-04"));
    // Refusal needs a reason.
    let (other, _) = dossiers::submit(&t.app, &citizen, &ctx, lltp(&t, None).await)
        .await
        .unwrap();
    assert!(matches!(
        act(
            &t.app,
            &desk,
            &ctx,
            &other.row.code,
            req(A::Refuse, 1, Some("  "))
        )
        .await,
        Err(AppError::Validation(_))
    ));
    let refused = act(
        &t.app,
        &desk,
        &ctx,
        &other.row.code,
        req(A::Refuse, 1, Some("Không thuộc thẩm quyền")),
    )
    .await
    .unwrap();
    assert_eq!(
        refused.history.last().and_then(|h| h.note.as_deref()),
        Some("Không thuộc thẩm quyền")
    );
    assert_eq!(audit::verify(&t.app).await.unwrap().broken, None);
}
on_both_engines!(reception_accepts_with_a_working_day_due_date_and_versions_guard_each_step);
