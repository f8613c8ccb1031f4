//! The binary as an operator uses it: serve, migrate, import, users, audit verify, shutdown.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::zombie_processes,
    reason = "tests fail loudly on unexpected answers"
)]

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    process::{Command, Stdio},
    time::Duration,
};

use common::{Server, bin, run, text};

#[test]
fn demo_serves_and_prints_its_logins_and_a_warm_restart_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path(), &["--demo"]);
    let mut banner = String::new();
    while let Ok(line) = s.log.recv_timeout(Duration::from_millis(500)) {
        banner.push_str(&line);
        banner.push('\n');
    }
    assert!(
        banner.contains("citizen1")
            && banner.contains("lienthong-demo")
            && banner.contains(&s.addr),
        "{banner}"
    );
    assert!(s.get("/healthz").contains("{\"status\":\"ok\"}"));
    assert!(s.get("/readyz").starts_with("HTTP/1.1 200"));
    let home = s.get("/");
    assert!(
        home.contains("3321") && home.contains("Dịch vụ công trực tuyến"),
        "{home}"
    );
    assert!(s.terminate().success());
    let again = Server::start(dir.path(), &["--demo"]);
    assert!(
        again
            .get("/api/v1/agencies?q=tu%20phap")
            .contains("000.00.04.H13")
    );
}

#[test]
fn demo_refuses_a_public_address_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let o = bin()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--demo", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("--allow-demo-public"), "{}", text(&o));
}

#[test]
fn sigterm_lets_the_in_flight_request_finish() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path(), &[]);
    let body = r#"{"username":"nobody","password":"wrong-password"}"#;
    let mut conn = TcpStream::connect(&s.addr).unwrap();
    let head = format!(
        "POST /api/v1/auth/token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        s.addr,
        body.len()
    );
    conn.write_all(head.as_bytes()).unwrap();
    conn.write_all(&body.as_bytes()[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        s.child.try_wait().unwrap().is_none(),
        "the server waits for the in-flight request"
    );
    conn.write_all(&body.as_bytes()[10..]).unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    assert!(s.terminate().success());
}

#[test]
fn users_add_validates_and_refuses_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let add = |user: &str, cccd: &str| {
        bin()
            .arg("--data-dir")
            .arg(dir.path())
            .args([
                "users",
                "add",
                "--username",
                user,
                "--kind",
                "citizen",
                "--name",
                "Trần Văn Bình",
                "--cccd",
                cccd,
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin.take().unwrap().write_all(b"mat-khau-rat-dai\n")?;
                c.wait_with_output()
            })
            .unwrap()
    };
    let ok = add("binh", "092090005555");
    assert!(ok.status.success(), "{}", text(&ok));
    let dup = add("binh", "092090006666");
    assert!(!dup.status.success());
    assert!(text(&dup).contains("đã tồn tại"), "{}", text(&dup));
    let bad = add("binh2", "12345");
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("cccd: Số định danh cá nhân (CCCD) không hợp lệ: cần đúng 12 chữ số"),
        "{}",
        text(&bad)
    );
    let official = run(
        dir.path(),
        &[
            "users",
            "add",
            "--username",
            "x@y",
            "--kind",
            "official",
            "--name",
            "A",
            "--password",
            "mat-khau-rat-dai",
            "--agency",
            "000.00.04.H13",
            "--role",
            "chief",
        ],
    );
    assert!(text(&official).contains("chief"), "{}", text(&official));
}

#[test]
fn a_malformed_csv_names_its_position_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("units.csv");
    std::fs::write(&csv, "commune_code,commune_name,commune_type,province_code,province_name\n31135,Phường Ninh Kiều,Phường,92,Thành phố Cần Thơ\n31120,Phường Cái Khế,Phường,9X,Thành phố Cần Thơ\n").unwrap();
    let o = run(
        dir.path(),
        &[
            "import",
            "admin-units",
            csv.to_str().unwrap(),
            "--valid-from",
            "2025-07-01",
        ],
    );
    assert!(!o.status.success());
    let out = text(&o);
    assert!(out.contains("units.csv:3:4"), "{out}");
    std::fs::write(&csv, "commune_code,commune_name,commune_type,province_code,province_name\n31135,Phường Ninh Kiều,Phường,92,Thành phố Cần Thơ\n").unwrap();
    let ok = run(
        dir.path(),
        &[
            "import",
            "admin-units",
            csv.to_str().unwrap(),
            "--valid-from",
            "2025-07-01",
        ],
    );
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(
        text(&ok).contains("1 tỉnh/provinces, 0 huyện/districts, 1 xã/communes"),
        "{}",
        text(&ok)
    );
}

