//! The platform's keys and certificates: encrypted at rest, reloaded by a new process,
//! seals on a PKCS#11 token (SoftHSM2), revocation reaching verification.

use std::sync::Arc;

use lienthong_app::{App, AuthSettings, audit::AuditCtx, signatures};
use lienthong_sign::verify::Status;

use crate::common::TestApp;

fn signable_pdf() -> Vec<u8> {
    lienthong_documents::notice_pdf(&lienthong_documents::Notice {
        parent_agency_name: None,
        agency_name: "Sở Tư pháp".into(),
        unit: None,
        reference: "Số: 1/KQ".into(),
        place: "Cần Thơ".into(),
        issued: (20, 11, 2026),
        title: "KẾT QUẢ".into(),
        subtitle: None,
        body: Vec::new(),
        signer: None,
        qr_url: None,
        landscape: false,
        pdf_title: "Kết quả".into(),
        digital: None,
    })
    .unwrap()
}

async fn signed_by(app: &App, pdf: &[u8]) -> Vec<u8> {
    let official = signatures::person(app, "acc-1", "Trần Văn Ký", "Sở Tư pháp")
        .await
        .unwrap();
    let seal = signatures::seal(app, "000.00.04.H13", "Sở Tư pháp")
        .await
        .unwrap();
    let at = signatures::Placement {
        page: 0,
        signer: None,
        seal: None,
    };
    signatures::sign_and_seal(app, pdf, &official, &seal, "Phê duyệt", "Cần Thơ", &at)
        .await
        .unwrap()
}

async fn keys_are_encrypted_at_rest_and_reload_in_a_new_process(t: TestApp) {
    let signed = signed_by(&t.app, &signable_pdf()).await;
    // Every stored key is an encrypted PKCS#8; the passphrase file is private.
    use sqlx::Row;
    let rows = sqlx::query("SELECT key_pem FROM pki_certificates")
        .fetch_all(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 4, "root, issuing CA, person, seal");
    for r in &rows {
        let pem: String = r.try_get("key_pem").unwrap();
        assert!(
            pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
            "{pem}"
        );
    }
    let pass = t.data_dir().join("pki-passphrase");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&pass).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // A new process (new key store) reuses the same certificates and decrypts the keys.
    let again = App::new(
        t.app.db.clone(),
        t.app.clock.clone(),
        AuthSettings::default(),
        t.data_dir().join("files"),
    );
    let twice = signed_by(&again, &signed).await;
    let r = signatures::verify_file(&again, &twice, None).await.unwrap();
    assert!(r.valid && r.signatures.len() == 4, "{r:#?}");
    assert_eq!(
        sqlx::query("SELECT id FROM pki_certificates")
            .fetch_all(t.app.db.pool())
            .await
            .unwrap()
            .len(),
        4
    );
    // With the wrong passphrase the keys cannot be used, and nothing is issued in their place.
    let wrong = App::new(
        t.app.db.clone(),
        t.app.clock.clone(),
        AuthSettings::default(),
        t.data_dir().join("files"),
    );
    wrong.pki.set_passphrase("not the passphrase").unwrap();
    assert!(
        signatures::seal(&wrong, "000.00.04.H13", "Sở Tư pháp")
            .await
            .is_err()
    );
    assert_eq!(
        sqlx::query("SELECT id FROM pki_certificates")
            .fetch_all(t.app.db.pool())
            .await
            .unwrap()
            .len(),
        4
    );
    // Issuance left audit rows.
    assert!(t.count("audit_log").await >= 4);
}
crate::on_both_engines!(keys_are_encrypted_at_rest_and_reload_in_a_new_process);

async fn a_revoked_seal_makes_its_signatures_invalid(t: TestApp) {
    let signed = signed_by(&t.app, &signable_pdf()).await;
    assert!(
        signatures::verify_file(&t.app, &signed, None)
            .await
            .unwrap()
            .valid
    );
    let (id, serial): (String, String) = {
        use sqlx::Row;
        let r = sqlx::query("SELECT id, serial_hex FROM pki_certificates WHERE role = 'seal'")
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
        (r.try_get("id").unwrap(), r.try_get("serial_hex").unwrap())
    };
    assert!(
        signatures::revoke(&t.app, &AuditCtx::cli(), &id)
            .await
            .unwrap()
    );
    let r = signatures::verify_file(&t.app, &signed, None)
        .await
        .unwrap();
    assert!(!r.valid);
    assert_eq!(r.signatures[1].status, Status::Revoked, "{r:#?}");
    assert_eq!(r.signatures[0].status, Status::Valid);
    // The next seal is a new certificate.
    let seal = signatures::seal(&t.app, "000.00.04.H13", "Sở Tư pháp")
        .await
        .unwrap();
    assert_ne!(
        hex::encode(seal.certificate.tbs_certificate.serial_number.as_bytes()),
        serial
    );
    assert!(
        !signatures::revoke(&t.app, &AuditCtx::cli(), &id)
            .await
            .unwrap(),
        "revoking twice changes nothing"
    );
}
crate::on_both_engines!(a_revoked_seal_makes_its_signatures_invalid);

