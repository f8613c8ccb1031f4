//! Short reads on plain SQLite connections give exactly what the pool gives, see every
//! acknowledged write at once, and can be switched off.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use jiff::civil::date;
use lienthong_domain::{
    org::AgencyLevel,
    role::{AccountKind, Role},
};
use lienthong_store::{
    Db, Reader,
    accounts::{self, Account, RoleGrant},
    org::{self, Agency},
    sessions::{self, Session},
};

async fn open(dir: &tempfile::TempDir) -> Db {
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    db
}

fn account(id: &str, email: Option<&str>, disabled_at: Option<i64>) -> Account {
    Account {
        id: id.into(),
        username: format!("user-{id}"),
        kind: AccountKind::Official,
        full_name: "Nguyễn Thị Hoà".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        cccd: None,
        tax_code: None,
        email: email.map(Into::into),
        phone: Some("0912345678".into()),
        agency_code: Some("000.00.01.H01".into()),
        created_at: 1_700_000_000_000_000,
        disabled_at,
    }
}

async fn seed(db: &Db) {
    let mut tx = db.write().await.unwrap();
    org::insert_agency(
        tx.conn(),
        &Agency {
            id: "ag-1".into(),
            code: "000.00.01.H01".into(),
            name: "Sở Tư pháp".into(),
            short_name: "STP".into(),
            level: AgencyLevel::Province,
            kind: "department".into(),
            parent_code: None,
            admin_unit_code: Some("01".into()),
            valid_from: None,
            valid_to: None,
        },
    )
    .await
    .unwrap();
    accounts::insert(tx.conn(), &account("a-1", Some("hoa@example.vn"), None))
        .await
        .unwrap();
    accounts::insert(tx.conn(), &account("a-2", None, Some(5)))
        .await
        .unwrap();
    for role in [Role::Specialist, Role::Leader] {
        let grant = RoleGrant {
            role,
            agency_code: "000.00.01.H01".into(),
        };
        accounts::grant(tx.conn(), "a-1", &grant).await.unwrap();
    }
    sessions::insert_session(
        tx.conn(),
        &Session {
            token_hash: "h-1".into(),
            account_id: "a-1".into(),
            csrf_token: "c".into(),
            created_at: 10,
            expires_at: 1_000,
            last_seen_at: 10,
        },
    )
    .await
    .unwrap();
    sessions::insert_token(tx.conn(), "t-1", "a-1", 10, 1_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_read_by_key_gives_the_same_answer_on_either_connection() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir).await;
    seed(&db).await;
    let mut direct = db.reader().await.unwrap();
    assert!(matches!(direct, Reader::Direct(_)));
    let mut pooled = db.read().await.unwrap();
    for id in ["a-1", "a-2", "missing"] {
        assert_eq!(
            accounts::with_roles(&mut direct, id).await.unwrap(),
            accounts::with_roles(&mut pooled, id).await.unwrap(),
            "account {id}"
        );
    }
    let (a, roles) = accounts::with_roles(&mut direct, "a-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.full_name, "Nguyễn Thị Hoà");
    assert_eq!(roles.len(), 2);
    for now in [5, 999, 1_000] {
        assert_eq!(
            sessions::session(&mut direct, "h-1", now).await.unwrap(),
            sessions::session(&mut pooled, "h-1", now).await.unwrap(),
        );
        assert_eq!(
            sessions::token_account(&mut direct, "t-1", now)
                .await
                .unwrap(),
            sessions::token_account(&mut pooled, "t-1", now)
                .await
                .unwrap(),
        );
    }
    assert!(
        sessions::session(&mut direct, "h-1", 1_000)
            .await
            .unwrap()
            .is_none(),
        "an expired session is not found"
    );
    for day in [date(2020, 1, 1), date(2026, 12, 1)] {
        assert_eq!(
            org::agency_at(&mut direct, "000.00.01.H01", day)
                .await
                .unwrap(),
            org::agency_at(&mut pooled, "000.00.01.H01", day)
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        org::agency_by_id(&mut direct, "ag-1").await.unwrap(),
        org::agency_by_id(&mut pooled, "ag-1").await.unwrap(),
    );
    assert!(
        org::agency_by_id(&mut direct, "ag-1")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_write_is_seen_by_the_next_direct_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir).await;
    seed(&db).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let hash = format!("t-{i}-new");
            let mut tx = db.write().await.unwrap();
            sessions::insert_token(tx.conn(), &hash, "a-1", 10, 1_000)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let mut r = db.reader().await.unwrap();
            sessions::token_account(&mut r, &hash, 20).await.unwrap()
        }));
    }
    for t in tasks {
        assert_eq!(
            t.await.unwrap(),
            Some(("a-1".to_owned(), 1_000)),
            "the token's account and expiry"
        );
    }
}

#[tokio::test]
async fn without_direct_reads_every_read_goes_through_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir).await.without_direct_reads();
    assert!(!db.direct_reads());
    seed(&db).await;
    let mut r = db.reader().await.unwrap();
    assert!(matches!(r, Reader::Pooled(_)));
    assert!(accounts::with_roles(&mut r, "a-1").await.unwrap().is_some());
}

#[tokio::test]
async fn an_in_memory_database_reads_through_the_pool() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    assert!(!db.direct_reads());
}
