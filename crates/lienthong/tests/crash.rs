//! Crash safety. Clients submit dossiers with files and the reception desk accepts them while
//! the server is killed with SIGKILL at random moments, twenty times, and restarted on the same
//! data. Everything a client saw acknowledged must survive: the dossier, at least the version
//! it was acknowledged at, its files on disk with their hashes; the audit chain verifies;
//! dossier codes are unique; and no request is ever answered with a 5xx.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::zombie_processes,
    reason = "tests fail loudly on unexpected answers; servers are waited for on drop"
)]

mod common;

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use common::{Server, run, text};
use sha2::{Digest, Sha256};

const KILLS: usize = 20;
const CLIENTS: usize = 4;
const HOME: &str = "000.00.04.H13";

/// What clients saw acknowledged.
#[derive(Default)]
struct Ledger {
    /// Dossier code → (version acknowledged, hashes of the files sent).
    dossiers: HashMap<String, (i64, Vec<String>)>,
    /// Acceptances acknowledged.
    accepted: usize,
    /// Answers with a 5xx status, with what was asked.
    server_errors: Vec<String>,
}

fn pdf(nonce: u64) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n".to_vec();
    b.extend_from_slice(format!("% {nonce}\n").as_bytes());
    b.extend(std::iter::repeat_n(b'x', 4096 + (nonce % 4096) as usize));
    b
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

const LLTP: &str = r#"{"procedure_code":"2.000488","agency_code":"000.00.04.H13","answers":{"applicant_name":"Nguyễn Văn An","applicant_cccd":"092085001234","applicant_phone":"0912345671","applicant_address":{"province_code":"92","commune_code":"31135","detail":"12 Hòa Bình"},"form_number":"1","birth_place":"Cần Thơ","purpose":"Xin việc"}}"#;

async fn token(http: &reqwest::Client, base: &str, user: &str) -> Option<String> {
    let r = http
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({"username": user, "password": "lienthong-demo"}))
        .send()
        .await
        .ok()?;
    let v: serde_json::Value = r.json().await.ok()?;
    v["access_token"].as_str().map(str::to_owned)
}