#[test]
fn audit_verify_detects_tampering_in_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        let o = run(
            dir.path(),
            &[
                "users",
                "add",
                "--username",
                &format!("user{i}"),
                "--kind",
                "citizen",
                "--name",
                "Lê Văn C",
                "--cccd",
                &format!("09209000777{i}"),
                "--password",
                "mat-khau-rat-dai",
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
    }
    let ok = run(dir.path(), &["audit", "verify"]);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("3 rows"));
    let db = dir.path().join("lienthong.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        use sqlx::Connection;
        let mut c = sqlx::AnyConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::raw_sql("UPDATE audit_log SET object_id = 'forged' WHERE seq = 2")
            .execute(&mut c)
            .await
            .unwrap();
    });
    let broken = run(dir.path(), &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(
        text(&broken).contains("audit row 2 was modified"),
        "{}",
        text(&broken)
    );
}

#[test]
fn a_wrong_setting_names_its_source_and_the_expected_form() {
    let dir = tempfile::tempdir().unwrap();
    let o = bin()
        .arg("--data-dir")
        .arg(dir.path())
        .arg("migrate")
        .env("LIENTHONG_LISTEN", "everywhere")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let out = text(&o);
    assert!(
        out.contains("LIENTHONG_LISTEN") && out.contains("127.0.0.1:8080"),
        "{out}"
    );
    let cfg = dir.path().join("lienthong.toml");
    std::fs::write(&cfg, "demo = \"yes please\"\n").unwrap();
    let o = bin()
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--config")
        .arg(&cfg)
        .arg("migrate")
        .output()
        .unwrap();
    let out = text(&o);
    assert!(
        !o.status.success() && out.contains("lienthong.toml") && out.contains("`demo`"),
        "{out}"
    );
    let ok = run(dir.path(), &["migrate"]);
    assert!(ok.status.success(), "{}", text(&ok));
}

#[test]
fn procedures_export_and_import_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/catalog/procedures_demo.json");
    let json = std::fs::read_to_string(&catalog)
        .unwrap()
        .replace("\"{communes}\"", "\"135.31.90.H13\"");
    let file = dir.path().join("catalog.json");
    std::fs::write(&file, json).unwrap();
    let first = run(
        dir.path(),
        &["import", "procedures", file.to_str().unwrap()],
    );
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("32 mới/new"), "{}", text(&first));
    for format in ["json", "csv"] {
        let out = dir.path().join(format!("export.{format}"));
        let e = run(
            dir.path(),
            &[
                "export",
                "procedures",
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(e.status.success(), "{}", text(&e));
        let again = run(dir.path(), &["import", "procedures", out.to_str().unwrap()]);
        assert!(
            text(&again).contains("32 không đổi/unchanged"),
            "{format}: {}",
            text(&again)
        );
    }
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "code,name\n1.000001,x\n").unwrap();
    let e = run(dir.path(), &["import", "procedures", bad.to_str().unwrap()]);
    assert!(
        !e.status.success() && text(&e).contains("bad.csv:1:1"),
        "{}",
        text(&e)
    );
}

#[test]
fn workflow_files_are_imported_or_refused_with_the_offending_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"x\"\n[[step]]\nid = \"a\"\nrole = \"reception\"\nactions = [\"accept\", \"forward\"]\nnext = \"nowhere\"\n",
    )
    .unwrap();
    let o = run(
        dir.path(),
        &["import", "workflow", "hai-buoc", bad.to_str().unwrap()],
    );
    let out = text(&o);
    assert!(
        !o.status.success() && out.contains("Dòng 6") && out.contains("nowhere"),
        "{out}"
    );
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "name = \"Hai bước\"\n[[step]]\nid = \"desk\"\nrole = \"reception\"\nactions = [\"accept\", \"forward\"]\nnext = \"lead\"\n\
         [[step]]\nid = \"lead\"\nrole = \"leader\"\nactions = [\"approve\"]\nnext = \"back\"\n\
         [[step]]\nid = \"back\"\nrole = \"reception\"\nactions = [\"return_result\"]\n",
    )
    .unwrap();
    let o = run(
        dir.path(),
        &["import", "workflow", "hai-buoc", good.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("hai-buoc"));
}

#[test]
fn calendar_files_are_imported_or_refused_with_the_offending_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "2026-05-04,nghi,Nghỉ bù\n2026-02-30,nghi,Sai ngày\n").unwrap();
    let o = run(dir.path(), &["import", "calendar", bad.to_str().unwrap()]);
    let out = text(&o);
    assert!(
        !o.status.success() && out.contains("Dòng 2") && out.contains("2026-02-30"),
        "{out}"
    );
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "# UBND thành phố\n2026-05-04,nghi,Nghỉ bù\n2026-05-09,lam,Làm bù\n",
    )
    .unwrap();
    let o = run(dir.path(), &["import", "calendar", good.to_str().unwrap()]);
    assert!(o.status.success() && text(&o).contains("2"), "{}", text(&o));
}
