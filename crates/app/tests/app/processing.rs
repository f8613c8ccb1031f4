//! One-stop processing: supplements and the paused clock, transfers between agencies,
//! apologies, results and ratings, concurrent officials, workflow definitions, queues and
//! registers — on both engines.

use jiff::{SignedDuration, Timestamp};
use lienthong_app::{
    AppError,
    audit::AuditCtx,
    authz::Caller,
    demo, dossiers,
    processing::{
        ActionRequest, SupplementItem, act, issuer,
        queue::{QueueScope, queue},
        registers,
    },
};
use lienthong_domain::{dossier::Status, workflow::DossierAction as A};

use super::{lltp, login, stored};
use crate::{common::TestApp, on_both_engines};

pub(super) const SOTP: &str = "000.00.04.H13";

fn req(action: A, version: i64) -> ActionRequest {
    ActionRequest::new(action, version)
}

/// A dossier submitted by citizen1 in the demo province, and its applicant.
pub(super) async fn submitted(t: &TestApp) -> (Caller, String) {
    demo::ensure_demo(&t.app).await.unwrap();
    let citizen = login(t, "citizen1").await;
    let (d, _) = dossiers::submit(&t.app, &citizen, &AuditCtx::cli(), lltp(t, None).await)
        .await
        .unwrap();
    (citizen, d.row.code)
}

/// Takes an action, checks that its answer is the dossier as reading it back gives it, then
/// lets the issuer produce the documents it issued, as the server does right after the action
/// commits; returns the dossier as `who` then sees it.
async fn step(t: &TestApp, who: &Caller, code: &str, r: ActionRequest) -> dossiers::DossierView {
    let action = r.action;
    let answer = act(&t.app, who, &AuditCtx::cli(), code, r).await.unwrap();
    let read = dossiers::get(&t.app, who, code).await.unwrap();
    assert_eq!(
        format!("{answer:#?}"),
        format!("{read:#?}"),
        "the answer to {action:?} is not the dossier read back"
    );
    issuer::issue_all_due(&t.app).await.unwrap();
    dossiers::get(&t.app, who, code).await.unwrap()
}

async fn version(t: &TestApp, code: &str) -> i64 {
    let desk = login(t, &format!("reception@{SOTP}")).await;
    dossiers::get(&t.app, &desk, code)
        .await
        .unwrap()
        .row
        .version
}