/// One client: submit a dossier, then accept it at the desk; record what was acknowledged.
async fn client(
    base: Arc<RwLock<String>>,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    nonce: Arc<AtomicU64>,
    citizen: String,
    desk: String,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    while !stop.load(Ordering::Relaxed) {
        let url = base.read().unwrap().clone();
        let (a, b) = (
            pdf(nonce.fetch_add(1, Ordering::Relaxed)),
            pdf(nonce.fetch_add(1, Ordering::Relaxed)),
        );
        let hashes = vec![sha256_hex(&a), sha256_hex(&b)];
        let form = reqwest::multipart::Form::new()
            .part(
                "dossier",
                reqwest::multipart::Part::text(LLTP)
                    .mime_str("application/json")
                    .unwrap(),
            )
            .part(
                "to_khai",
                reqwest::multipart::Part::bytes(a)
                    .file_name("to-khai.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            )
            .part(
                "giay_to_tuy_than",
                reqwest::multipart::Part::bytes(b)
                    .file_name("cccd.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            );
        let sent = http
            .post(format!("{url}/api/v1/dossiers"))
            .bearer_auth(&citizen)
            .multipart(form)
            .send()
            .await;
        let Ok(r) = sent else {
            // The server is down: not acknowledged, try again once it is back.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let status = r.status();
        let Ok(body) = r.text().await else { continue };
        if status.is_server_error() {
            ledger
                .lock()
                .unwrap()
                .server_errors
                .push(format!("submit {status}: {body}"));
            continue;
        }
        if status != reqwest::StatusCode::CREATED {
            panic!("submission refused: {status} {body}");
        }
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let code = v["code"].as_str().unwrap().to_owned();
        ledger
            .lock()
            .unwrap()
            .dossiers
            .insert(code.clone(), (v["version"].as_i64().unwrap(), hashes));
        let accepted = http
            .post(format!("{url}/api/v1/dossiers/{code}/actions"))
            .bearer_auth(&desk)
            .json(&serde_json::json!({"action": "accept", "version": 1}))
            .send()
            .await;
        if let Ok(r) = accepted {
            let status = r.status();
            let Ok(body) = r.text().await else { continue };
            let mut l = ledger.lock().unwrap();
            if status.is_server_error() {
                l.server_errors.push(format!("accept {status}: {body}"));
            } else if status == reqwest::StatusCode::OK {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                if let Some(entry) = l.dossiers.get_mut(&code) {
                    entry.0 = v["version"].as_i64().unwrap();
                }
                l.accepted += 1;
            }
        }
    }
}

fn blob_path(root: &Path, sha: &str) -> PathBuf {
    root.join("files")
        .join(&sha[0..2])
        .join(&sha[2..4])
        .join(sha)
}

fn crash_repeatedly(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--demo"];
    if let Some(url) = database_url {
        args.extend(["--database-url", url]);
    }
    let mut server = Server::start(dir.path(), &args);
    let base = Arc::new(RwLock::new(format!("http://{}", server.addr)));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let url = base.read().unwrap().clone();
    let http = reqwest::Client::new();
    let (citizen, desk) = rt.block_on(async {
        (
            token(&http, &url, "citizen1").await.unwrap(),
            token(&http, &url, &format!("reception@{HOME}"))
                .await
                .unwrap(),
        )
    });
    let nonce = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            rt.spawn(client(
                base.clone(),
                ledger.clone(),
                stop.clone(),
                nonce.clone(),
                citizen.clone(),
                desk.clone(),
            ))
        })
        .collect();
    // A cheap, reproducible spread of kill moments between 150 and 900 ms of load.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..KILLS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(150 + seed % 750));
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        server = Server::start(dir.path(), &args);
        *base.write().unwrap() = format!("http://{}", server.addr);
    }
    // A last stretch of load on the restarted server, then stop the clients.
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    rt.block_on(async {
        for c in clients {
            c.await.unwrap();
        }
    });
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    assert!(
        ledger.server_errors.is_empty(),
        "5xx answers: {:?}",
        ledger.server_errors
    );
    assert!(
        ledger.dossiers.len() >= KILLS,
        "too little load to mean anything: {} dossiers",
        ledger.dossiers.len()
    );
    // Every acknowledged dossier is there, at least at its acknowledged version, with its files.
    let url = base.read().unwrap().clone();
    let lost: Vec<String> = rt.block_on(async {
        let mut lost = Vec::new();
        for (code, (version, hashes)) in &ledger.dossiers {
            let r = http
                .get(format!("{url}/api/v1/dossiers/{code}"))
                .bearer_auth(&citizen)
                .send()
                .await
                .unwrap();
            if r.status() != reqwest::StatusCode::OK {
                lost.push(format!("{code}: {}", r.status()));
                continue;
            }
            let v: serde_json::Value = r.json().await.unwrap();
            if v["version"].as_i64().unwrap() < *version {
                lost.push(format!("{code}: version {} < {version}", v["version"]));
            }
            let stored: HashSet<&str> = v["files"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|f| f["sha256"].as_str())
                .collect();
            for h in hashes {
                if !stored.contains(h.as_str()) {
                    lost.push(format!("{code}: file {h} not listed"));
                }
            }
        }
        lost
    });
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    for (code, (_, hashes)) in &ledger.dossiers {
        for h in hashes {
            let bytes = std::fs::read(blob_path(dir.path(), h))
                .unwrap_or_else(|e| panic!("{code}: file {h}: {e}"));
            assert_eq!(&sha256_hex(&bytes), h, "{code}: file content");
        }
    }
    // Codes are unique in the database, not only among the acknowledged.
    let db_url = database_url.map_or_else(
        || format!("sqlite://{}", dir.path().join("lienthong.db").display()),
        str::to_owned,
    );
    let (total, distinct): (i64, i64) = rt.block_on(async {
        sqlx::any::install_default_drivers();
        let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&db_url)
            .await
            .unwrap();
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT code) FROM dossiers")
            .fetch_one(&mut c)
            .await
            .unwrap()
    });
    assert_eq!(total, distinct, "duplicate dossier codes");
    assert!(total as usize >= ledger.dossiers.len());
    server.terminate();
    let mut verify = vec!["audit", "verify"];
    if let Some(url) = database_url {
        verify.extend(["--database-url", url]);
    }
    let out = run(dir.path(), &verify);
    assert!(out.status.success(), "audit verify: {}", text(&out));
    eprintln!(
        "crash safety ({}): {KILLS} kills, {} dossiers and {} acceptances acknowledged, 0 lost; \
         {total} dossiers stored",
        if database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        ledger.dossiers.len(),
        ledger.accepted
    );
}

#[test]
fn acknowledged_work_survives_twenty_sigkills_on_sqlite() {
    crash_repeatedly(None);
}

#[test]
fn acknowledged_work_survives_twenty_sigkills_on_postgresql() {
    let Ok(base) = std::env::var("LIENTHONG_TEST_PG_URL") else {
        assert!(
            std::env::var("CI").is_err(),
            "LIENTHONG_TEST_PG_URL is required under CI"
        );
        eprintln!("LIENTHONG_TEST_PG_URL not set: PostgreSQL crash test skipped");
        return;
    };
    let name = format!(
        "lt_test_crash_{}",
        std::process::id() ^ u32::try_from(nanos() % u128::from(u32::MAX)).unwrap_or(0)
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .unwrap();
    });
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let url = format!("{prefix}/{name}");
    crash_repeatedly(Some(&url));
    rt.block_on(async {
        let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
            .await
            .unwrap();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await;
    });
}

#[expect(
    clippy::disallowed_methods,
    reason = "a unique database name, not application time"
)]
fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}