const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seals_live_on_a_pkcs11_token_when_one_is_configured() {
    if !std::path::Path::new(SOFTHSM).exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "SoftHSM2 is required in CI"
        );
        eprintln!("skipped: SoftHSM2 is not installed");
        return;
    }
    let conf = std::path::PathBuf::from(std::env::var("SOFTHSM2_CONF").unwrap());
    let tokens = conf.with_file_name("softhsm-tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let tmp = conf.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(
        &tmp,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    std::fs::rename(&tmp, &conf).unwrap();
    let label = format!(
        "lt-app-{}",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    );
    lienthong_sign::pkcs11::Token::initialize_token(SOFTHSM, &label, "so-9876", "user-9876")
        .unwrap();

    let t = TestApp::new(crate::common::Engine::Sqlite).await.unwrap();
    t.app.pki.use_token(SOFTHSM, &label, "user-9876").unwrap();
    let signed = signed_by(&t.app, &signable_pdf()).await;
    let r = signatures::verify_file(&t.app, &signed, None)
        .await
        .unwrap();
    assert!(r.valid, "{r:#?}");
    use sqlx::Row;
    let row = sqlx::query("SELECT key_pem, key_uri FROM pki_certificates WHERE role = 'seal'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    let (pem, uri): (Option<String>, Option<String>) = (
        row.try_get("key_pem").unwrap(),
        row.try_get("key_uri").unwrap(),
    );
    assert_eq!(pem, None, "no copy of a token key in the database");
    assert_eq!(
        uri.as_deref(),
        Some(format!("pkcs11:token={label};object=seal-000.00.04.H13").as_str())
    );
    // A new process finds the key on the token again.
    let again = App::new(
        t.app.db.clone(),
        Arc::clone(&t.app.clock),
        AuthSettings::default(),
        t.data_dir().join("files"),
    );
    again.pki.use_token(SOFTHSM, &label, "user-9876").unwrap();
    let twice = signed_by(&again, &signed).await;
    assert!(
        signatures::verify_file(&again, &twice, None)
            .await
            .unwrap()
            .valid
    );
    // Without the token configured, its seals cannot sign (and say why).
    let without = App::new(
        t.app.db.clone(),
        Arc::clone(&t.app.clock),
        AuthSettings::default(),
        t.data_dir().join("files"),
    );
    let e = signatures::seal(&without, "000.00.04.H13", "Sở Tư pháp")
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("token"), "{e}");
}

async fn with_a_timestamp_authority_signatures_are_pades_b_t(t: TestApp) {
    t.app.pki.set_timestamp_authority("internal").unwrap();
    let signed = signed_by(&t.app, &signable_pdf()).await;
    let r = signatures::verify_file(&t.app, &signed, None)
        .await
        .unwrap();
    assert!(r.valid, "{r:#?}");
    assert!(
        r.signatures.iter().all(|s| s.time_source == "timestamp"),
        "{r:#?}"
    );
    // An unreachable authority stops the signing with a clear error, and nothing is signed.
    t.app
        .pki
        .set_timestamp_authority("http://127.0.0.1:9/tsa")
        .unwrap();
    let official = signatures::person(&t.app, "acc-1", "Trần Văn Ký", "Sở Tư pháp")
        .await
        .unwrap();
    let seal = signatures::seal(&t.app, "000.00.04.H13", "Sở Tư pháp")
        .await
        .unwrap();
    let at = signatures::Placement {
        page: 0,
        signer: None,
        seal: None,
    };
    let e = signatures::sign_and_seal(&t.app, &signable_pdf(), &official, &seal, "x", "y", &at)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("timestamp"), "{e}");
}
crate::on_both_engines!(with_a_timestamp_authority_signatures_are_pades_b_t);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roots_added_to_the_trust_store_make_foreign_signatures_trusted() {
    use lienthong_sign::{
        ca,
        keys::{KeySigner, SoftwareKey},
    };
    let t = TestApp::new(crate::common::Engine::Sqlite).await.unwrap();
    let now = std::time::UNIX_EPOCH
        + std::time::Duration::from_secs(u64::try_from(t.app.now_us() / 1_000_000).unwrap());
    let year = std::time::Duration::from_secs(365 * 86_400);
    let key = SoftwareKey::generate_ec();
    let subject = ca::Subject {
        common_name: "Foreign Root".into(),
        ..ca::Subject::default()
    };
    let spec = ca::CertSpec {
        profile: ca::Profile::Root,
        subject: &subject,
        public_key: key.public_key().unwrap(),
        not_before: now - year,
        not_after: now + year,
        crl_url: None,
    };
    let root = ca::issue(&spec, None, &key).unwrap();
    let data = b"van ban".to_vec();
    let p7s = lienthong_sign::cms_build::sign_detached(&key, &root, &[], &data, now).unwrap();
    let r = signatures::verify_file(&t.app, &data, Some(&p7s))
        .await
        .unwrap();
    assert_eq!(r.signatures[0].status, Status::Untrusted);
    t.app.pki.add_anchors(vec![root]).unwrap();
    let r = signatures::verify_file(&t.app, &data, Some(&p7s))
        .await
        .unwrap();
    assert!(r.valid, "{r:#?}");
    let pem = signatures::trust_anchors_pem(&t.app).await.unwrap();
    assert_eq!(
        pem.matches("BEGIN CERTIFICATE").count(),
        3,
        "internal root, government root, the added one"
    );
}
