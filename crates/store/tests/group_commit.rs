//! Group commit on SQLite: concurrent writers share fsyncs, a failing writer loses only its
//! own work, and everything acknowledged is there after the database is reopened.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use lienthong_store::{Db, sessions, settings};

async fn open(path: &std::path::Path, group: bool) -> Db {
    let db = Db::connect_with(&format!("sqlite://{}", path.display()), group)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    db
}

async fn writers(db: &Db, n: usize) -> Vec<Result<(), String>> {
    let mut tasks = Vec::new();
    for i in 0..n {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.write().await.map_err(|e| e.to_string())?;
            settings::set(tx.conn(), &format!("k{i}"), "v")
                .await
                .map_err(|e| e.to_string())?;
            if i % 7 == 3 {
                // A token of an account that does not exist breaks a foreign key: this
                // writer fails and drops its transaction.
                sessions::insert_token(tx.conn(), &format!("t{i}"), "no-such-account", 10, 1)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            if i % 11 == 5 {
                // Gives up without committing.
                return Err("abandoned".to_owned());
            }
            tx.commit().await.map_err(|e| e.to_string())
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_share_commits_and_failures_stay_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let db = open(&path, true).await;
    let results = writers(&db, 400).await;
    let acknowledged: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_ok())
        .map(|(i, _)| i)
        .collect();
    let failed = results.len() - acknowledged.len();
    assert!(failed > 40, "{failed}");
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.is_ok(), i % 7 != 3 && i % 11 != 5, "writer {i}: {r:?}");
    }
    let stats = db.group_commits().unwrap();
    let (batches, committed) = (stats.batches, stats.writers);
    assert_eq!(committed, acknowledged.len() as u64);
    assert!(stats.held_seconds > 0.0, "{stats:?}");
    assert!(
        batches < committed,
        "{batches} batches for {committed} writers: no grouping"
    );
    db.close().await;
    // Reopened: exactly the acknowledged writers' rows.
    let db = open(&path, false).await;
    let mut conn = db.read().await.unwrap();
    let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM settings WHERE key LIKE 'k%'")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    let mut got: Vec<usize> = keys.iter().map(|k| k[1..].parse().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, acknowledged);
    assert!(
        db.group_commits().is_none(),
        "group commit is off when asked"
    );
}

#[tokio::test]
async fn a_unique_violation_in_a_batch_is_a_duplicate_and_spares_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    let db = open(&path, true).await;
    let account = lienthong_store::accounts::Account {
        id: "a-1".into(),
        username: "hoa".into(),
        kind: lienthong_domain::role::AccountKind::Citizen,
        full_name: "Trần Thị Hoà".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        cccd: None,
        tax_code: None,
        email: None,
        phone: None,
        agency_code: None,
        created_at: 1,
        disabled_at: None,
    };
    let mut first = db.write().await.unwrap();
    lienthong_store::accounts::insert(first.conn(), &account)
        .await
        .unwrap();
    settings::set(first.conn(), "kept", "yes").await.unwrap();
    let again = lienthong_store::accounts::insert(first.conn(), &account).await;
    assert!(
        matches!(again, Err(lienthong_store::StoreError::Duplicate)),
        "{again:?}"
    );
    first.commit().await.unwrap();
    let mut reader = db.reader().await.unwrap();
    assert_eq!(
        settings::get(&mut reader, "kept").await.unwrap().as_deref(),
        Some("yes")
    );
}

/// When another connection holds the write lock (as the pool's do during migrations), the
/// batch's `BEGIN` waits for it on a blocking thread instead of failing at once, and its
/// writer's work lands once the lock is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_waits_for_a_write_lock_held_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let db = open(&path, true).await;
    let mut other = db.read().await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut *other)
        .await
        .unwrap();
    let writer = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.write().await?;
            settings::set(tx.conn(), "after", "lock").await?;
            tx.commit().await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !writer.is_finished(),
        "the writer did not wait for the lock"
    );
    sqlx::raw_sql("COMMIT").execute(&mut *other).await.unwrap();
    drop(other);
    writer.await.unwrap().unwrap();
    let mut reader = db.reader().await.unwrap();
    assert_eq!(
        settings::get(&mut reader, "after")
            .await
            .unwrap()
            .as_deref(),
        Some("lock")
    );
    let stats = db.group_commits().unwrap();
    assert_eq!((stats.batches, stats.writers), (1, 1));
    assert!(stats.held_seconds >= 0.25, "{stats:?}");
}

/// The issuer of documents looks at the writer's queue now and then: a queue that formed and
/// emptied between two looks is still reported at the next one, and each look starts afresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_longest_queue_since_the_last_look_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let db = open(&path, true).await;
    assert_eq!(db.most_writers_waiting(), 0);
    let holder = db.write().await.unwrap();
    let queued: Vec<_> = (0..3)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.write().await?;
                settings::set(tx.conn(), &format!("q{i}"), "v").await?;
                tx.commit().await
            })
        })
        .collect();
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while db.writers_waiting() < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    holder.commit().await.unwrap();
    for q in queued {
        q.await.unwrap().unwrap();
    }
    assert_eq!(db.writers_waiting(), 0, "the queue is gone");
    assert_eq!(
        db.most_writers_waiting(),
        3,
        "the queue is still seen after it emptied"
    );
    assert_eq!(db.most_writers_waiting(), 0, "each look starts afresh");
}