/// Accepts and forwards the dossier to the specialist.
async fn at_specialist(t: &TestApp, code: &str) -> dossiers::DossierView {
    let desk = login(t, &format!("reception@{SOTP}")).await;
    step(t, &desk, code, req(A::Accept, 1)).await;
    step(t, &desk, code, req(A::Forward, 2)).await
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

async fn supplements_pause_the_clock_and_change_only_what_was_asked(t: TestApp) {
    let (citizen, code) = submitted(&t).await;
    let v = at_specialist(&t, &code).await;
    assert_eq!(v.row.due_date.as_deref(), Some("2026-12-04"));
    assert_eq!(v.step_name.as_deref(), Some("Thẩm định, xử lý"));
    let specialist = login(&t, &format!("specialist@{SOTP}")).await;
    // Items must point at fields or documents of the dossier, each with a reason.
    let mut bad = req(A::RequestSupplement, v.row.version);
    bad.items = vec![SupplementItem {
        target: "no_such_field".into(),
        reason: "x".into(),
    }];
    assert!(matches!(
        act(&t.app, &specialist, &AuditCtx::cli(), &code, bad).await,
        Err(AppError::Validation(_))
    ));
    // Monday 23 November 09:00: ask for the ID document and the purpose.
    t.clock.set(at("2026-11-23T02:00:00Z"));
    let mut ask = req(A::RequestSupplement, v.row.version);
    ask.items = vec![
        SupplementItem {
            target: "giay_to_tuy_than".into(),
            reason: "Ảnh chụp bị mờ, chụp lại rõ hai mặt".into(),
        },
        SupplementItem {
            target: "purpose".into(),
            reason: "Ghi rõ mục đích".into(),
        },
    ];
    let v = step(&t, &specialist, &code, ask).await;
    assert_eq!(v.status, Status::SupplementRequested);
    assert_eq!(v.status.dvcqg_code(), 5);
    assert_eq!(v.row.state.supplement_rounds, 1);
    assert!(v.documents.iter().any(|d| d.kind == "supplement_request"));
    let pdf = registers::document(&t.app, &citizen, &code, "supplement_request")
        .await
        .unwrap()
        .1;
    assert!(pdf.starts_with(b"%PDF-"));
    // The notice carries the agency's seal, and so does the receipt.
    let sealed = lienthong_app::signatures::verify_file(&t.app, &pdf, None)
        .await
        .unwrap();
    assert!(sealed.valid && sealed.signatures.len() == 1, "{sealed:#?}");
    let receipt = dossiers::receipt(&t.app, &citizen, &code, "http://127.0.0.1/track")
        .await
        .unwrap();
    let sealed = lienthong_app::signatures::verify_file(&t.app, &receipt, None)
        .await
        .unwrap();
    assert!(sealed.valid && sealed.signatures.len() == 1, "{sealed:#?}");
    assert_eq!(
        dossiers::get(&t.app, &citizen, &code)
            .await
            .unwrap()
            .allowed_actions,
        ["supplement", "withdraw"]
    );
    // Three working days later the applicant answers.
    t.clock.set(at("2026-11-26T02:00:00Z"));
    let mut wrong = req(A::Supplement, v.row.version);
    wrong.answers.insert("birth_place".into(), "Hà Nội".into());
    let Err(AppError::Validation(e)) = act(&t.app, &citizen, &AuditCtx::cli(), &code, wrong).await
    else {
        panic!("a field not asked for must be refused");
    };
    assert!(e.iter().any(|f| f.field == "birth_place"), "{e:?}");
    let mut answer = req(A::Supplement, v.row.version);
    answer
        .answers
        .insert("purpose".into(), "Bổ sung hồ sơ xin việc".into());
    let missing_file = act(&t.app, &citizen, &AuditCtx::cli(), &code, answer.clone()).await;
    assert!(
        matches!(missing_file, Err(AppError::Validation(ref e)) if e.iter().any(|f| f.field == "giay_to_tuy_than")),
        "{missing_file:?}"
    );
    answer.files = vec![lienthong_app::dossiers::UploadedFile {
        slot: "giay_to_tuy_than".into(),
        file_name: "cccd-ro.png".into(),
        declared_type: None,
        blob: stored(&t, b"\x89PNG\r\n\x1a\n0000").await,
    }];
    let v = step(&t, &citizen, &code, answer).await;
    assert_eq!(v.status, Status::Processing);
    // Paused Monday 09:00 with the due Friday 4 December 17:00; resumed Thursday 09:00: the
    // 3 working days waited (Mon–Wed) push the due date to Wednesday 9 December.
    assert_eq!(v.row.due_date.as_deref(), Some("2026-12-09"));
    assert_eq!(v.row.state.statutory_due_at, v.row.state.due_at);
    assert!(v.row.state.accepted_at.is_some());
    let answers: serde_json::Value = serde_json::from_str(&v.row.answers).unwrap();
    assert_eq!(answers["purpose"], "Bổ sung hồ sơ xin việc");
    assert_eq!(answers["birth_place"], "Cần Thơ");
    assert!(
        v.files
            .iter()
            .any(|f| f.slot == "giay_to_tuy_than" && f.file_name == "cccd-ro.png")
    );
    assert_eq!(
        v.files
            .iter()
            .filter(|f| f.slot == "giay_to_tuy_than")
            .count(),
        1
    );
    assert!(v.supplements[0].answered_at.is_some());
    // At reception, a request sends the dossier back to "submitted" with no clock started.
    let (_, other) = {
        let (d, _) = dossiers::submit(&t.app, &citizen, &AuditCtx::cli(), lltp(&t, None).await)
            .await
            .unwrap();
        ((), d.row.code)
    };
    let desk = login(&t, &format!("reception@{SOTP}")).await;
    let mut ask = req(A::RequestSupplement, 1);
    ask.items = vec![SupplementItem {
        target: "purpose".into(),
        reason: "Thiếu".into(),
    }];
    step(&t, &desk, &other, ask).await;
    let mut answer = req(A::Supplement, 2);
    answer.answers.insert("purpose".into(), "Đi học".into());
    let v = step(&t, &citizen, &other, answer).await;
    assert_eq!(
        (v.status, v.row.due_date.clone()),
        (Status::Submitted, None)
    );
}
on_both_engines!(supplements_pause_the_clock_and_change_only_what_was_asked);

async fn a_transfer_lets_another_agency_process_its_part_and_times_each_agency(t: TestApp) {
    let (citizen, code) = submitted(&t).await;
    let v = at_specialist(&t, &code).await;
    let specialist = login(&t, &format!("specialist@{SOTP}")).await;
    let tax = "000.00.05.H13";
    let mut send = req(A::Transfer, v.row.version);
    send.agency_code = Some(tax.into());
    send.working_days = Some(2.0);
    send.note = Some("Xác minh thông tin".into());
    let v = step(&t, &specialist, &code, send).await;
    assert_eq!(v.row.state.handling_agency_code.as_deref(), Some(tax));
    // The origin can no longer act; the other agency's specialist can, and sees it queued.
    assert!(
        dossiers::get(&t.app, &specialist, &code)
            .await
            .unwrap()
            .allowed_actions
            .is_empty()
    );
    let theirs = login(&t, &format!("specialist@{tax}")).await;
    let queued = queue(&t.app, &theirs, QueueScope::Mine, None, 0)
        .await
        .unwrap();
    assert!(queued.iter().any(|i| i.row.code == code));
    assert_eq!(
        dossiers::get(&t.app, &theirs, &code)
            .await
            .unwrap()
            .allowed_actions,
        ["send_back"]
    );
    // A third agency sees nothing.
    let stranger = login(&t, "specialist@000.00.06.H13").await;
    assert!(matches!(
        dossiers::get(&t.app, &stranger, &code).await,
        Err(AppError::Forbidden | AppError::NotFound(_))
    ));
    t.clock.advance(SignedDuration::from_hours(24));
    let mut back = req(A::SendBack, v.row.version);
    back.note = Some("Đã xác minh: thông tin đúng".into());
    let v = step(&t, &theirs, &code, back).await;
    assert_eq!(v.row.state.handling_agency_code.as_deref(), Some(SOTP));
    let agencies: Vec<&str> = v.legs.iter().map(|l| l.agency_code.as_str()).collect();
    assert_eq!(agencies, [SOTP, SOTP, tax, SOTP]);
    let tax_leg = &v.legs[2];
    assert_eq!(
        tax_leg.ended_at.unwrap() - tax_leg.started_at,
        24 * 3_600_000_000
    );
    assert!(tax_leg.due_at.is_some());
    let sheet = registers::control_sheet_pdf(&t.app, &specialist, &code)
        .await
        .unwrap();
    assert!(sheet.starts_with(b"%PDF-"));
    let _ = citizen;
}
on_both_engines!(a_transfer_lets_another_agency_process_its_part_and_times_each_agency);

async fn apologies_open_one_working_day_before_the_due_date_and_only_once(t: TestApp) {
    let (citizen, code) = submitted(&t).await;
    let v = at_specialist(&t, &code).await;
    let specialist = login(&t, &format!("specialist@{SOTP}")).await;
    assert!(!v.allowed_actions.contains(&"apologize".to_owned()));
    let mut sorry = req(A::Apologize, v.row.version);
    sorry.new_due_date = Some("2026-12-10".into());
    sorry.reason = Some("Chờ kết quả xác minh của cơ quan công an".into());
    assert!(matches!(
        act(&t.app, &specialist, &AuditCtx::cli(), &code, sorry.clone()).await,
        Err(AppError::NotNow { .. })
    ));
    // Thursday 3 December, the working day before the due Friday 4 December.
    t.clock.set(at("2026-12-03T02:00:00Z"));
    let v = dossiers::get(&t.app, &specialist, &code).await.unwrap();
    assert!(v.allowed_actions.contains(&"apologize".to_owned()));
    let queued = queue(&t.app, &specialist, QueueScope::Mine, None, 0)
        .await
        .unwrap();
    let item = queued.iter().find(|i| i.row.code == code).unwrap();
    assert!(item.at_risk && !item.overdue);
    let mut early = sorry.clone();
    early.new_due_date = Some("2026-12-04".into());
    assert!(matches!(
        act(&t.app, &specialist, &AuditCtx::cli(), &code, early).await,
        Err(AppError::Validation(_))
    ));
    let mut weekend = sorry.clone();
    weekend.new_due_date = Some("2026-12-12".into());
    assert!(matches!(
        act(&t.app, &specialist, &AuditCtx::cli(), &code, weekend).await,
        Err(AppError::Validation(_))
    ));
    let before = dossiers::get(&t.app, &specialist, &code).await.unwrap();
    let v = step(&t, &specialist, &code, sorry.clone()).await;
    assert_eq!(v.row.due_date.as_deref(), Some("2026-12-10"));
    // Reports measure timeliness against the due instant fixed at acceptance.
    assert_eq!(v.row.state.statutory_due_at, before.row.state.due_at);
    assert_ne!(v.row.state.due_at, before.row.state.due_at);
    assert!(v.documents.iter().any(|d| d.kind == "apology"));
    assert!(!v.allowed_actions.contains(&"apologize".to_owned()));
    let mut again = sorry;
    again.version = v.row.version;
    again.new_due_date = Some("2026-12-11".into());
    assert!(matches!(
        act(&t.app, &specialist, &AuditCtx::cli(), &code, again).await,
        Err(AppError::NotNow { .. })
    ));
    // After the new date passes the dossier shows as overdue.
    t.clock.set(at("2026-12-11T02:00:00Z"));
    let queued = queue(&t.app, &specialist, QueueScope::Mine, None, 0)
        .await
        .unwrap();
    assert!(queued.iter().any(|i| i.row.code == code && i.overdue));
    let _ = citizen;
}
on_both_engines!(apologies_open_one_working_day_before_the_due_date_and_only_once);

async fn results_are_issued_returned_and_rated_once_by_the_applicant_only(t: TestApp) {
    let (citizen, code) = submitted(&t).await;
    let v = at_specialist(&t, &code).await;
    let specialist = login(&t, &format!("specialist@{SOTP}")).await;
    let leader = login(&t, &format!("leader@{SOTP}")).await;
    let desk = login(&t, &format!("reception@{SOTP}")).await;
    let v = step(&t, &specialist, &code, req(A::Forward, v.row.version)).await;
    // A leader can send it back with a reason.
    let mut back = req(A::SendBack, v.row.version);
    assert!(matches!(
        act(&t.app, &leader, &AuditCtx::cli(), &code, back.clone()).await,
        Err(AppError::Validation(_))
    ));
    back.note = Some("Bổ sung ý kiến thẩm định".into());
    let v = step(&t, &leader, &code, back).await;
    assert_eq!(v.row.state.current_step.as_deref(), Some("specialist"));
    let v = step(&t, &specialist, &code, req(A::Forward, v.row.version)).await;
    // The decision commits at once; the signed result follows it, produced by the issuer.
    let v = act(
        &t.app,
        &leader,
        &AuditCtx::cli(),
        &code,
        req(A::Approve, v.row.version),
    )
    .await
    .unwrap();
    assert_eq!((v.status, v.status.dvcqg_code()), (Status::Resolved, 9));
    assert!(v.row.state.result_sha256.is_none() && v.documents.is_empty());
    assert!(matches!(
        registers::document(&t.app, &citizen, &code, "result").await,
        Err(AppError::NotNow { .. })
    ));
    assert_eq!(issuer::backlog(&t.app).await.unwrap(), (1, 0));
    // Until then the result cannot be returned online.
    let mut online = req(A::ReturnResult, v.row.version);
    online.channel = Some("online".into());
    assert!(matches!(
        act(&t.app, &desk, &AuditCtx::cli(), &code, online).await,
        Err(AppError::Validation(_))
    ));
    assert_eq!(issuer::issue_all_due(&t.app).await.unwrap(), 1);
    assert_eq!(issuer::backlog(&t.app).await.unwrap(), (0, 0));
    let v = dossiers::get(&t.app, &citizen, &code).await.unwrap();
    assert!(v.row.state.result_sha256.is_some());
    assert_eq!(
        v.documents
            .iter()
            .map(|d| d.kind.as_str())
            .collect::<Vec<_>>(),
        ["result"]
    );
    // Issuing does not move the version: the desk's next action is not stale.
    assert_eq!(v.row.version, version(&t, &code).await);
    let (name, pdf) = registers::document(&t.app, &citizen, &code, "result")
        .await
        .unwrap();
    assert!(name.ends_with(".pdf") && pdf.starts_with(b"%PDF-"));
    // The generated result is signed by the leader, then sealed by the agency, over the
    // visible blocks drawn on the page; both signatures verify against the platform's roots.
    let report = lienthong_app::signatures::verify_file(&t.app, &pdf, None)
        .await
        .unwrap();
    assert!(report.valid, "{report:#?}");
    assert_eq!(report.signatures.len(), 2);
    assert_eq!(
        report.signatures[1].signer,
        report.signatures[1].certificate_chain[0].subject
    );
    assert!(
        report
            .signatures
            .iter()
            .all(|s| s.trusted && s.revocation_checked)
    );
    let sigs = lienthong_sign::pdf::signatures(&pdf).unwrap();
    assert_eq!(sigs[0].sub_filter, "ETSI.CAdES.detached");
    let widgets = pdf.windows(6).filter(|w| w == b"/Rect ").count();
    assert_eq!(widgets, 2, "two visible signature fields");
    // Return by post needs a tracking number.
    let mut post = req(A::ReturnResult, v.row.version);
    post.channel = Some("post".into());
    assert!(matches!(
        act(&t.app, &desk, &AuditCtx::cli(), &code, post.clone()).await,
        Err(AppError::Validation(_))
    ));
    post.tracking_number = Some("EP123456789VN".into());
    let v = step(&t, &desk, &code, post).await;
    assert_eq!(v.status.dvcqg_code(), 10);
    assert_eq!(
        v.row.state.tracking_number.as_deref(),
        Some("EP123456789VN")
    );
    assert_eq!(v.row.state.handling_agency_code, None);
    // Only the applicant rates, once, 1–3.
    let mut rate = req(A::Rate, v.row.version);
    rate.rating = Some(4);
    assert!(matches!(
        act(&t.app, &citizen, &AuditCtx::cli(), &code, rate.clone()).await,
        Err(AppError::Validation(_))
    ));
    rate.rating = Some(3);
    rate.comment = Some("Cán bộ hướng dẫn tận tình".into());
    assert!(matches!(
        act(&t.app, &desk, &AuditCtx::cli(), &code, rate.clone()).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        act(
            &t.app,
            &login(&t, "citizen2").await,
            &AuditCtx::cli(),
            &code,
            rate.clone()
        )
        .await,
        Err(AppError::NotFound(_))
    ));
    let v = step(&t, &citizen, &code, rate.clone()).await;
    assert_eq!(v.row.state.rating, Some(3));
    assert!(v.allowed_actions.is_empty());
    rate.version = v.row.version;
    assert!(matches!(
        act(&t.app, &citizen, &AuditCtx::cli(), &code, rate).await,
        Err(AppError::NotNow { .. })
    ));
    // Rejection stops processing with a reason and a notice.
    let (_, other) = submitted(&t).await;
    let v = at_specialist(&t, &other).await;
    let v = step(&t, &specialist, &other, req(A::Forward, v.row.version)).await;
    let mut no = req(A::Reject, v.row.version);
    no.note = Some("Không đủ điều kiện theo quy định".into());
    let v = step(&t, &leader, &other, no).await;
    assert_eq!(v.status.dvcqg_code(), 8);
    assert!(v.documents.iter().any(|d| d.kind == "rejection"));
}
on_both_engines!(results_are_issued_returned_and_rated_once_by_the_applicant_only);

async fn concurrent_officials_never_lose_an_update(t: TestApp) {
    let (_, code) = submitted(&t).await;
    let desk = login(&t, &format!("reception@{SOTP}")).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let app = t.app.clone();
        let desk = desk.clone();
        let code = code.clone();
        tasks.push(tokio::spawn(async move {
            let action = if i % 2 == 0 {
                A::Accept
            } else {
                A::RequestSupplement
            };
            let mut r = ActionRequest::new(action, 1);
            r.items = vec![SupplementItem {
                target: "purpose".into(),
                reason: "Thiếu".into(),
            }];
            act(&app, &desk, &AuditCtx::cli(), &code, r).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(AppError::NotNow { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 1, "exactly one of the parallel actions wins");
    let v = dossiers::get(&t.app, &desk, &code).await.unwrap();
    assert_eq!(v.row.version, 2);
    assert_eq!(v.history.len(), 2, "one submit and one action");
    assert_eq!(version(&t, &code).await, 2);
}
on_both_engines!(concurrent_officials_never_lose_an_update);

async fn saved_workflows_are_checked_and_can_send_a_step_to_the_applicants_commune(t: TestApp) {
    demo::ensure_demo(&t.app).await.unwrap();
    let admin = login(&t, "admin@000.00.00.H13").await;
    let bad = "name = \"x\"\n[[step]]\nid = \"a\"\nrole = \"reception\"\nactions = [\"accept\", \"fly\"]\n";
    let Err(AppError::Validation(e)) =
        lienthong_app::workflows::save(&t.app, &admin, &AuditCtx::cli(), "x", bad).await
    else {
        panic!("invalid definition accepted");
    };
    assert!(e.iter().any(|f| f.field == "definition:5"), "{e:?}");
    let citizen = login(&t, "citizen1").await;
    assert!(matches!(
        lienthong_app::workflows::save(&t.app, &citizen, &AuditCtx::cli(), "x", bad).await,
        Err(AppError::Forbidden)
    ));
    // The procedure takes 10 working days: 11 for one step is refused.
    let long = lienthong_domain::workflow::definition::DEFAULT_TOML.replace(
        "name = \"Thẩm định, xử lý\"",
        "name = \"Thẩm định, xử lý\"\ndays = 11",
    );
    let Err(AppError::Validation(e)) =
        lienthong_app::workflows::save(&t.app, &admin, &AuditCtx::cli(), "default", &long).await
    else {
        panic!("a step longer than the procedure was accepted");
    };
    assert!(e.iter().any(|f| f.vi.contains("vượt thời hạn")), "{e:?}");
    // A verification step at the commune of the applicant's address.
    let commune = lienthong_domain::workflow::definition::DEFAULT_TOML.replace(
        "next = \"leader\"",
        "next = \"verify\"\n\n[[step]]\nid = \"verify\"\nname = \"Xác minh tại xã\"\nrole = \"specialist\"\nagency = \"applicant_commune\"\ndays = 2\nactions = [\"forward\", \"send_back\"]\nnext = \"leader\"",
    );
    lienthong_app::workflows::save(&t.app, &admin, &AuditCtx::cli(), "xac-minh-xa", &commune)
        .await
        .unwrap();
    // A procedure that does not exist yet in the catalog may not name an unknown workflow.
    let mut lltp_procedure = lienthong_app::catalog::procedure(&t.app, "2.000488", None)
        .await
        .unwrap()
        .procedure;
    lltp_procedure.workflow = Some("khong-co".into());
    lltp_procedure.valid_from = t.app.clock.today();
    assert!(matches!(
        lienthong_app::catalog::import(
            &t.app,
            None,
            &AuditCtx::cli(),
            "test",
            &[lltp_procedure.clone()]
        )
        .await,
        Err(AppError::Import { .. } | AppError::Validation(_))
    ));
    lltp_procedure.workflow = Some("xac-minh-xa".into());
    lienthong_app::catalog::import(&t.app, None, &AuditCtx::cli(), "test", &[lltp_procedure])
        .await
        .unwrap();
    let (d, _) = dossiers::submit(&t.app, &citizen, &AuditCtx::cli(), lltp(&t, None).await)
        .await
        .unwrap();
    let code = d.row.code;
    let v = at_specialist(&t, &code).await;
    let specialist = login(&t, &format!("specialist@{SOTP}")).await;
    let v = step(&t, &specialist, &code, req(A::Forward, v.row.version)).await;
    let holder = v.row.state.handling_agency_code.clone().unwrap();
    assert_ne!(holder, SOTP);
    assert_eq!(v.step_name.as_deref(), Some("Xác minh tại xã"));
    // Commune 31135 (the applicant's address) is served by its people's committee.
    let agency = lienthong_store::org::agency_at(
        &mut t.app.db.read().await.unwrap(),
        &holder,
        t.app.clock.today(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(agency.admin_unit_code.as_deref(), Some("31135"));
    assert!(v.row.state.step_due_at.is_some());
}
on_both_engines!(saved_workflows_are_checked_and_can_send_a_step_to_the_applicants_commune);

async fn the_desk_register_reads_back_from_xlsx_cell_by_cell(t: TestApp) {
    use calamine::{Reader, Xlsx};
    let (_, code) = submitted(&t).await;
    let desk = login(&t, &format!("reception@{SOTP}")).await;
    let day = t.app.clock.today();
    let rows = registers::desk_register(&t.app, &desk, SOTP, day, day)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].code, code);
    let bytes = registers::register_xlsx("Sở Tư pháp", day, day, &rows).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("So theo doi").unwrap();
    let cell = |r: u32, c: u32| {
        sheet
            .get_value((r, c))
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    assert_eq!(cell(1, 0), "SỔ THEO DÕI HỒ SƠ");
    for (c, h) in registers::REGISTER_HEADERS.iter().enumerate() {
        assert_eq!(cell(4, u32::try_from(c).unwrap()), *h);
    }
    let r = &rows[0];
    let expected = [
        "1",
        &r.code,
        &r.procedure_code,
        &r.applicant_name,
        &r.phone,
        &r.received,
        &r.channel,
        &r.due_date,
        &r.status,
        &r.returned,
    ];
    for (c, v) in expected.iter().enumerate() {
        assert_eq!(cell(5, u32::try_from(c).unwrap()), *v, "column {c}");
    }
    let pdf = registers::register_pdf("Sở Tư pháp", day, day, &rows).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // Another agency's desk cannot read this register; an inverted period is refused.
    let other = login(&t, "reception@000.00.05.H13").await;
    assert!(matches!(
        registers::desk_register(&t.app, &other, SOTP, day, day).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        registers::desk_register(&t.app, &desk, SOTP, day, day.yesterday().unwrap()).await,
        Err(AppError::Validation(_))
    ));
}
on_both_engines!(the_desk_register_reads_back_from_xlsx_cell_by_cell);

async fn idle_dossiers_are_flagged_to_the_units_leader_after_the_configured_hours(t: TestApp) {
    use lienthong_app::processing::queue::{set_stale_working_hours, stale};
    let (_, code) = submitted(&t).await;
    at_specialist(&t, &code).await;
    let leader = login(&t, &format!("leader@{SOTP}")).await;
    assert!(stale(&t.app, &leader).await.unwrap().is_empty());
    // Friday 10:00 → Tuesday 10:00: 2 working days (16 working hours) without a transition.
    t.clock.set(at("2026-11-24T03:00:00Z"));
    let idle = stale(&t.app, &leader).await.unwrap();
    assert!(
        idle.iter().any(|i| i.row.code == code && i.stale),
        "{idle:?}"
    );
    let specialist = login(&t, &format!("specialist@{SOTP}")).await;
    let mine = queue(&t.app, &specialist, QueueScope::Mine, Some(&code), 0)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert!(mine[0].stale);
    // A longer threshold (administrators only) clears the flag.
    assert!(matches!(
        set_stale_working_hours(&t.app, &leader, &AuditCtx::cli(), 40).await,
        Err(AppError::Forbidden)
    ));
    let admin = login(&t, "admin@000.00.00.H13").await;
    set_stale_working_hours(&t.app, &admin, &AuditCtx::cli(), 40)
        .await
        .unwrap();
    assert!(stale(&t.app, &leader).await.unwrap().is_empty());
    // Another agency's leader does not see it.
    t.clock.set(at("2026-12-02T03:00:00Z"));
    let other = login(&t, "leader@000.00.05.H13").await;
    assert!(stale(&t.app, &other).await.unwrap().is_empty());
    assert!(!stale(&t.app, &leader).await.unwrap().is_empty());
}
on_both_engines!(idle_dossiers_are_flagged_to_the_units_leader_after_the_configured_hours);
